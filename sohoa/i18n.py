"""Message language: Vietnamese by default, English with SOHOA_LANG=en."""

from __future__ import annotations

import os


def lang() -> str:
    """The language people read messages in: "vi" (default) or "en"."""
    value = os.environ.get("SOHOA_LANG", "vi").strip().lower()
    return "en" if value.startswith("en") else "vi"


def t(vi: str, en: str) -> str:
    """Pick the Vietnamese or English form of a message for the person reading it."""
    return en if lang() == "en" else vi
