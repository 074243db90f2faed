"""Trust roots: the certificate authorities an archive's administrator has installed, none by
default.

sohoa ships no trust list: which authorities a Vietnamese archive trusts (Ban Cơ yếu Chính phủ's
root for state bodies, the public CAs of the national root) is the administrator's decision, made
by copying their root certificates (PEM or DER; .pem, .crt, .cer) into `<archive>/trust/`.
Without them every intact signature reads "chưa xác minh được" (not verified), never valid.
"""

from __future__ import annotations

from pathlib import Path

from asn1crypto import pem, x509

TRUST_DIR = "trust"
SUFFIXES = (".pem", ".crt", ".cer", ".der")


def trust_dir(archive_root: Path) -> Path:
    return Path(archive_root) / TRUST_DIR


def load_trust_roots(folder: Path) -> tuple[x509.Certificate, ...]:
    """Every certificate in the folder's certificate files; an unreadable file is skipped with
    its name in `unreadable_roots` (the check then simply has one root fewer)."""
    return tuple(cert for cert, _ in _read(folder) if cert is not None)


def unreadable_roots(folder: Path) -> tuple[str, ...]:
    return tuple(name for cert, name in _read(folder) if cert is None)


def _read(folder: Path) -> list[tuple[x509.Certificate | None, str]]:
    if not folder.is_dir():
        return []
    out: list[tuple[x509.Certificate | None, str]] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        data = path.read_bytes()
        try:
            if pem.detect(data):
                for _, _, der in pem.unarmor(data, multiple=True):
                    out.append((x509.Certificate.load(der), path.name))
            else:
                cert = x509.Certificate.load(data)
                cert.native  # noqa: B018  (parse now: asn1crypto is lazy)
                out.append((cert, path.name))
        except (ValueError, TypeError, OSError):
            out.append((None, path.name))
    return out
