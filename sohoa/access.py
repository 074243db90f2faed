"""Confidentiality levels (độ mật) and user clearances, ordered from public to top secret."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

from sohoa.errors import ExitCode, SohoaError


class AccessLevel(IntEnum):
    """A document's access level; a user with clearance >= level may see it."""

    cong_khai = 0  # công khai: public / no secrecy mark
    mat = 1  # Mật
    toi_mat = 2  # Tối mật
    tuyet_mat = 3  # Tuyệt mật

    @property
    def slug(self) -> str:
        """The command-line spelling: cong-khai, mat, toi-mat, tuyet-mat."""
        return self.name.replace("_", "-")

    @property
    def label(self) -> str:
        """The Vietnamese mark as printed on documents (or "Công khai")."""
        return _LABELS[self]


_LABELS = {
    AccessLevel.cong_khai: "Công khai",
    AccessLevel.mat: "Mật",
    AccessLevel.toi_mat: "Tối mật",
    AccessLevel.tuyet_mat: "Tuyệt mật",
}


class BadClearance(SohoaError):
    exit_code = ExitCode.usage


def parse_level(value: str | None) -> AccessLevel:
    """Parse a clearance or độ mật value: slug ("toi-mat"), label ("Tối mật") or None (public)."""
    if value is None or value == "":
        return AccessLevel.cong_khai
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    for level in AccessLevel:
        if key in (level.name, level.label.lower().replace(" ", "_")):
            return level
    choices = ", ".join(level.slug for level in AccessLevel)
    raise BadClearance(
        vi=f"Mức mật không hợp lệ: {value!r}. Dùng một trong: {choices}.",
        en=f"Unknown access level {value!r}. Use one of: {choices}.",
    )


def mark_level(value: object) -> AccessLevel:
    """The level a độ mật mark stands for; no mark is public, an unreadable one is Mật.

    An unreadable mark is treated as the lowest secret level, never as public.
    """
    if not isinstance(value, str) or not value.strip():
        return AccessLevel.cong_khai
    try:
        return parse_level(value)
    except BadClearance:
        return AccessLevel.mat


def effective_level(stored: int, corrections: Mapping[str, str | None]) -> AccessLevel:
    """A document's access level now: a person's correction of độ mật wins over what
    extraction and the manifest said (`stored`)."""
    if "do_mat" in corrections:
        return mark_level(corrections["do_mat"])
    return AccessLevel(stored)
