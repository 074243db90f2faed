"""The batch manifest (sohoa.toml): what the scans cannot tell, validated when it is read."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from rapidfuzz import process

from extract.conventions import fold
from sohoa.access import AccessLevel, BadClearance, parse_level
from sohoa.errors import ManifestError

MANIFEST_NAME = "sohoa.toml"

PageRanges = tuple[tuple[int, int], ...]

_TEXT_KEYS = ("phong", "muc_luc", "hop", "ho_so_code", "ho_so_title", "thoi_gian")
_KEYS = (
    *_TEXT_KEYS, "thoi_han_bao_quan", "che_do_su_dung", "do_mat_mac_dinh", "tuyet_mat_approved",
    "tuyet_mat_approval", "moi_tep_mot_van_ban", "page_ranges",
)  # fmt: skip
_MODES = ("Công khai", "Sử dụng có điều kiện", "Hạn chế sử dụng", "Mật")
"""Chế độ sử dụng (access regime) as the archival standard names them."""


@dataclass(frozen=True)
class Manifest:
    """A batch's manifest. Every key is optional; the scans alone are enough to ingest."""

    path: Path | None = None
    """Where the manifest was read from."""
    phong: str | None = None
    """Phông: fonds code ("TU-BG")."""
    muc_luc: str | None = None
    """Mục lục: catalogue number."""
    hop: str | None = None
    """Hộp: box number."""
    ho_so_code: str | None = None
    """Mã hồ sơ: dossier code ("TU-BG.01.12.05")."""
    ho_so_title: str | None = None
    """Tiêu đề hồ sơ: dossier title."""
    thoi_gian: str | None = None
    """Thời gian: the period the dossier covers ("2022-2023")."""
    thoi_han_bao_quan: str | None = None
    """Thời hạn bảo quản: retention, "Vĩnh viễn" or "<n> năm"."""
    che_do_su_dung: str | None = None
    """Chế độ sử dụng: access regime ("Công khai", "Sử dụng có điều kiện", ...)."""
    do_mat_mac_dinh: str | None = None
    """Default độ mật of the batch's documents: None (public), "Mật", "Tối mật", "Tuyệt mật"."""
    tuyet_mat_approved: bool = False
    """Explicit approval to digitize Tuyệt mật material (refused without it)."""
    tuyet_mat_approval: str | None = None
    """The approval's reference ("Quyết định số ... ngày ...")."""
    moi_tep_mot_van_ban: bool = False
    """Each scanned file is one document: the single-page scans of a folder are not joined."""
    page_ranges: Mapping[str, PageRanges] = field(default_factory=dict)
    """Documents' 1-based inclusive page ranges of a scanned file (path within the batch), or
    of a folder ("." for the batch folder), whose scans are then read as one run of pages."""

    @property
    def access_level(self) -> AccessLevel:
        """The batch's default access level."""
        return parse_level(self.do_mat_mac_dinh)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """A manifest as `as_dict` gave it (the store keeps each batch's manifest that way)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["path"] = Path(data["path"]) if data.get("path") else None
        values["page_ranges"] = {
            name: tuple((int(a), int(b)) for a, b in ranges)
            for name, ranges in (data.get("page_ranges") or {}).items()
        }
        return cls(**values)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (page ranges as lists)."""
        out = asdict(self)
        out["path"] = str(self.path) if self.path else None
        out["page_ranges"] = {k: [list(r) for r in v] for k, v in self.page_ranges.items()}
        return out


def find_manifest(batch_dir: Path) -> Path | None:
    """The batch folder's sohoa.toml (the folder of a single scanned file), if there is one."""
    folder = batch_dir if batch_dir.is_dir() else batch_dir.parent
    path = folder / MANIFEST_NAME
    return path if path.is_file() else None


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest; ManifestError names the key and the line at fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(
            vi=f"{path}: không đọc được manifest ({exc}). Hãy kiểm tra tệp (UTF-8).",
            en=f"{path}: cannot read the manifest ({exc}). Check the file (UTF-8).",
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = f", dòng {found.group(1)}" if found else ""
        line_en = f", line {found.group(1)}" if found else ""
        raise ManifestError(
            vi=f"{path.name}{line}: sai cú pháp TOML ({exc}).",
            en=f"{path.name}{line_en}: invalid TOML ({exc}).",
        ) from exc
    return _Reader(path, text).manifest(data)


@dataclass(frozen=True)
class _Reader:
    path: Path
    text: str

    def line(self, key: str, section: str | None = None) -> int:
        """The line a key is written on (1-based; 0 when not found), within [section] if given."""
        inside = section is None
        pattern = re.compile(rf"""^\s*(["']?){re.escape(key)}\1\s*=""")
        for number, raw in enumerate(self.text.splitlines(), 1):
            header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", raw)
            if header:
                inside = section is not None and header.group(1).strip("\"'") == section
                if key == section and section is not None and inside:
                    return number
                continue
            if inside and pattern.match(raw):
                return number
        # An inline table or a dotted key: the first line naming the key at all.
        for number, raw in enumerate(self.text.splitlines(), 1):
            if re.search(rf"""(^|[\s{{,."'])({re.escape(key)})(["'.]|\s*=)""", raw):
                return number
        return 0

    def fail(self, key: str, vi: str, en: str, section: str | None = None) -> ManifestError:
        number = self.line(key, section)
        where_vi = f", dòng {number}" if number else ""
        where_en = f", line {number}" if number else ""
        return ManifestError(
            vi=f"{self.path.name}{where_vi}: khóa `{key}`: {vi}",
            en=f"{self.path.name}{where_en}: key `{key}`: {en}",
        )

    def manifest(self, data: dict[str, object]) -> Manifest:
        for key in data:
            if key not in _KEYS:
                near = process.extractOne(key, _KEYS, score_cutoff=70)
                hint_vi = f" Có phải ý bạn là `{near[0]}`?" if near else ""
                hint_en = f" Did you mean `{near[0]}`?" if near else ""
                raise self.fail(
                    key,
                    f"không có khóa này.{hint_vi} Các khóa: {', '.join(_KEYS)}.",
                    f"unknown key.{hint_en} Known keys: {', '.join(_KEYS)}.",
                )
        values: dict[str, object] = {k: self.text_value(data, k) for k in _TEXT_KEYS}
        values["thoi_han_bao_quan"] = self.retention(data.get("thoi_han_bao_quan"))
        values["che_do_su_dung"] = self.mode(data.get("che_do_su_dung"))
        values["do_mat_mac_dinh"] = self.secrecy(data.get("do_mat_mac_dinh"))
        values["tuyet_mat_approved"] = self.flag(data, "tuyet_mat_approved")
        values["moi_tep_mot_van_ban"] = self.flag(data, "moi_tep_mot_van_ban")
        values["tuyet_mat_approval"] = self.text_value(data, "tuyet_mat_approval")
        values["page_ranges"] = self.page_ranges(data.get("page_ranges", {}))
        return Manifest(path=self.path, **values)  # type: ignore[arg-type]

    def flag(self, data: Mapping[str, object], key: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(
                key,
                f"phải là true hoặc false, không phải {value!r}.",
                f"must be true or false, not {value!r}.",
            )
        return value

    def text_value(self, data: Mapping[str, object], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            raise self.fail(
                key,
                f"phải là một chuỗi không rỗng, không phải {value!r}.",
                f"must be a non-empty string, not {value!r}.",
            )
        return str(value).strip()

    def retention(self, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return f"{value} năm"
        if isinstance(value, str):
            if fold(value.strip()) == "vinh vien":
                return "Vĩnh viễn"
            m = re.fullmatch(r"\s*(\d+)\s*(nam|năm)?\s*", value)
            if m and int(m.group(1)) > 0:
                return f"{int(m.group(1))} năm"
        raise self.fail(
            "thoi_han_bao_quan",
            f'phải là "Vĩnh viễn" hoặc số năm ("20 năm" hay 20), không phải {value!r}.',
            f'must be "Vĩnh viễn" (permanent) or years ("20 năm" or 20), not {value!r}.',
        )

    def mode(self, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            for mode in _MODES:
                if fold(value.strip()) == fold(mode):
                    return mode
        raise self.fail(
            "che_do_su_dung",
            f"phải là một trong: {', '.join(_MODES)}; không phải {value!r}.",
            f"must be one of: {', '.join(_MODES)}; not {value!r}.",
        )

    def secrecy(self, value: object) -> str | None:
        if value is None:
            return None
        try:
            level = parse_level(value) if isinstance(value, str) else None
        except BadClearance:
            level = None
        if level is None:
            raise self.fail(
                "do_mat_mac_dinh",
                f'phải là "Công khai", "Mật", "Tối mật" hoặc "Tuyệt mật"; không phải {value!r}.',
                f'must be "Công khai", "Mật", "Tối mật" or "Tuyệt mật"; not {value!r}.',
            )
        return None if level is AccessLevel.cong_khai else level.label

    def page_ranges(self, value: object) -> dict[str, PageRanges]:
        if not isinstance(value, dict):
            raise self.fail(
                "page_ranges",
                'phải là một bảng [page_ranges] dạng "tệp" = [[1, 3], [4, 7]].',
                'must be a [page_ranges] table of "file" = [[1, 3], [4, 7]].',
            )
        return {batch_path(name): self.ranges(name, ranges) for name, ranges in value.items()}

    def ranges(self, name: str, value: object) -> PageRanges:
        def bad(why_vi: str, why_en: str) -> ManifestError:
            return self.fail(
                name,
                f'{why_vi} Viết các khoảng trang dạng [[1, 3], [4, 7]] hoặc ["1-3", "4-7"].',
                f'{why_en} Write page ranges as [[1, 3], [4, 7]] or ["1-3", "4-7"].',
                section="page_ranges",
            )

        if isinstance(value, dict):
            raise bad(
                'tên tệp có dấu chấm phải đặt trong ngoặc kép ("hoso.pdf" = ...).',
                'quote file names that contain dots ("hoso.pdf" = ...).',
            )
        if not isinstance(value, list) or not value:
            raise bad("khoảng trang phải là một danh sách không rỗng.", "must be a non-empty list.")
        out: list[tuple[int, int]] = []
        for item in value:
            pair = _pair(item)
            if pair is None:
                raise bad(f"khoảng {item!r} không hợp lệ.", f"range {item!r} is invalid.")
            first, last = pair
            if first < 1 or last < first:
                raise bad(
                    f"khoảng {item!r}: trang đầu phải ≥ 1 và ≤ trang cuối.",
                    f"range {item!r}: the first page must be >= 1 and <= the last.",
                )
            if out and first <= out[-1][1]:
                raise bad(
                    f"khoảng {item!r} chồng lên hoặc đứng trước khoảng trước nó.",
                    f"range {item!r} overlaps or comes before the range before it.",
                )
            out.append((first, last))
        return tuple(out)


def batch_path(name: str) -> str:
    """A file or folder as the manifest names it, spelled as the batch lists it ("." = the
    batch folder): forward slashes, no leading "./", no trailing "/"."""
    path = unicodedata.normalize("NFC", name.replace("\\", "/").strip())
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/") or "."


def _pair(item: object) -> tuple[int, int] | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item, item
    if isinstance(item, list) and len(item) == 2 and all(type(x) is int for x in item):
        return int(item[0]), int(item[1])
    if isinstance(item, str):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", item)
        if m:
            return int(m.group(1)), int(m.group(2) or m.group(1))
    return None
