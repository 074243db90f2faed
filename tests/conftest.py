"""Shared fixtures: archives on SQLite and on the real PostgreSQL server, small rendered scans."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import create_engine, text

from archive_store.db import Archive
from tests.browser import browser, page, site  # noqa: F401  (browser-test fixtures)

PG_URL = os.environ.get("SOHOA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server the store tests need; fails (never skips) when it is not there."""
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is needed at {PG_URL} (run scripts/test, which starts one, "
            f"or set SOHOA_TEST_PG_URL): {exc}",
            pytrace=False,
        )
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A database URL whose tables live in a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(pg_server)
    with engine.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    try:
        yield f"{pg_server}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    """An empty archive, once on SQLite and once on the PostgreSQL server."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    arch = Archive(tmp_path / "kho", db_url=url)
    try:
        yield arch
    finally:
        arch.close()


def render_lines(lines: list[str], *, dpi: int = 300, size_pt: float = 12) -> Image.Image:
    """A small greyscale scan of a few lines of text (fast to OCR)."""
    font = ImageFont.truetype(str(FONT), round(size_pt * dpi / 72))
    line_h = round(size_pt * dpi / 72 * 1.6)
    width = max(round(font.getlength(line)) for line in lines) + 2 * dpi // 4
    img = Image.new("L", (width, line_h * len(lines) + dpi // 2), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((dpi // 4, dpi // 4 + i * line_h), line, font=font, fill=0)
    img.info["dpi"] = (dpi, dpi)
    return img


def save_scan(img: Image.Image | list[Image.Image], path: Path) -> Path:
    """Save one or several pages in the format the suffix names (multi-page TIFF and PDF)."""
    pages = img if isinstance(img, list) else [img]
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        pages[0].save(
            path, save_all=True, append_images=pages[1:], dpi=(300, 300), compression="tiff_lzw"
        )
    elif suffix == ".pdf":
        pages[0].save(path, save_all=True, append_images=pages[1:], resolution=300)
    else:
        pages[0].save(path, dpi=(300, 300))
    return path
