"""How an index folder is laid out: generations, the `current` pointer, sohoa-index.json."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from sohoa.errors import ArchiveError

# index/
#   current               name of the live generation; replaced atomically (os.replace)
#   g-20250101T120000-1a2b/
#     sohoa-index.json    {"engine": "tantivy", "schema_version": 1}
#     ...                 the engine's files
#
# A rebuild writes a new generation beside the live one and then points `current` at it, so
# searches use the old one until the new one is complete, and a rebuild killed half way leaves
# only an unused folder behind (removed by the next rebuild).

POINTER = "current"
INFO = "sohoa-index.json"
_PREFIX = "g-"


@dataclass(frozen=True)
class IndexInfo:
    """What sohoa-index.json says about a generation."""

    engine: str
    schema_version: int


def live_generation(index_dir: Path) -> Path | None:
    """The folder searches use now, or None when the index was never built."""
    try:
        name = (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not name.startswith(_PREFIX) or "/" in name or not (index_dir / name).is_dir():
        raise ArchiveError(
            vi=f"Chỉ mục {index_dir} hỏng (tệp {POINTER} trỏ tới {name!r}). Chạy `sohoa reindex`.",
            en=f"The index {index_dir} is damaged ({POINTER} names {name!r}). Run `sohoa reindex`.",
        )
    return index_dir / name


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty, not yet live generation folder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = index_dir / f"{_PREFIX}{stamp}-{secrets.token_hex(3)}"
    path.mkdir()
    return path


def read_info(generation: Path) -> IndexInfo:
    """The engine and schema version of a generation (version 0 when the file is missing)."""
    try:
        data = json.loads((generation / INFO).read_text(encoding="utf-8"))
        return IndexInfo(engine=str(data["engine"]), schema_version=int(data["schema_version"]))
    except FileNotFoundError:
        return IndexInfo(engine="tantivy", schema_version=0)
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(
            vi=f"Không đọc được {generation / INFO}: {exc}. Chạy `sohoa reindex`.",
            en=f"Cannot read {generation / INFO}: {exc}. Run `sohoa reindex`.",
        ) from exc


def write_info(generation: Path, info: IndexInfo) -> None:
    data = {"engine": info.engine, "schema_version": info.schema_version}
    _write_atomic(generation / INFO, json.dumps(data) + "\n")


def publish(index_dir: Path, generation: Path) -> None:
    """Make a complete generation the live one, atomically."""
    _fsync_dir(generation)
    _write_atomic(index_dir / POINTER, generation.name + "\n")


def remove_unused(index_dir: Path) -> None:
    """Delete every generation but the live one (old ones, and rebuilds that died half way)."""
    live = live_generation(index_dir)
    for path in index_dir.glob(f"{_PREFIX}*"):
        if path.is_dir() and path != live:
            shutil.rmtree(path, ignore_errors=True)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    # Without this a power cut can lose the rename even though the data reached the disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
