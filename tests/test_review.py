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


def test_flagged_fields_are_listed_until_a_person_corrects_them(archive: Archive) -> None:
    from pipeline.export import standard_record
    from pipeline.review import fields_to_review
    from pipeline.views import document_view

    batch = store.upsert_batch(archive, Path("/tmp/hop-fields"))
    public, secret = (PageRef(c * 64, 1, f"{c}.png") for c in "de")
    for ref in (public, secret):
        store.save_page(archive, ref.sha256, 1, page())
    number = {"value": "51/QĐ-UBND", "confidence": 0.5, "page": 0, "region": [10, 20, 30, 40],
              "needs_review": True, "review_reason": "handwritten"}  # fmt: skip
    subject = {"value": "Về việc x", "confidence": 0.9, "page": 0, "region": None,
               "needs_review": False, "review_reason": None}  # fmt: skip
    extracted = {"so_ky_hieu": number, "trich_yeu": subject}
    (doc,) = store.replace_documents(
        archive, batch, [public], [store.NewDocument((public,), "A", extracted, 0)]
    ).ids
    store.replace_documents(
        archive, batch, [secret], [store.NewDocument((secret,), "B", extracted, 1)]
    )
    items = fields_to_review(archive)
    assert [(i.doc_id, i.field, i.reason) for i in items] == [(doc, "so_ky_hieu", "handwritten")]
    assert (items[0].source_file, items[0].source_page, items[0].region) == (
        "d.png",
        1,
        (10, 20, 30, 40),
    )
    assert len(fields_to_review(archive, clearance=AccessLevel.mat)) == 2
    record = store.document(archive, doc)
    assert standard_record(record, 1, None)["Unverified"] == "CodeNumber"
    store.add_correction(archive, doc, "so_ky_hieu", "51/QĐ-UBND", "an")
    record = store.document(archive, doc)
    assert fields_to_review(archive) == []
    assert standard_record(record, 1, None)["Unverified"] == ""
    shown = document_view(record)["metadata"]["so_ky_hieu"]
    assert (shown["needs_review"], shown["review_reason"], shown["corrected"]) == (
        False,
        None,
        True,
    )
