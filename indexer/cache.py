"""Answers of recent searches, kept per index state so that none outlives what it was read from.

A server answers the same few queries again and again (a dossier's name, this month's topic,
the first page of results while people page back). Searching costs the engine milliseconds
of CPU per query; a kept answer costs nothing. An answer is keyed by everything it depends on:
the query as typed, every option (clearance, limit, sort, facets, pages per hit), the documents
excluded because the store now hides them (pending index jobs, hits the store refused), and the
state of the index it was read from (its generation and last commit, see the backends'
`stamp`). So a commit, a rebuild, a new pending job or a changed clearance is a new key, never
a stale answer. What the cache does not replace is the store: pipeline.searching still checks
every hit of a kept answer against the store's current access level on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from indexer.types import SearchResults

DEFAULT_SIZE = 512
"""Answers kept per server process: about 5 MB (ten hits with three snippets each)."""


class ResultsCache:
    """A bounded least-recently-used map of search answers, shared by a process's threads."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("the cache size cannot be negative")
        self.size = size
        self._answers: OrderedDict[Hashable, SearchResults] = OrderedDict()
        self._guard = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"ResultsCache(size={self.size}, kept={len(self._answers)}, hits={self.hits})"

    def get(self, key: Hashable) -> SearchResults | None:
        with self._guard:
            found = self._answers.get(key)
            if found is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, results: SearchResults) -> None:
        if not self.size:
            return
        with self._guard:
            self._answers[key] = results
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._guard:
            self._answers.clear()


def key_of(stamp: Hashable, query: str, options: dict[str, object]) -> Hashable:
    """The key of one search: the index state, the query as typed and every option (the
    excluded documents as a set, whatever collection they came in)."""
    items = []
    for name, value in sorted(options.items()):
        if name == "exclude":
            value = frozenset(int(i) for i in value)  # type: ignore[attr-defined]
        items.append((name, value))
    return (stamp, query, tuple(items))
