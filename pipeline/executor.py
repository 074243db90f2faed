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
    from outside (out of memory, SIGKILL) breaks the whole pool and every task in flight with
    it, without saying which one was to blame. The pool is rebuilt and those tasks are re-run
    one at a time: one that breaks the pool again on its own is the culprit and is reported as
    failed; the others finish normally, and parallel work resumes.
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
        pending = iter(tasks)
        suspects: list[T] = []
        pool = self._pool()
        running: dict[Future[R], T] = {}
        try:
            while True:
                if suspects:
                    # Isolation mode: exactly one suspect in flight, so a break names it.
                    if not running:
                        running[pool.submit(fn, suspects[0])] = suspects[0]
                else:
                    while len(running) < self.max_in_flight:
                        try:
                            nxt = next(pending)
                        except StopIteration:
                            break
                        running[pool.submit(fn, nxt)] = nxt
                if not running:
                    return
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task = running.pop(fut)
                    try:
                        outcome: Outcome[T, R] = Outcome(task, fut.result(), None)
                    except BrokenProcessPool:
                        broken = True
                        if suspects and task is suspects[0]:
                            suspects.pop(0)
                            yield Outcome(task, None, _worker_died())
                        elif task not in suspects:
                            suspects.append(task)
                        continue
                    except Exception as exc:
                        outcome = Outcome(task, None, exc)
                    if suspects and task is suspects[0]:
                        suspects.pop(0)
                    yield outcome
                if broken:
                    # Every other task in flight was lost with the pool: they become suspects.
                    suspects.extend(t for t in running.values() if t not in suspects)
                    running.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
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
