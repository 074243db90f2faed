"""A small archive for the server's tests: a public document, a Mật one with a secret phrase,
real page images in the blob store and words with boxes (stored as OCR would, without OCR)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image, ImageDraw, ImageFont

from archive_store import accounts, store
from archive_store.accounts import Role
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.records import PageRef
from archive_store.store import KnownFile, NewDocument
from ocr.types import CleanupReport, PageResult, Word
from pipeline import indexing
from sohoa.access import AccessLevel

FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
SECRET = "Bạch Đằng Giang"
"""Appears only in the Mật document (title and text)."""
PASSWORD = "mat-khau-rat-dai-1"
USERS = {
    "admin": (Role.admin, AccessLevel.tuyet_mat),
    "thuky": (Role.clerk, AccessLevel.mat),
    "vanthu": (Role.clerk, AccessLevel.cong_khai),
    "dan": (Role.researcher, AccessLevel.cong_khai),
    "mat": (Role.researcher, AccessLevel.mat),
}


@dataclass(frozen=True)
class Built:
    root: Path
    public: int
    secret: int


def _page(lines: list[str], path: Path) -> tuple[Path, PageResult]:
    font = ImageFont.truetype(str(FONT), 40)
    img = Image.new("L", (1240, 400 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    words: list[Word] = []
    for n, line in enumerate(lines):
        x, y = 100, 150 + 70 * n
        for token in line.split():
            left, top, right, bottom = (round(v) for v in draw.textbbox((x, y), token, font=font))
            draw.text((x, y), token, font=font, fill=0)
            words.append(Word(token, left, top, right - left, bottom - top, 95.0, n))
            x = right + 18
    img.save(path, dpi=(150, 150))
    result = PageResult(
        text="\n".join(lines), words=tuple(words), mean_confidence=95.0, needs_review=False,
        review_reasons=(), width=img.width, height=img.height, dpi=150,
        cleanup=CleanupReport(), engine="test", ocr_seconds=0.0,
    )  # fmt: skip
    return path, result


def build(root: Path, db_url: str | None = None) -> Built:
    """The archive at root/kho with its users (every password PASSWORD) and index."""
    scans = root / "hop-1"
    scans.mkdir(parents=True)
    archive = Archive(root / "kho", db_url=db_url)
    try:
        batch = store.upsert_batch(archive, scans)
        docs = [
            ("cong-khai.png", ["THÔNG BÁO", "về công tác kiểm tra năm 2023"], 0,
             "Thông báo về công tác kiểm tra"),
            ("mat.png", ["MẬT", f"Kế hoạch {SECRET}", "về công tác kiểm tra năm 2023"], 1,
             f"Kế hoạch {SECRET}"),
        ]  # fmt: skip
        ids = []
        for name, lines, level, title in docs:
            path, result = _page(lines, scans / name)
            sha = sha256_file(path)
            archive.blobs.put(path, sha)
            store.register_file(archive, batch, KnownFile(name, sha, path.stat().st_size,
                                                          None, "png", 1))  # fmt: skip
            store.save_page(archive, sha, 1, result)
            ref = PageRef(sha, 1, name)
            extracted = {
                "loai": {"value": title.split()[0] + " " + title.split()[1], "confidence": 0.9},
                "trich_yeu": {"value": title, "confidence": 0.5, "needs_review": True,
                              "review_reason": "unsure", "page": 0, "region": [100, 150, 400, 50]},
                "do_mat": {"value": "Mật" if level else None, "confidence": 0.9},
            }  # fmt: skip
            replaced = store.replace_documents(
                archive, batch, [ref], [NewDocument((ref,), title, extracted, level)]
            )
            ids.extend(replaced.ids)
        store.finish_batch(archive, batch)
        indexing.sync(archive)
        for name, (role, clearance) in USERS.items():
            accounts.add_user(archive, name, name.title(), role, clearance, PASSWORD)
    finally:
        archive.close()
    return Built(root / "kho", ids[0], ids[1])


class Served:
    """The app served by a real Uvicorn on a loopback port, in a thread of the test process."""

    def __init__(self, root: Path, db_url: str | None = None, **settings: object) -> None:
        import socket

        import uvicorn

        from web.app import create_app
        from web.settings import ServerSettings

        self.sock = socket.socket()
        # Accepted connections inherit it: no 40 ms Nagle/delayed-ACK stall per response.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.origin = self.url
        self.app = create_app(
            ServerSettings(archive_dir=root, port=port, **settings),  # type: ignore[arg-type]
            Archive(root, db_url=db_url, create=False),
        )
        config = uvicorn.Config(
            self.app, log_level="warning", ws="none", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(config)

    def __enter__(self) -> Served:
        import threading
        import time

        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()
        self.app.state.sohoa.archive.close()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"origin": self.origin}, timeout=60)

    @contextmanager
    def signed_in(self, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        """A client with a session of `name`, sending its CSRF token and the right Origin."""
        with self.client() as c:
            r = c.post("/api/v1/session", json={"name": name, "password": password})
            assert r.status_code == 200, r.text
            c.headers["x-csrf-token"] = r.json()["csrf_token"]
            yield c
