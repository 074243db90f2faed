"""BagIt (RFC 8493) tag files for a payload already written under a bag's data/ folder.

Backups and transfer packages are both bags; their payload's checksums are known as it is
written (blobs are named by their hash), so the tag files are written here rather than by the
bagit library, which would read every payload file again. The library verifies them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from archive_store.blobs import sha256_file


def write_tags(bag: Path, lines: Sequence[tuple[str, str, int]], info: Mapping[str, str]) -> None:
    """bagit.txt, the payload manifest, bag-info.txt (with Bagging-Date and Payload-Oxum
    before `info`) and the tag manifest; `lines` are (sha256, path in the bag, size)."""
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    with (bag / "manifest-sha256.txt").open("w", encoding="utf-8") as manifest:
        for sha, rel, _ in sorted(lines, key=lambda x: x[1]):
            manifest.write(f"{sha}  {bag_path(rel)}\n")
    fields = {
        "Source-Organization": "sohoa",
        "Bagging-Date": dt.date.today().isoformat(),
        "Payload-Oxum": f"{sum(size for _, _, size in lines)}.{len(lines)}",
        **info,
    }
    (bag / "bag-info.txt").write_text(
        "".join(f"{k}: {v}\n" for k, v in fields.items()), encoding="utf-8"
    )
    with (bag / "tagmanifest-sha256.txt").open("w", encoding="utf-8") as tags:
        for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt"):
            tags.write(f"{sha256_file(bag / name)}  {name}\n")


def bag_path(rel: str) -> str:
    """A path as a manifest writes it: CR and LF percent-encoded (RFC 8493 2.1.3, as the bagit
    library reads them back; it leaves "%" itself alone)."""
    return rel.replace("\n", "%0A").replace("\r", "%0D")
