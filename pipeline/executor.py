"""Executors run page tasks and hand results back to the parent, which alone writes the store."""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from types import ModuleType
from typing import Any, Generic, Protocol, TypeVar

from sohoa.errors import InputError, ServiceUnavailable

T = TypeVar("T")
R = TypeVar("R")


WORKER_PRELOAD = ("ocr.preload", "pipeline.reading", "pipeline.handwriting")
"""What the fork server loads before it forks a worker: the page tasks' code and OCR models."""


def init_worker() -> None:
    """Every Tesseract run in a parallel batch gets one thread (6.9 s -> 1.5 s a page here)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"


def fork_server_preload(extra: Sequence[str] = WORKER_PRELOAD) -> list[str]:
    """The modules the workers' fork server imports once, so no worker imports them again.

    A worker started from the fork server runs the parent's main script again before its first
    task (for `sohoa`, every import of the CLI: ~1.6 s of CPU a worker here). Python means the
    server to import that script itself (its "__main__" preload), but 3.11 never hands it the
    script's path; so the server imports the modules the script takes its names from, and
    `extra`, and the script run again in each worker finds them loaded.
    """
    names = ["__main__", *extra]
    main = sys.modules.get("__main__")
    for value in vars(main).values() if main is not None else ():
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", "")
        if isinstance(name, str) and name in sys.modules and name not in names:
            names.append(name)
    return names


class Outcome(Generic[T, R]):
    """The task and either its result or the error it raised."""

    __slots__ = ("error", "result", "task")

    def __init__(self, task: T, result: R | None, error: BaseException | None) -> None:
        self.task, self.result, self.error = task, result, error


class Executor(Protocol):
    """Runs `fn` over tasks; yields outcomes as they finish, in any order."""

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[Outcome[T, R]]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Runs tasks one after another in this process (for debugging and --workers 1 tests)."""

    def __repr__(self) -> str:
        return "SerialExecutor()"

    def close(self) -> None:
        pass

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

    def __init__(
        self,
        workers: int,
        in_flight_per_worker: int = 2,
        preload: Sequence[str] = WORKER_PRELOAD,
    ) -> None:
        """Starts the fork server at once (when none runs yet), so that it imports and loads
        `preload` while the parent triages the batch."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.max_in_flight = workers * in_flight_per_worker
        self._context = _fork_server(preload)
        self._early_pool: ProcessPoolExecutor | None = None
        self._early: dict[Hashable, Future[Any]] = {}
        self._early_key: Callable[[Any], Hashable] = id
        self._early_fn: Callable[[Any], Any] | None = None

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"

    def close(self) -> None:
        # Each run's pool is shut down when the run ends; a head start no run took, here.
        if self._early_pool is not None:
            self._early_pool.shutdown(wait=False, cancel_futures=True)
            self._early_pool, self._early = None, {}

    def head_start(
        self, fn: Callable[[T], R], tasks: Sequence[T], key: Callable[[T], Hashable]
    ) -> None:
        """Start `tasks` now, before the caller knows its whole plan: the next `run` of the
        same `fn` takes each one's result for the task of its plan with the same `key`, and
        drops those its plan does not hold (not started yet: cancelled)."""
        if not tasks:
            return
        self._early_pool = self._early_pool or self._pool()
        self._early_key, self._early_fn = key, fn
        for task in tasks[: self.max_in_flight]:
            self._early[key(task)] = self._early_pool.submit(fn, task)

    def _submit(self, pool: ProcessPoolExecutor, fn: Callable[[T], R], task: T) -> Future[R]:
        started = self._early.pop(self._early_key(task), None) if self._early else None
        return started if started is not None else pool.submit(fn, task)

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=self._context, initializer=init_worker)

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[Outcome[T, R]]:
        pending = iter(tasks)
        suspects: list[T] = []
        if not _same_work(fn, self._early_fn):
            self._early.clear()  # started for other work: not this run's results
        pool, self._early_pool = self._early_pool or self._pool(), None
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
                        running[self._submit(pool, fn, nxt)] = nxt
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
                    self._early.clear()  # lost with the pool too; their tasks come again
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
        finally:
            self._early.clear()
            pool.shutdown(wait=True, cancel_futures=True)


def _same_work(a: Callable[..., Any] | None, b: Callable[..., Any] | None) -> bool:
    """The same function with the same bound arguments (functools.partial has no __eq__)."""
    if a is None or b is None:
        return False
    if isinstance(a, functools.partial) and isinstance(b, functools.partial):
        return a.func is b.func and a.args == b.args and a.keywords == b.keywords
    return a is b


class DaskExecutor:
    """Page tasks on a Dask distributed cluster, past one machine.

    Workers (`dask worker tcp://host:8786 --nworkers N --nthreads 1` on each machine) read the
    originals from the shared blob folder and hand results back; the parent alone writes the
    store, as with the local pool. Tasks are submitted lazily, a few per worker thread, so a
    batch of any size keeps memory bounded. Dask re-runs the tasks of a worker that dies; one
    that kills workers again and again fails alone ("KilledWorker").
    """

    def __init__(self, address: str, in_flight_per_thread: int = 2, timeout: float = 5) -> None:
        """Connects at once, so that a scheduler that does not answer stops the run before any
        work is done."""
        from distributed import Client

        self.address = address
        self.per_thread = in_flight_per_thread
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ServiceUnavailable(
                vi=f"Không kết nối được bộ lập lịch Dask {address} ({exc}). Kiểm tra "
                "`dask scheduler` đang chạy và địa chỉ --scheduler đúng; các trang đã lưu vẫn "
                "còn, chạy lại lệnh để tiếp tục.",
                en=f"Cannot reach the Dask scheduler {address} ({exc}). Check that "
                "`dask scheduler` is running and --scheduler is right; stored pages are kept, "
                "run the command again to resume.",
            ) from exc

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r})"

    def close(self) -> None:
        self.client.close()

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[Outcome[T, R]]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        client = self.client
        limit = max(2, sum(client.nthreads().values()) * self.per_thread)
        pending = iter(tasks)
        live: dict[object, tuple[Any, T]] = {}  # future key -> (future, task)

        def submit(task: T) -> Any:
            future = client.submit(_limited, fn, task, pure=False)
            live[future.key] = (future, task)
            return future

        try:
            first = [submit(task) for task in itertools.islice(pending, limit)]
            if not first:
                return
            finished = as_completed(first, loop=client.loop)
            for future in finished:
                _, task = live.pop(future.key)
                try:
                    outcome: Outcome[T, R] = Outcome(task, future.result(), None)
                except KilledWorker:
                    outcome = Outcome(task, None, _worker_died())
                except Exception as exc:
                    outcome = Outcome(task, None, exc)
                future.release()
                yield outcome
                for task in itertools.islice(pending, 1):
                    finished.add(submit(task))
        finally:
            # The tasks of a run stopped early (Ctrl-C, an error) do not go on using the cluster.
            if live:
                client.cancel([future for future, _ in live.values()])


def _limited(fn: Callable[[T], R], task: T) -> R:
    """Runs on a Dask worker: one thread per Tesseract run there too."""
    init_worker()
    return fn(task)


def _worker_died() -> InputError:
    return InputError(
        vi="Tiến trình OCR bị dừng đột ngột khi đọc trang này (có thể hết bộ nhớ). "
        "Chạy lại lệnh với --workers nhỏ hơn; nếu vẫn lỗi, quét lại trang.",
        en="The OCR worker died while reading this page (possibly out of memory). "
        "Run again with fewer --workers; if it fails again, rescan the page.",
    )


def _fork_server(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """The forkserver context, its server started (unless it runs already)."""
    # forkserver: workers never inherit the parent's database connections or index threads.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(fork_server_preload(preload))
    forkserver.ensure_running()
    return context


def make_executor(workers: int, scheduler: str | None = None) -> Executor:
    """A Dask cluster when a scheduler is named; else serial for one worker (no process
    start-up), a process pool otherwise."""
    if scheduler:
        return DaskExecutor(scheduler)
    return SerialExecutor() if workers <= 1 else ProcessExecutor(workers)
