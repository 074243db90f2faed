"""Browser tests' shared fixtures: a small real archive, a real `sohoa serve` process on a
loopback port, and Chromium driven by Playwright (sync API).

Use them from any test module (registered in tests/conftest.py):

    def test_x(site: Site, page: Page) -> None:
        sign_in(page, site, "dan")
        page.goto(site.url + "/tim-kiem?q=mat")
        shot(page, "tim-kiem")

`site` (session scope) holds the archive built by tests/web_archive.py's `build` (users
admin, thuky, vanthu, dan, mat, every password PASSWORD) plus the documents below; `page` is a
fresh browser context and tab per test (no cookies carried over). Chromium or Playwright
missing: the test fails and says what to install (it never skips).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.records import PageRef
from archive_store.store import KnownFile, NewDocument
from pipeline import indexing
from sohoa.access import AccessLevel
from tests.web_archive import PASSWORD, SECRET, _page, build

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / ".screenshots"
REPO = Path(__file__).resolve().parent.parent

PHONG = "TU-BG"
"""Fonds of the dossier the browser archive's documents are filed in."""
DOSSIER = "TU-BG.01.12.05"


@dataclass(frozen=True)
class Site:
    """The running server and what its archive holds."""

    url: str
    root: Path
    """The archive folder (open it with Archive(root, create=False) to check the store)."""
    public: int
    """tests/web_archive.py's public document (one page, no "mat" in it)."""
    secret: int
    """Its Mật document: SECRET in its title and text, "MẬT" on its page."""
    bi_mat: int
    """A public two-page Thông báo about keeping state secrets: "mật" and "mặt" on both pages,
    filed in DOSSIER of PHONG (mục lục 01, hộp 12), its number flagged as handwritten."""
    bao_cao: int
    """A public one-page Báo cáo of 2022 with "mặt" on it, in no dossier."""
    toi_mat: int
    """A Tối mật document with "mật" in it (only clearance toi-mat or above sees it)."""


BI_MAT_PAGES = [
    ["TỈNH ỦY BẮC GIANG", "Số 15-TB/TU", "THÔNG BÁO", "về công tác bảo vệ bí mật nhà nước",
     "Các cơ quan phải giữ bí mật tài liệu", "và báo cáo kết quả hằng năm"],
    ["Mặt trận Tổ quốc phối hợp kiểm tra", "việc giữ bí mật ở các huyện",
     "T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ"],
]  # fmt: skip


def _document(
    archive: Archive, batch: int, folder: Path, name: str, pages: list[list[str]],
    extracted: dict, level: int, dossier: int | None = None,
) -> int:  # fmt: skip
    """One document of page images rendered with their word boxes (as OCR would store them)."""
    refs = []
    for n, lines in enumerate(pages, 1):
        path, result = _page(lines, folder / f"{name}-{n}.png")
        sha = sha256_file(path)
        archive.blobs.put(path, sha)
        store.register_file(archive, batch, KnownFile(path.name, sha, path.stat().st_size,
                                                      None, "png", 1))  # fmt: skip
        store.save_page(archive, sha, 1, result)
        refs.append(PageRef(sha, 1, path.name))
    title = str(extracted["trich_yeu"]["value"])
    new = NewDocument(tuple(refs), title, extracted, level)
    return store.replace_documents(archive, batch, refs, [new], dossier_id=dossier).ids[0]


def _value(value: object, **flags: object) -> dict:
    return {"value": value, "confidence": 0.95, "needs_review": False, "review_reason": None,
            **flags}  # fmt: skip


def build_site_archive(root: Path) -> dict[str, int]:
    """tests/web_archive.py's archive and users, plus the browser tests' documents."""
    built = build(root)
    folder = root / "hop-12"
    folder.mkdir()
    archive = Archive(built.root, create=False)
    try:
        batch = store.upsert_batch(archive, folder)
        dossier = store.ensure_dossier(
            archive, DOSSIER, "Hồ sơ bảo vệ bí mật nhà nước năm 2023",
            {"phong": PHONG, "muc_luc": "01", "hop": "12", "ho_so_code": DOSSIER,
             "ho_so_title": "Hồ sơ bảo vệ bí mật nhà nước năm 2023", "thoi_gian": "2023"},
        )  # fmt: skip
        bi_mat = _document(archive, batch, folder, "bi-mat", BI_MAT_PAGES, {
            "loai": _value("Thông báo"),
            "so_ky_hieu": _value("15-TB/TU", needs_review=True, review_reason="handwritten",
                                 page=0, region=[100, 220, 300, 50]),
            "ngay_ban_hanh": _value("2023-03-15"),
            "co_quan_ban_hanh": _value("Tỉnh ủy Bắc Giang"),
            "trich_yeu": _value("Về công tác bảo vệ bí mật nhà nước"),
        }, 0, dossier)  # fmt: skip
        bao_cao = _document(archive, batch, folder, "bao-cao", [
            ["BAN TUYÊN GIÁO TỈNH ỦY", "BÁO CÁO", "kết quả công tác mặt trận năm 2022"],
        ], {
            "loai": _value("Báo cáo"),
            "so_ky_hieu": _value("40-BC/BTGTU"),
            "ngay_ban_hanh": _value("2022-11-20"),
            "co_quan_ban_hanh": _value("Ban Tuyên giáo Tỉnh ủy"),
            "trich_yeu": _value("Kết quả công tác mặt trận năm 2022"),
        }, 0)  # fmt: skip
        toi_mat = _document(archive, batch, folder, "toi-mat", [
            ["TỐI MẬT", "KẾ HOẠCH", "bảo vệ bí mật khu vực Yên Thế"],
        ], {
            "loai": _value("Kế hoạch"),
            "trich_yeu": _value("Kế hoạch bảo vệ bí mật khu vực Yên Thế"),
            "do_mat": _value("Tối mật"),
        }, int(AccessLevel.toi_mat))  # fmt: skip
        store.finish_batch(archive, batch)
        indexing.sync(archive)
    finally:
        archive.close()
    return {"public": built.public, "secret": built.secret, "bi_mat": bi_mat,
            "bao_cao": bao_cao, "toi_mat": toi_mat}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(kho: Path, log_path: Path, **env: str) -> Iterator[str]:
    """A real `sohoa serve` over `kho` on a free loopback port (its output in `log_path`),
    stopped on leaving; yields its URL once it answers."""
    port = _free_port()
    sohoa = Path(sys.executable).with_name("sohoa")
    command = [str(sohoa), "serve", "--archive", str(kho), "--port", str(port)]
    log = log_path.open("wb")
    server = subprocess.Popen(
        command, env={**os.environ, "SOHOA_LANG": "vi", **env}, stdout=log,
        stderr=subprocess.STDOUT, cwd=REPO,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/dang-nhap", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"sohoa serve did not start: {log_path.read_text()[-2000:]}", pytrace=False
                )
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A real `sohoa serve` process over the browser archive, on a free loopback port."""
    root = tmp_path_factory.mktemp("site")
    ids = build_site_archive(root)
    with serving(root / "kho", root / "serve.log") as url:
        yield Site(url=url, root=root / "kho", **ids)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (which cannot fetch a browser of its own here)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "The browser tests need Playwright: run scripts/setup (PyPI package playwright).",
            pytrace=False,
        )
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}: apt-get install chromium "
            "(scripts/setup installs it).",
            pytrace=False,
        )
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new browser context (no cookies) and tab, 1366x768, Vietnamese, for one test."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="vi-VN", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def sign_in(page: Page, site: Site, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does; ends on the search page."""
    page.goto(site.url + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot under tests/.screenshots/ (not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


__all__ = ["PASSWORD", "SECRET", "Site", "browser", "build_site_archive", "page", "shot",
           "sign_in", "site"]  # fmt: skip
