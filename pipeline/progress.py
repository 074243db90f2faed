"""A one-line progress bar on the terminal: pages done/total, pages per minute, time left."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from sohoa.i18n import t


@dataclass(frozen=True)
class Progress:
    """Where the batch stands, for a progress bar."""

    done: int
    total: int
    elapsed: float


class ProgressBar:
    """Redraws one line on stderr; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled and self.stream.isatty()
        self._start_done: int | None = None

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        if self._start_done is None:
            self._start_done = p.done  # pages skipped as already stored don't count for speed
        filled = int(self.width * p.done / p.total) if p.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        new = p.done - self._start_done
        per_min = new / p.elapsed * 60 if p.elapsed > 0 else 0.0
        left = (p.total - p.done) / per_min * 60 if per_min > 0 else None
        eta = _clock(left) if left is not None else "--:--"
        line = t(
            f"[{bar}] {p.done}/{p.total} trang · {per_min:.0f} trang/phút · còn {eta}",
            f"[{bar}] {p.done}/{p.total} pages · {per_min:.0f} pages/min · {eta} left",
        )
        self.stream.write("\r" + line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._start_done is not None:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(seconds)
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )
