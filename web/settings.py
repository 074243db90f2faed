"""The server's settings, checked when built; passed to worker processes through the environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from archive_store.accounts import Policy
from sohoa.errors import ExitCode, SohoaError


class BadSetting(SohoaError):
    exit_code = ExitCode.usage


@dataclass(frozen=True)
class ServerSettings:
    archive_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    policy: Policy = field(default_factory=Policy)
    origins: tuple[str, ...] = ()
    """Origins (scheme://host[:port]) allowed to send state-changing requests, e.g. the TLS
    proxy's https://kho.example.vn; empty: the request's own Host."""
    max_body: int = 1 << 20
    """Largest request body accepted, in bytes (the API takes small JSON only)."""
    reading_edge: int = 1600
    """Long edge, in pixels, of a page's use copy (reading resolution)."""
    scan_root: Path | None = field(default_factory=lambda: _scan_root(os.environ))
    """The folder under which clerks pick batch folders to ingest ($SOHOA_SCAN_ROOT); None:
    batches cannot be started from the server."""

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise BadSetting(vi="--port từ 1 đến 65535.", en="--port must be 1 to 65535.")
        for origin in self.origins:
            if not origin.startswith(("http://", "https://")) or origin.endswith("/"):
                raise BadSetting(
                    vi=f"--origin {origin!r}: cần dạng https://tên-máy[:cổng].",
                    en=f"--origin {origin!r}: expected https://host[:port].",
                )

    @property
    def loopback(self) -> bool:
        """Listening on loopback only: plain-http cookies are then acceptable."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def to_env(self) -> dict[str, str]:
        p = self.policy
        return {
            "SOHOA_ARCHIVE": str(self.archive_dir),
            "SOHOA_SERVE_HOST": self.host,
            "SOHOA_SERVE_PORT": str(self.port),
            "SOHOA_SERVE_ORIGINS": " ".join(self.origins),
            "SOHOA_SESSION_IDLE_MIN": str(p.idle_minutes),
            "SOHOA_SESSION_MAX_H": str(p.absolute_hours),
            "SOHOA_SCAN_ROOT": str(self.scan_root or ""),
        }

    @classmethod
    def from_env(cls) -> ServerSettings:
        env = os.environ
        return cls(
            archive_dir=Path(env.get("SOHOA_ARCHIVE") or "kho"),
            host=env.get("SOHOA_SERVE_HOST", "127.0.0.1"),
            port=int(env.get("SOHOA_SERVE_PORT", "8000")),
            origins=tuple(env.get("SOHOA_SERVE_ORIGINS", "").split()),
            policy=Policy(
                idle_minutes=float(env.get("SOHOA_SESSION_IDLE_MIN", "30")),
                absolute_hours=float(env.get("SOHOA_SESSION_MAX_H", "8")),
            ),
        )


def _scan_root(env: Mapping[str, str]) -> Path | None:
    value = env.get("SOHOA_SCAN_ROOT", "").strip()
    return Path(value) if value else None
