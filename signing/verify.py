"""Checking every signature of a PDF with pyHanko: who signed, when, with what, whether it holds.

For each signature: the signer from the certificate (common name, organisation), the signing
time the signer reported and the time of its timestamp token if it has one, the digest
algorithm, whether the signed byte ranges still hash to what was signed (integrity), whether
the file was changed after signing (and whether those changes are the kind a later signature or
form filling makes), whether the certificate was within its validity at signing time, and
whether its chain reaches a trust root the archive's administrator installed (signing.trust).
Revocation (CRL, OCSP) is not checked: the archive works offline, so it is said, not guessed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asn1crypto import x509

# pyHanko logs every chain it cannot build with a full traceback; what it found is in the
# status we report, so its log would only bury the clerk's terminal.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

VALID = "hop-le"
"""Intact, unchanged since (or changed only as signing allows), certificate valid at signing
time and chained to an installed trust root."""
UNVERIFIED = "chua-xac-minh"
"""Intact and consistent, but its certificate does not chain to an installed trust root (none
are installed by default), so who signed cannot be confirmed."""
BROKEN = "loi"
"""Broken: the signed bytes changed, the signature does not verify or does not parse, the
certificate was not valid at signing time, or the document was changed after signing in a way
signing does not allow."""
NONE = "khong"
"""The document carries no signature."""
STATUSES = (VALID, UNVERIFIED, BROKEN, NONE)

REVOCATION_NOTE_VI = "không kiểm tra thu hồi chứng thư (CRL/OCSP) vì kho làm việc ngoại tuyến"
REVOCATION_NOTE_EN = "revocation (CRL/OCSP) not checked: the archive works offline"

_ALLOWED_LATER = ("none", "lta_updates", "form_filling")
"""Changes after signing that signing itself makes: more signatures, timestamps, filled-in
signature fields. Anything else (new page content, annotations) breaks the signature."""


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a PDF, as checked."""

    field_name: str
    subfilter: str = ""
    """"/ETSI.CAdES.detached" (PAdES) or "/adbe.pkcs7.detached"."""
    signer_cn: str = ""
    """Common name of the signing certificate's subject (a person or an agency)."""
    signer_org: str = ""
    """Its organisation (O), or the organisational unit when there is no O."""
    signer_subject: str = ""
    issuer: str = ""
    cert_not_before: str = ""
    cert_not_after: str = ""
    signing_time: str | None = None
    """ISO 8601: the timestamp token's time when the signature has one, else the time the
    signer reported (which a wrong computer clock can shift)."""
    signer_reported_time: str | None = None
    timestamp_time: str | None = None
    digest_algorithm: str = ""
    intact: bool = False
    """The signed byte ranges still hash to the digest that was signed."""
    valid: bool = False
    """The signature over that digest verifies with the certificate's key."""
    coverage: str = ""
    """"entire_file", "entire_revision" (later changes were appended) or "partial"."""
    modified_after: bool = False
    modification_level: str = ""
    """pyHanko's reading of what was appended: "none", "lta_updates", "form_filling",
    "annotations" or "other"."""
    cert_valid_at_signing: bool = False
    trusted: bool = False
    """The chain reaches an installed trust root (checked at the signing time)."""
    chain: tuple[str, ...] = ()
    """The validated chain, signer first, up to the trust root (empty when none was found)."""
    trust_problem: str = ""
    """Why not trusted, as pyHanko says it (e.g. NO_CERTIFICATE_CHAIN_FOUND)."""
    weak_algorithm: bool = False
    """A digest pyHanko's policy no longer accepts (SHA-1) is used."""
    error: str = ""
    """Why the signature could not be read at all (empty when it could)."""
    problems: tuple[str, ...] = ()
    """Short codes of everything wrong: "not_intact", "invalid", "changed_after_signing",
    "cert_not_valid_at_signing", "untrusted", "weak_algorithm", "unreadable"."""
    status: str = BROKEN

    def as_json(self) -> dict:
        out = asdict(self)
        out["problems"] = list(self.problems)
        out["chain"] = list(self.chain)
        return out


@dataclass(frozen=True)
class FileSignatures:
    """Every signature of one file, and what could not be read."""

    signatures: tuple[SignatureCheck, ...] = ()
    error: str = ""
    """Why the file's signatures could not be read at all (a truncated or broken file)."""
    trust_roots: int = 0
    """How many trust roots the check used (0: none installed)."""
    checked_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    @property
    def status(self) -> str:
        return overall_status(self.signatures, broken=bool(self.error))


def overall_status(checks: Sequence[SignatureCheck], *, broken: bool = False) -> str:
    """A document's status from its signatures: broken if any is, valid if all are."""
    if broken or any(c.status == BROKEN for c in checks):
        return BROKEN
    if not checks:
        return NONE
    if all(c.status == VALID for c in checks):
        return VALID
    return UNVERIFIED


def has_signature_fields(path: Path) -> bool:
    """Cheap test before the real check: a signed PDF carries a /ByteRange somewhere."""
    with Path(path).open("rb") as f:
        tail = b""
        while chunk := f.read(1 << 20):
            if b"/ByteRange" in tail + chunk:
                return True
            tail = chunk[-16:]
    return False


def check_pdf_signatures(
    path: Path, trust_roots: Sequence[x509.Certificate] = ()
) -> FileSignatures:
    """Check every signature of the PDF at `path` (read only; the file is never changed)."""
    # pyHanko is imported here, not with the module: it takes ~0.5 s, and every worker process
    # imports this module's dataclasses without ever checking a signature.
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    roots = tuple(trust_roots)
    try:
        with Path(path).open("rb") as f:
            reader = PdfFileReader(f, strict=False)
            if reader.encrypted:
                # Scanners "protect" PDFs with an owner password and an empty user password.
                reader.decrypt("")
            embedded = reader.embedded_signatures
            checks = tuple(_check(sig, roots) for sig in embedded)
    except (PdfError, OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        return FileSignatures(error=_diagnosis(path) + _message(exc), trust_roots=len(roots))
    return FileSignatures(checks, trust_roots=len(roots))


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _diagnosis(path: Path) -> str:
    """What a signature that cannot be read most often means, said plainly: its byte ranges
    no longer frame the signature in the file (rewritten, e.g. re-saved or encrypted, after
    signing) or run past its end (cut short)."""
    data = Path(path).read_bytes()
    for m in _BYTE_RANGE.finditer(data):
        start, gap_end, length = int(m[2]), int(m[3]), int(m[4])
        if gap_end + length > len(data):
            return "the file is shorter than its signature says (cut short); "
        if data[start : start + 1] != b"<" or data[gap_end - 1 : gap_end] != b">":
            return (
                "the signed byte ranges no longer frame the signature (rewritten after signing); "
            )
    if b"%%EOF" not in data[-1024:]:
        return "the file ends before its end-of-file marker (cut short); "
    return ""


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _check(sig: object, roots: tuple[x509.Certificate, ...]) -> SignatureCheck:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko_certvalidator import ValidationContext

    field_name = str(getattr(sig, "field_name", "") or "")
    sig_object = getattr(sig, "sig_object", {}) or {}
    subfilter = str(sig_object.get("/SubFilter", ""))
    try:
        reported = getattr(sig, "self_reported_timestamp", None)
        moment = reported or dt.datetime.now(dt.UTC)
        context = ValidationContext(
            trust_roots=list(roots), allow_fetching=False, moment=moment, best_signature_time=moment
        )
        status = validate_pdf_signature(sig, context)  # type: ignore[arg-type]
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        return SignatureCheck(
            field_name=field_name,
            subfilter=subfilter,
            error=_message(exc),
            problems=("unreadable",),
            status=BROKEN,
        )
    cert = status.signing_cert
    subject = cert.subject.native
    timestamp = None
    if status.timestamp_validity is not None:
        timestamp = status.timestamp_validity.timestamp
    signed_at = timestamp or status.signer_reported_dt
    not_before, not_after = cert.not_valid_before, cert.not_valid_after
    in_validity = signed_at is None or not_before <= signed_at <= not_after
    coverage = status.coverage.name.lower() if status.coverage is not None else ""
    level = status.modification_level.name.lower() if status.modification_level else "none"
    modified = coverage != "entire_file"
    indication = status.trust_problem_indic
    trust_problem = str(getattr(indication, "name", indication or ""))
    weak = trust_problem == "CRYPTO_CONSTRAINTS_FAILURE"
    chain: tuple[str, ...] = ()
    if status.validation_path is not None:
        try:
            certs = list(status.validation_path.iter_certs(include_root=True))
        except (TypeError, ValueError, AttributeError):
            certs = []
        chain = tuple(c.subject.human_friendly for c in reversed(certs))
    problems = []
    if not status.intact:
        problems.append("not_intact")
    if not status.valid:
        problems.append("invalid")
    if modified and (level not in _ALLOWED_LATER or status.docmdp_ok is False):
        problems.append("changed_after_signing")
    if not in_validity:
        problems.append("cert_not_valid_at_signing")
    if not status.trusted:
        problems.append("untrusted")
    if weak:
        problems.append("weak_algorithm")
    hard = {"not_intact", "invalid", "changed_after_signing", "cert_not_valid_at_signing"}
    if hard & set(problems):
        verdict = BROKEN
    elif status.trusted:
        verdict = VALID
    else:
        verdict = UNVERIFIED
    return SignatureCheck(
        field_name=field_name,
        subfilter=subfilter,
        signer_cn=str(subject.get("common_name", "")),
        signer_org=str(
            subject.get("organization_name") or subject.get("organizational_unit_name") or ""
        ),
        signer_subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        cert_not_before=not_before.isoformat(),
        cert_not_after=not_after.isoformat(),
        signing_time=signed_at.isoformat() if signed_at else None,
        signer_reported_time=(
            status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
        ),
        timestamp_time=timestamp.isoformat() if timestamp else None,
        digest_algorithm=str(status.md_algorithm),
        intact=bool(status.intact),
        valid=bool(status.valid),
        coverage=coverage,
        modified_after=modified,
        modification_level=level,
        cert_valid_at_signing=in_validity,
        trusted=bool(status.trusted),
        chain=chain,
        trust_problem=trust_problem,
        weak_algorithm=weak,
        problems=tuple(problems),
        status=verdict,
    )


VIETNAM = dt.timezone(dt.timedelta(hours=7))


def earliest_signing_date(checks: Sequence[SignatureCheck]) -> dt.date | None:
    """The day (Vietnam time) of the first signature: evidence for the date a born-digital
    document was issued (the signer signs on the day; the agency's seal and the publishing
    office's signatures follow within days)."""
    times = []
    for c in checks:
        if c.signing_time and c.status != BROKEN:
            times.append(dt.datetime.fromisoformat(c.signing_time).astimezone(VIETNAM))
    return min(times).date() if times else None
