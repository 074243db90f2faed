"""Executors run page tasks and hand results back to the parent, which alone writes the store."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, Protocol, TypeVar

from sohoa.errors import InputError

T = TypeVar("T")
R = TypeVar("R")

# A page whose worker died this many times is reported as failed instead of retried forever.
MAX_ATTEMPTS = 2


def init_worker() -> None:
    """Every Tesseract run in a parallel batch gets one thread (6.9 s -> 1.5 s a page here)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


class Outcome(Generic[T, R]):
    """The task and either its result or the error it raised."""

    __slots__ = ("error", "result", "task")

    def __init__(self, task: T, result: R | None, error: BaseException | None) -> None:
        self.task, self.result, self.error = task, result, error


class Executor(Protocol):
    """Runs `fn` over tasks; yields outcomes as they finish, in any order."""

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[Outcome[T, R]]: ...


class SerialExecutor:
    """Runs tasks one after another in this process (for debugging and --workers 1 tests)."""

    def __repr__(self) -> str:
        return "SerialExecutor()"

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[Outcome[T, R]]:
        init_worker()
        for task in tasks:
            try:
                yield Outcome(task, fn(task), None)
            except Exception as exc:
                yield Outcome(task, None, exc)


class ProcessExecutor:
    """A pool of worker processes, one per core, with a bounded number of tasks in flight.

    Tasks are pulled lazily, so memory stays bounded whatever the batch size. A worker killed
    from outside (out of memory, SIGKILL) breaks the pool: the pool is rebuilt and the pages that
    were in flight are tried again, up to MAX_ATTEMPTS, then reported as failed.
    """

    def __init__(self, workers: int, in_flight_per_worker: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.max_in_flight = workers * in_flight_per_worker

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"

    def _pool(self) -> ProcessPoolExecutor:
        # forkserver: workers never inherit the parent's database connections or index threads.
        ctx = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=init_worker)

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[Outcome[T, R]]:
        pending_tasks = iter(tasks)
        retry: list[tuple[T, int]] = []
        pool = self._pool()
        running: dict[Future[R], tuple[T, int]] = {}
        try:
            while True:
                while len(running) < self.max_in_flight:
                    if retry:
                        task, attempt = retry.pop()
                    else:
                        nxt = next(pending_tasks, None)
                        if nxt is None:
                            break
                        task, attempt = nxt, 1
                    running[pool.submit(fn, task)] = (task, attempt)
                if not running:
                    return
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task, attempt = running.pop(fut)
                    try:
                        yield Outcome(task, fut.result(), None)
                    except BrokenProcessPool:
                        broken = True
                        retry.append((task, attempt))
                    except Exception as exc:
                        yield Outcome(task, None, exc)
                if broken:
                    # Every task still in flight is lost with the pool: try each again.
                    retry.extend(running.values())
                    running.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
                    failed = [(t, a) for t, a in retry if a >= MAX_ATTEMPTS]
                    retry = [(t, a + 1) for t, a in retry if a < MAX_ATTEMPTS]
                    for task, _attempt in failed:
                        yield Outcome(task, None, _worker_died())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _worker_died() -> InputError:
    return InputError(
        vi="Tiến trình OCR bị dừng đột ngột khi đọc trang này (có thể hết bộ nhớ). "
        "Chạy lại lệnh với --workers nhỏ hơn; nếu vẫn lỗi, quét lại trang.",
        en="The OCR worker died while reading this page (possibly out of memory). "
        "Run again with fewer --workers; if it fails again, rescan the page.",
    )


def make_executor(workers: int) -> Executor:
    """Serial for one worker (no process start-up), a process pool otherwise."""
    return SerialExecutor() if workers <= 1 else ProcessExecutor(workers)
