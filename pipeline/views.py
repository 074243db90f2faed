"""What `show`, `search` and `status` print: plain dicts built from store records and results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from archive_store.records import DocumentRecord
from indexer.types import SearchResults
from pipeline.documents import effective_access
from sohoa.access import AccessLevel
from sohoa.errors import AccessDenied


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
