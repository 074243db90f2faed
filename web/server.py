"""Running the server: one process, or several on one port (`sohoa serve --workers N`).

With several, each worker process listens on a socket of its own, all bound to the port with
SO_REUSEPORT, so the kernel deals new connections out among them. uvicorn's own `--workers`
shares one socket, and the first worker to wake accepts every connection waiting (uvloop
accepts until none is left): 20 clients connecting at once were split 14/6, 17/3 and 19/1
between two workers, and the busier one's clients waited twice as long. The supervisor is
uvicorn's (signals, health checks, a dead worker replaced); a replacement takes over the dead
worker's socket, which the supervisor keeps open, so connections made meanwhile wait in its
queue instead of being refused.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from archive_store import accounts
from archive_store.db import Archive
from sohoa.errors import ExitCode, SohoaError
from web.settings import ServerSettings

BACKLOG = 2048


class NoAdmin(SohoaError):
    exit_code = ExitCode.usage


class CannotListen(SohoaError):
    exit_code = ExitCode.usage


def serve(
    archive: Archive,
    settings: ServerSettings,
    *,
    workers: int = 1,
    forwarded_allow_ips: str = "127.0.0.1",
    access_log: bool = False,
) -> None:
    """Serve the archive until stopped (SIGINT, SIGTERM); refuses without an active admin."""
    require_admin(archive)
    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips, "access_log": access_log,
        "server_header": False, "log_level": "info", "backlog": BACKLOG,
        # Longer than a proxy keeps idle upstream connections (nginx: 60 s), so the proxy,
        # never the server, closes them: no request is sent on a connection being closed.
        "timeout_keep_alive": 75,
    }  # fmt: skip
    if workers <= 1:
        from web.app import create_app

        uvicorn.run(create_app(settings, archive), **options)
        return
    # The workers are new processes: they read the settings from the environment.
    os.environ.update(settings.to_env())
    config = uvicorn.Config(
        "web.app:app_from_env", factory=True, workers=workers,
        timeout_worker_healthcheck=30,  # a busy worker is slow to answer, not dead
        **options,
    )  # fmt: skip
    Workers(config, [listening(settings.host, settings.port) for _ in range(workers)]).run()


def require_admin(archive: Archive) -> None:
    if not accounts.has_admin(archive):
        raise NoAdmin(
            vi="Chưa có quản trị viên nào. Tạo một người trước: "
            "sohoa user add TÊN --role admin --clearance tuyet-mat",
            en="There is no admin user. Make one first: "
            "sohoa user add NAME --role admin --clearance tuyet-mat",
        )


def listening(host: str, port: int) -> socket.socket:
    """A listening socket on host:port that other sockets of this user may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # Without it every response on a kept-alive connection would wait ~40 ms for the
        # client's delayed ACK (accepted connections inherit it).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise CannotListen(
            vi=f"Không mở được cổng {host}:{port}: {exc.strerror}. Có thể một chương trình khác "
            "đang dùng cổng này; chọn cổng khác bằng --port hoặc dừng chương trình kia.",
            en=f"Cannot listen on {host}:{port}: {exc.strerror}. Another program may be using "
            "the port; pick another with --port or stop that program.",
        ) from exc
    sock.set_inheritable(True)
    return sock


class Workers(Multiprocess):
    """uvicorn's supervisor, with one socket per worker slot (see the module's text)."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets=[])
        self.slots = sockets
        self.processes_num = len(sockets)

    def _start(self, slot: int) -> Process:
        process = Process(self.config, [self.slots[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(slot) for slot in range(len(self.slots))]

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for slot, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or already gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # It failed before serving: the app or its archive is broken, and every
                # replacement would fail the same way.
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            self.processes[slot] = self._start(slot)

    def restart_all(self) -> None:
        """SIGHUP: each worker replaced in turn, the new one serving before the old one ends."""
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def handle_ttin(self) -> None:
        """The number of workers is fixed by --workers (one socket each)."""

    def handle_ttou(self) -> None:
        """The number of workers is fixed by --workers (one socket each)."""
