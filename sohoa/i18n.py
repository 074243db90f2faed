"""Message language: Vietnamese by default, English with SOHOA_LANG=en or per request."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_chosen: ContextVar[str | None] = ContextVar("sohoa_lang", default=None)
"""The language one request (a web page, an API call) asked for; None: the process's own."""


def lang() -> str:
    """The language people read messages in: "vi" (default) or "en"."""
    value = _chosen.get() or os.environ.get("SOHOA_LANG", "vi")
    return "en" if value.strip().lower().startswith("en") else "vi"


def t(vi: str, en: str) -> str:
    """Pick the Vietnamese or English form of a message for the person reading it."""
    return en if lang() == "en" else vi


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Messages inside are in `language` ("vi"/"en"; None keeps SOHOA_LANG), for this context
    only: each web request runs in its own context, so two readers never see each other's."""
    token = _chosen.set(language)
    try:
        yield
    finally:
        _chosen.reset(token)
