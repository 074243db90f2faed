"""`sohoa serve --workers 2`: connections dealt out among the workers, a killed worker
replaced without a connection refused (a real server, a real kill -9)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.web_archive import PASSWORD, build


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _workers(server: subprocess.Popen) -> set[int]:
    """The server's worker processes: its children that listen (uvicorn's own helper
    processes, such as multiprocessing's resource tracker, hold no socket)."""
    return {pid for pid in _children(server.pid) if _sockets(pid)}


def _sockets(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def _established(port: int) -> set[int]:
    """Inodes of the server side of established TCP connections to `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # ESTABLISHED
            inodes.add(int(fields[9]))
    return inodes


@pytest.fixture()
def two_workers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str, int]]:
    built = build(tmp_path / "b")
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "serve", "--archive", str(built.root),
         "--port", str(port), "--workers", "2"],
        env={**os.environ, "SOHOA_LANG": "en"}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while len(_workers(server)) < 2 or not _answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sohoa serve --workers 2 did not start: "
                            f"{(tmp_path / 'serve.log').read_text()[-2000:]}")  # fmt: skip
            time.sleep(0.2)
        yield server, url, port
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/api/v1/session", timeout=5).status_code == 401
    except httpx.TransportError:
        return False


def test_connections_made_at_once_go_to_both_workers(
    two_workers: tuple[subprocess.Popen, str, int],
) -> None:
    server, url, port = two_workers
    with httpx.Client(base_url=url, headers={"origin": url}) as c:
        r = c.post("/api/v1/session", json={"name": "dan", "password": PASSWORD})
        assert r.status_code == 200
        cookie = r.cookies["sohoa_session"]
    clients = [httpx.Client(base_url=url, cookies={"sohoa_session": cookie}) for _ in range(20)]
    try:
        # Twenty connections opened in the same instant: with one shared socket the first
        # worker to wake took nearly all of them.
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda c: c.get("/api/v1/session").status_code, clients))
        assert answers == [200] * 20
        open_ = _established(port)
        held = {pid: len(_sockets(pid) & open_) for pid in _workers(server)}
        assert len(held) == 2 and sum(held.values()) == 20, held
        # The kernel deals them out at random: both hold some (a split as bad as 2/18 or
        # worse comes once in ~2,500 runs; one shared socket gave 19/1 and 17/3).
        assert min(held.values()) >= 3, held
    finally:
        for c in clients:
            c.close()


def test_a_killed_worker_is_replaced_and_no_connection_is_refused(
    two_workers: tuple[subprocess.Popen, str, int],
) -> None:
    server, url, _ = two_workers
    before = _workers(server)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    # Connections made before the replacement listens wait in the dead worker's queue (the
    # supervisor keeps its socket open): each answers, none is refused.
    with ThreadPoolExecutor(10) as pool:
        codes = list(
            pool.map(
                lambda _: httpx.get(url + "/api/v1/session", timeout=60).status_code, range(10)
            )
        )
    assert codes == [401] * 10
    deadline = time.monotonic() + 60
    while True:
        now = _workers(server)
        if len(now) == 2 and victim not in now:
            break
        assert time.monotonic() < deadline, f"no replacement worker: {now}"
        time.sleep(0.2)
    assert server.poll() is None
