"""`sohoa review`: pages to look at, worst first, never those of documents above the clearance."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from archive_store import store
from archive_store.db import Archive
from archive_store.records import PageRef
from pipeline.review import pages_to_review
from sohoa.access import AccessLevel
from tests.test_store import page


def test_review_lists_only_what_the_clearance_allows(archive: Archive) -> None:
    batch = store.upsert_batch(archive, Path("/tmp/hop-review"))
    public, secret, loose = (PageRef(c * 64, 1, f"{c}.png") for c in "abc")
    for ref, conf in ((public, 40.0), (secret, 30.0), (loose, 20.0)):
        flagged = dataclasses.replace(
            page(), mean_confidence=conf, needs_review=True, review_reasons=("low_confidence",)
        )
        store.save_page(archive, ref.sha256, 1, flagged)
    (pub_id,) = store.replace_documents(
        archive, batch, [public], [store.NewDocument((public,), "A", {}, 0)]
    ).ids
    (sec_id,) = store.replace_documents(
        archive, batch, [secret], [store.NewDocument((secret,), "B", {}, int(AccessLevel.mat))]
    ).ids

    def listed(clearance: AccessLevel, limit: int | None = None) -> list[str | None]:
        return [i.source_file for i in pages_to_review(archive, limit, clearance)]

    assert listed(AccessLevel.cong_khai) == ["a.png"]
    assert listed(AccessLevel.mat) == ["b.png", "a.png"]
    assert listed(AccessLevel.mat, limit=1) == ["b.png"]
    # A page in no document yet has no known độ mật: only the highest clearance sees it.
    assert listed(AccessLevel.tuyet_mat) == [None, "b.png", "a.png"]
    # A person's correction of độ mật wins here too.
    store.add_correction(archive, sec_id, "do_mat", None, "an")
    assert listed(AccessLevel.cong_khai) == ["b.png", "a.png"]
    assert pages_to_review(archive, None, AccessLevel.cong_khai)[1].doc_id == pub_id
