"""IIIF for existing viewers (Mirador, Universal Viewer): a Presentation 3 manifest per document
and Content Search 2.0 (and 1.0) answering with hit regions from the stored word boxes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from archive_store import store
from archive_store.accounts import Principal, Role
from indexer.analysis import is_marked, words
from web import images
from web.api import DocId, _record
from web.security import Context, context, note, requires

router = APIRouter(prefix="/iiif")
Researcher = Annotated[Principal, Depends(requires(Role.researcher))]
Ctx = Annotated[Context, Depends(context)]
LD = "application/ld+json"


def _base(request: Request, ctx: Context) -> str:
    if ctx.settings.origins:
        return ctx.settings.origins[0]
    return str(request.base_url).rstrip("/")


@router.get("/{doc_id}/manifest", tags=["iiif"])
def manifest(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId) -> JSONResponse:
    """IIIF Presentation 3 manifest: one canvas per page, the page's use copy painted on it."""
    record = _record(request, ctx, who, doc_id, "iiif_manifest")
    base = _base(request, ctx)
    results = store.page_results(ctx.archive, [(p.sha256, p.source_page) for p in record.pages])
    me = f"{base}/iiif/{doc_id}"
    canvases = []
    for n, (p, r) in enumerate(zip(record.pages, results, strict=False), 1):
        fr = images.frame(r.width, r.height, ctx.settings.reading_edge)
        canvas = f"{me}/canvas/{n}"
        canvases.append({
            "id": canvas, "type": "Canvas", "label": {"vi": [f"Trang {n}"], "en": [f"Page {n}"]},
            "width": fr.width, "height": fr.height,
            "items": [{
                "id": f"{canvas}/page", "type": "AnnotationPage",
                "items": [{
                    "id": f"{canvas}/image", "type": "Annotation", "motivation": "painting",
                    "target": canvas,
                    "body": {
                        "id": f"{base}/api/v1/documents/{doc_id}/pages/{n}/image",
                        "type": "Image", "format": "image/jpeg",
                        "width": fr.copy_width, "height": fr.copy_height,
                    },
                }],
            }],
            "metadata": [{"label": {"vi": ["Tệp quét"], "en": ["Scanned file"]},
                          "value": {"none": [f"{p.source_path}, tr. {p.source_page}"]}}],
        })  # fmt: skip
    md = record.metadata()
    body = {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"{me}/manifest",
        "type": "Manifest",
        "label": {"vi": [record.title]},
        "metadata": [
            {"label": {"none": [name]}, "value": {"none": [str(value)]}}
            for name, value in md.items() if value not in (None, "", [])
        ],
        "items": canvases,
        "rendering": [{
            "id": f"{base}/api/v1/documents/{doc_id}/pdf", "type": "Text",
            "label": {"vi": ["Bản PDF/A"], "en": ["PDF/A copy"]}, "format": "application/pdf",
        }],
        "seeAlso": [{
            "id": f"{base}/api/v1/documents/{doc_id}", "type": "Dataset",
            "format": "application/json", "label": {"none": ["sohoa"]},
        }],
        "service": [
            {"id": f"{me}/search", "type": "SearchService2"},
            {"@id": f"{me}/search1", "@type": "SearchService1",
             "profile": "http://iiif.io/api/search/1/search"},
        ],
    }  # fmt: skip
    note(request, ctx, who, "iiif_manifest", document_id=doc_id)
    return JSONResponse(body, media_type=LD)


def _hits(ctx: Context, request: Request, who: Principal, doc_id: int, q: str, action: str
          ) -> tuple[str, list[tuple[int, str, tuple[int, int, int, int]]]]:  # fmt: skip
    """(manifest base, [(page, word, (x, y, w, h) in canvas pixels)]) of the query's words."""
    record = _record(request, ctx, who, doc_id, action)
    terms = [(exact, folded, is_marked(exact)) for exact, folded in words(q)]
    found: list[tuple[int, str, tuple[int, int, int, int]]] = []
    for n, p in enumerate(record.pages, 1):
        _, page_words = store.page_content(ctx.archive, p.sha256, p.source_page)
        for w in page_words:
            for exact, folded in words(w.text):
                if any((exact == e) if marked else (folded == f) for e, f, marked in terms):
                    found.append((n, w.text, (w.left, w.top, w.width, w.height)))
                    break
            if len(found) >= 1000:
                break
    note(request, ctx, who, action, document_id=doc_id, detail={"query": q, "hits": len(found)})
    return f"{_base(request, ctx)}/iiif/{doc_id}", found


Q = Annotated[str, Query(min_length=1, max_length=500, description="Words to find")]


@router.get("/{doc_id}/search", tags=["iiif"])
def search2(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId, q: Q) -> JSONResponse:
    """IIIF Content Search 2.0: an AnnotationPage of the words found, with their regions."""
    me, found = _hits(ctx, request, who, doc_id, q, "iiif_search")
    items = [
        {
            "id": f"{me}/search/hit/{i}", "type": "Annotation", "motivation": "highlighting",
            "body": {"type": "TextualBody", "value": word, "format": "text/plain"},
            "target": f"{me}/canvas/{page}#xywh={x},{y},{w},{h}",
        }
        for i, (page, word, (x, y, w, h)) in enumerate(found, 1)
    ]  # fmt: skip
    body = {
        "@context": "http://iiif.io/api/search/2/context.json",
        "id": str(request.url),
        "type": "AnnotationPage",
        "items": items,
    }
    return JSONResponse(body, media_type=LD)


@router.get("/{doc_id}/search1", tags=["iiif"])
def search1(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId, q: Q) -> JSONResponse:
    """IIIF Content Search 1.0 (what Mirador 3 speaks): an AnnotationList."""
    me, found = _hits(ctx, request, who, doc_id, q, "iiif_search")
    resources = [
        {
            "@id": f"{me}/search1/hit/{i}", "@type": "oa:Annotation",
            "motivation": "sc:painting",
            "resource": {"@type": "cnt:ContentAsText", "chars": word},
            "on": f"{me}/canvas/{page}#xywh={x},{y},{w},{h}",
        }
        for i, (page, word, (x, y, w, h)) in enumerate(found, 1)
    ]  # fmt: skip
    body = {
        "@context": "http://iiif.io/api/presentation/2/context.json",
        "@id": str(request.url),
        "@type": "sc:AnnotationList",
        "resources": resources,
    }
    return JSONResponse(body, media_type=LD)
