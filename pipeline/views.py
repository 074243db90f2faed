"""What `show`, `search`, `edit` and `status` print: plain dicts built from store records and
results, the same for the CLI's --json and the server's API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from archive_store import store
from archive_store.db import Archive
from archive_store.records import DocumentRecord
from indexer.types import SearchResults
from pipeline import indexing, signatures
from pipeline.documents import effective_access
from sohoa.access import AccessLevel
from sohoa.errors import AccessDenied
from sohoa.i18n import t


def check_access(record: DocumentRecord, clearance: AccessLevel) -> None:
    """Refuse to show or export a document above the user's clearance."""
    level = AccessLevel(effective_access(record))
    if level > clearance:
        raise AccessDenied(
            vi=f"Văn bản {record.id} có độ mật «{level.label}»; quyền của bạn "
            f"({clearance.slug}) không đủ để xem hoặc xuất văn bản này.",
            en=f"Document {record.id} is marked {level.label!r}; your clearance "
            f"({clearance.slug}) does not allow viewing or exporting it.",
        )


def document_view(record: DocumentRecord) -> dict:
    """`sohoa show --json`: metadata with confidence and region; corrections marked and winning."""
    metadata: dict[str, object] = {}
    for name, item in record.extracted.items():
        field = dict(item) if isinstance(item, dict) else {"value": item}
        # Read by an older sohoa: no flag was computed, so none is claimed.
        field.setdefault("needs_review", False)
        field.setdefault("review_reason", None)
        metadata[name] = field
    for name, value in record.corrections.items():
        # A person's value: verified, so no longer flagged.
        metadata[name] = {
            "value": value, "confidence": 1.0, "corrected": True, "needs_review": False,
            "review_reason": None,
        }  # fmt: skip
    return {
        "id": record.id,
        "title": record.title,
        "metadata": metadata,
        "access_level": AccessLevel(effective_access(record)).slug,
        "dossier": record.dossier_code,
        "pages": [
            {
                "page": i + 1,
                "source_file": p.source_path,
                "source_page": p.source_page,
                "text": p.text,
                "mean_confidence": round(p.mean_confidence, 2),
                "needs_review": p.needs_review,
            }
            for i, p in enumerate(record.pages)
        ],
    }


def full_view(archive: Archive, record: DocumentRecord) -> dict:
    """`sohoa show --json` and the server's document: the view with the signatures as checked
    and each page's text source."""
    return signatures.add_to_view(archive, record.id, document_view(record))


def shown_document(archive: Archive, doc_id: int, clearance: AccessLevel) -> dict:
    """`full_view` of the document if `clearance` allows it (else AccessDenied; NotFound for
    no such document)."""
    record = store.document(archive, doc_id)
    check_access(record, clearance)
    return full_view(archive, record)


def corrected_view(archive: Archive, doc_id: int, synced: indexing.SyncReport) -> dict:
    """`sohoa edit --json` and the server's corrections: the document as it now reads (no page
    texts) and whether search already follows."""
    view = document_view(store.document(archive, doc_id, with_pages=False))
    return {**view, "index": {"in_step": synced.in_step, "note": synced.note()}}


def status_view(archive: Archive) -> dict:
    """`sohoa status --json`: counts, unresolved failures and the index's state."""
    st = store.status(archive)
    _, check = indexing.verify(archive)
    jobs = store.pending_jobs(archive)
    return {
        "archive": str(archive.root),
        "batches": st.batches,
        "files": st.files,
        "pages": st.pages,
        "pages_needing_review": st.pages_needing_review,
        "documents": st.documents,
        "failures": [
            {"file": f.rel_path, "page": f.source_page, "reason": t(f.reason_vi, f.reason_en)}
            for f in store.failures(archive)
        ],
        "index": {
            "ok": check.ok,
            "missing": len(check.missing),
            "stale": len(check.stale),
            "extra": len(check.extra),
            "pending_jobs": sum(jobs.reasons.values()),
            "pending_documents": len(jobs.doc_ids),
            "pending_by_reason": jobs.reasons,
        },
    }


def search_view(
    results: SearchResults, places: Mapping[int, Sequence[tuple[str, int]]] | None = None
) -> dict:
    """`sohoa search --json`; `places` gives each hit's pages' files (store.page_places)."""

    def page(doc_id: int, number: int, snippet: str) -> dict:
        out: dict[str, object] = {"page": number, "snippet": snippet}
        where = (places or {}).get(doc_id, ())
        if 0 < number <= len(where):
            out["source_file"], out["source_page"] = where[number - 1]
        return out

    return {
        "query": results.query,
        "total": results.total,
        "hits": [
            {
                "doc_id": h.doc_id,
                "title": h.title,
                "score": round(h.score, 4),
                "metadata": dict(h.metadata),
                "pages": [page(h.doc_id, p.page, p.snippet) for p in h.pages],
            }
            for h in results.hits
        ],
        "facets": {
            name: [{"value": v, "count": c} for v, c in pairs]
            for name, pairs in results.facets.items()
        },
    }
