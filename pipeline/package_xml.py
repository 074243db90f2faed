"""METS and PREMIS of a transfer package (pipeline/package.py gathers what they describe).

METS 1.12 (the file section and the structural map dossier > documents > pages, with each
document's record under the standard's field names in a dmdSec) and PREMIS 3.0 (the originals
as objects, the events of their life in the archive, the agents: sohoa, the OCR engines, the
people who corrected metadata). The schemas are not available offline, so nothing here is
validated against them; tests/test_package.py checks the structure.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from archive_store.db import Archive
from archive_store.signatures import files_signatures
from pipeline.export import STANDARD_FIELDS

METS_NS = "http://www.loc.gov/METS/"
PREMIS_NS = "http://www.loc.gov/premis/v3"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
VB_NS = "urn:sohoa:tt05-2025"
"""Namespace of the per-document descriptive records in METS (the standard's field names)."""
MIME = {"tiff": "image/tiff", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}


def _m(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


def _p(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"


def _href(el: etree._Element, path: str) -> None:
    el.set("LOCTYPE", "URL")
    el.set(f"{{{XLINK_NS}}}type", "simple")
    el.set(f"{{{XLINK_NS}}}href", path)


def mets_document(
    descriptor: dict,
    originals: dict[str, dict],
    lines: list[tuple[str, str, int]],
    descriptive: tuple[tuple[str, str, int], ...],
    premis: tuple[str, str, int],
    own: tuple[str, str, int],
) -> etree._Element:
    by_path = {rel.removeprefix("data/"): (sha, size) for sha, rel, size in lines}
    dossiers = descriptor["dossiers"]
    root = etree.Element(
        _m("mets"), nsmap={"mets": METS_NS, "xlink": XLINK_NS, "xsi": XSI_NS, "vb": VB_NS}
    )
    root.set(
        f"{{{XSI_NS}}}schemaLocation", f"{METS_NS} https://www.loc.gov/standards/mets/mets.xsd"
    )
    root.set("OBJID", ", ".join(d["code"] for d in dossiers))
    root.set("LABEL", "; ".join(d["title"] or d["code"] for d in dossiers))
    root.set("TYPE", "Hồ sơ lưu trữ / archival dossier")
    hdr = etree.SubElement(
        root, _m("metsHdr"), CREATEDATE=descriptor["created"], RECORDSTATUS="NEW"
    )
    agent = etree.SubElement(hdr, _m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    etree.SubElement(agent, _m("name")).text = f"sohoa {descriptor['sohoa']}"
    alt = etree.SubElement(hdr, _m("altRecordID"), TYPE="source archive")
    alt.text = descriptor["source_archive"]

    # The dossiers' records under the standard's names, as JSON and CSV (one dmdSec each: a
    # dmdSec holds one reference).
    for (sha, rel, size), mime, dmd_id in zip(
        descriptive,
        ("application/json", "text/csv"),
        ("dmd-mo-ta-json", "dmd-mo-ta-csv"),
        strict=True,
    ):
        dmd = etree.SubElement(root, _m("dmdSec"), ID=dmd_id)
        ref = etree.SubElement(
            dmd,
            _m("mdRef"),
            MDTYPE="OTHER",
            OTHERMDTYPE="TT05-2025",
            MIMETYPE=mime,
            SIZE=str(size),
            CHECKSUM=sha,
            CHECKSUMTYPE="SHA-256",
        )
        _href(ref, rel.removeprefix("data/"))
    for doc in descriptor["documents"]:
        dmd = etree.SubElement(root, _m("dmdSec"), ID=f"dmd-vb-{doc['id']}")
        wrap = etree.SubElement(dmd, _m("mdWrap"), MDTYPE="OTHER", OTHERMDTYPE="TT05-2025")
        record = etree.SubElement(etree.SubElement(wrap, _m("xmlData")), f"{{{VB_NS}}}VanBan")
        standard = _standard_of(descriptor, doc)
        for name in STANDARD_FIELDS:
            value = standard.get(name, "")
            if value not in ("", None):
                etree.SubElement(record, f"{{{VB_NS}}}{name}").text = str(value)

    amd = etree.SubElement(root, _m("amdSec"), ID="amd")
    digi = etree.SubElement(amd, _m("digiprovMD"), ID="premis")
    sha, rel, size = premis
    ref = etree.SubElement(
        digi,
        _m("mdRef"),
        MDTYPE="PREMIS",
        MIMETYPE="text/xml",
        SIZE=str(size),
        CHECKSUM=sha,
        CHECKSUMTYPE="SHA-256",
    )
    _href(ref, rel.removeprefix("data/"))
    # What `sohoa import` reads: source ids, metadata as extracted, every correction.
    digi = etree.SubElement(amd, _m("digiprovMD"), ID="sohoa")
    sha, rel, size = own
    ref = etree.SubElement(
        digi,
        _m("mdRef"),
        MDTYPE="OTHER",
        OTHERMDTYPE="sohoa-package",
        MIMETYPE="application/json",
        SIZE=str(size),
        CHECKSUM=sha,
        CHECKSUMTYPE="SHA-256",
    )
    _href(ref, rel.removeprefix("data/"))

    file_sec = etree.SubElement(root, _m("fileSec"))
    grp = etree.SubElement(file_sec, _m("fileGrp"), USE="Originals")
    file_ids: dict[str, str] = {}
    for n, (sha, f) in enumerate(sorted(originals.items(), key=lambda x: x[1]["package_path"]), 1):
        file_ids[sha] = f"f-goc-{n}"
        el = etree.SubElement(
            grp,
            _m("file"),
            ID=file_ids[sha],
            MIMETYPE=MIME.get(f["kind"], "application/octet-stream"),
            SIZE=str(f["size"]),
            CHECKSUM=sha,
            CHECKSUMTYPE="SHA-256",
            ADMID="premis",
        )
        batch = next(b for b in descriptor["batches"] if b["id"] == f["batch"])
        if batch["created_at"]:
            el.set("CREATED", batch["created_at"])
        _href(etree.SubElement(el, _m("FLocat")), f["package_path"])
    pdf_grp = etree.SubElement(file_sec, _m("fileGrp"), USE="Preservation copies (PDF/A-2b)")
    text_grp = etree.SubElement(file_sec, _m("fileGrp"), USE="Page text and word boxes")
    for doc in descriptor["documents"]:
        for grp_, key, mime, prefix in (
            (pdf_grp, "pdfa", "application/pdf", "f-pdfa"),
            (text_grp, "page_file", "application/json", "f-chu"),
        ):
            sha, size = by_path[doc[key]]
            el = etree.SubElement(
                grp_,
                _m("file"),
                ID=f"{prefix}-{doc['id']}",
                MIMETYPE=mime,
                SIZE=str(size),
                CHECKSUM=sha,
                CHECKSUMTYPE="SHA-256",
            )
            _href(etree.SubElement(el, _m("FLocat")), doc[key])

    smap = etree.SubElement(
        root,
        _m("structMap"),
        TYPE="logical",
        LABEL="Hồ sơ > văn bản > trang / dossier > documents > pages",
    )
    top = smap
    if len(dossiers) > 1:
        top = etree.SubElement(smap, _m("div"), TYPE="phong", LABEL="Phông / fonds")
    for order, d in enumerate(dossiers, 1):
        hs = etree.SubElement(
            top,
            _m("div"),
            TYPE="ho-so",
            ORDER=str(order),
            LABEL=d["title"] or d["code"],
            DMDID="dmd-mo-ta-json dmd-mo-ta-csv",
            CONTENTIDS=f"urn:sohoa:dossier:{d['id']}",
        )
        for doc in (x for x in descriptor["documents"] if x["dossier"] == d["id"]):
            vb = etree.SubElement(
                hs,
                _m("div"),
                TYPE="van-ban",
                ORDER=str(doc["DocOrdinal"]),
                LABEL=doc["title"],
                DMDID=f"dmd-vb-{doc['id']}",
                ADMID="premis",
                CONTENTIDS=f"urn:sohoa:document:{doc['id']}",
            )
            etree.SubElement(vb, _m("fptr"), FILEID=f"f-pdfa-{doc['id']}")
            etree.SubElement(vb, _m("fptr"), FILEID=f"f-chu-{doc['id']}")
            for page in doc["pages"]:
                tr = etree.SubElement(
                    vb,
                    _m("div"),
                    TYPE="trang",
                    ORDER=str(page["ordinal"]),
                    LABEL=f"{page['source_path']}, trang {page['source_page']}",
                )
                if page["sha256"] in file_ids:
                    fptr = etree.SubElement(tr, _m("fptr"))
                    # BEGIN/END: the page (frame) within the original, 1-based.
                    etree.SubElement(
                        fptr,
                        _m("area"),
                        FILEID=file_ids[page["sha256"]],
                        BEGIN=str(page["source_page"]),
                        END=str(page["source_page"]),
                    )
    return root


def _standard_of(descriptor: dict, doc: dict) -> dict:
    return doc.get("standard") or {}


def premis_document(
    archive: Archive,
    descriptor: dict,
    originals: dict[str, dict],
    page_events: list[dict],
    engines: set[str],
    fixity_at: str,
) -> etree._Element:
    root = etree.Element(_p("premis"), nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}, version="3.0")
    root.set(
        f"{{{XSI_NS}}}schemaLocation",
        f"{PREMIS_NS} https://www.loc.gov/standards/premis/premis.xsd",
    )
    for sha, f in sorted(originals.items()):
        obj = etree.SubElement(root, _p("object"))
        obj.set(f"{{{XSI_NS}}}type", "premis:file")
        ident = etree.SubElement(obj, _p("objectIdentifier"))
        etree.SubElement(ident, _p("objectIdentifierType")).text = "SHA-256"
        etree.SubElement(ident, _p("objectIdentifierValue")).text = sha
        ch = etree.SubElement(obj, _p("objectCharacteristics"))
        etree.SubElement(ch, _p("compositionLevel")).text = "0"
        fix = etree.SubElement(ch, _p("fixity"))
        etree.SubElement(fix, _p("messageDigestAlgorithm")).text = "SHA-256"
        etree.SubElement(fix, _p("messageDigest")).text = sha
        etree.SubElement(ch, _p("size")).text = str(f["size"])
        fmt = etree.SubElement(etree.SubElement(ch, _p("format")), _p("formatDesignation"))
        etree.SubElement(fmt, _p("formatName")).text = MIME.get(
            f["kind"], "application/octet-stream"
        )
        etree.SubElement(obj, _p("originalName")).text = f["rel_path"]

    software = f"sohoa {descriptor['sohoa']}"
    agents: dict[str, tuple[str, str]] = {software: ("agent-sohoa", "software")}
    for n, engine in enumerate(sorted(e for e in engines if e), 1):
        agents[engine] = (f"agent-ocr-{n}", "software")
    people = sorted({c["who"] for d in descriptor["documents"] for c in d["corrections"]})
    for n, who in enumerate(people, 1):
        agents[f"person:{who}"] = (f"agent-nguoi-{n}", "person")
    counter = iter(range(1, 1 << 30))

    def event(
        kind: str,
        when: str,
        detail: str,
        agent: str,
        role: str,
        objects: Iterable[tuple[str, str]],
        outcome: str = "success",
    ) -> None:
        ev = etree.SubElement(root, _p("event"))
        ident = etree.SubElement(ev, _p("eventIdentifier"))
        etree.SubElement(ident, _p("eventIdentifierType")).text = "local"
        etree.SubElement(ident, _p("eventIdentifierValue")).text = f"ev-{next(counter)}"
        etree.SubElement(ev, _p("eventType")).text = kind
        etree.SubElement(ev, _p("eventDateTime")).text = when or descriptor["created"]
        info = etree.SubElement(ev, _p("eventDetailInformation"))
        etree.SubElement(info, _p("eventDetail")).text = detail
        out = etree.SubElement(ev, _p("eventOutcomeInformation"))
        etree.SubElement(out, _p("eventOutcome")).text = outcome
        link = etree.SubElement(ev, _p("linkingAgentIdentifier"))
        etree.SubElement(link, _p("linkingAgentIdentifierType")).text = "local"
        etree.SubElement(link, _p("linkingAgentIdentifierValue")).text = agents[agent][0]
        etree.SubElement(link, _p("linkingAgentRole")).text = role
        for kind_, value in objects:
            obj = etree.SubElement(ev, _p("linkingObjectIdentifier"))
            etree.SubElement(obj, _p("linkingObjectIdentifierType")).text = kind_
            etree.SubElement(obj, _p("linkingObjectIdentifierValue")).text = value

    batches = {b["id"]: b for b in descriptor["batches"]}
    for sha, f in sorted(originals.items()):
        b = batches[f["batch"]]
        event(
            "ingestion",
            b["created_at"] or "",
            f"{f['rel_path']} của lô {b['name']} lưu nguyên vẹn dưới SHA-256 / kept byte for byte",
            software,
            "executing program",
            [("SHA-256", sha)],
        )
    for p in page_events:
        event(
            "optical character recognition",
            p["at"],
            f"{p['path']}, trang {p['page']}: {p['engine']}, độ tin cậy / confidence "
            f"{p['confidence']:.1f}",
            p["engine"] if p["engine"] else software,
            "executing program",
            [("SHA-256", p["sha256"])],
        )
    for d in descriptor["documents"]:
        event(
            "metadata extraction",
            d["updated_at"] or "",
            f"{d['DocCode']}: văn bản cắt từ các trang và trích xuất siêu dữ liệu (lần cuối) / "
            "cut from the pages, metadata extracted (latest)",
            software,
            "executing program",
            [("DocCode", d["DocCode"])],
        )
        for c in d["corrections"]:
            event(
                "metadata modification",
                c["at"] or "",
                f"{d['DocCode']}: {c['field']} = {c['value']!r}",
                f"person:{c['who']}",
                "implementer",
                [("DocCode", d["DocCode"])],
            )
    for sha, checked_at, status in _signature_checks(archive, list(originals)):
        event(
            "digital signature validation",
            checked_at,
            f"{originals[sha]['rel_path']}: {status}",
            software,
            "validator",
            [("SHA-256", sha)],
        )
    for sha, f in sorted(originals.items()):
        event(
            "fixity check",
            fixity_at,
            f"{f['rel_path']}: SHA-256 tính lại khi đóng gói, khớp / "
            "recomputed while packing, matches",
            software,
            "validator",
            [("SHA-256", sha)],
        )
    codes = [d["code"] for d in descriptor["dossiers"]]
    event(
        "information package creation",
        descriptor["created"],
        f"gói chuyển giao / transfer package of {', '.join(codes)}"
        f"; {len(descriptor['documents'])} văn bản, {descriptor['documents_left_out']} để lại "
        f"(trên mức {descriptor['clearance']}) / left out (above the clearance)",
        software,
        "executing program",
        [],
    )
    for name, (ident_, kind) in agents.items():
        ag = etree.SubElement(root, _p("agent"))
        ident = etree.SubElement(ag, _p("agentIdentifier"))
        etree.SubElement(ident, _p("agentIdentifierType")).text = "local"
        etree.SubElement(ident, _p("agentIdentifierValue")).text = ident_
        etree.SubElement(ag, _p("agentName")).text = name.removeprefix("person:")
        etree.SubElement(ag, _p("agentType")).text = kind
    return root


def _signature_checks(archive: Archive, shas: list[str]) -> list[tuple[str, str, str]]:
    """(file, when checked, outcome) for each signed original, as the store last checked it."""
    found = files_signatures(archive, shas)
    out = []
    for sha, checked in sorted(found.items()):
        signers = ", ".join(c.signer_cn for c in checked.signatures if c.signer_cn)
        outcome = checked.status + (f" ({signers})" if signers else "")
        out.append(
            (sha, checked.checked_at, outcome + (f": {checked.error}" if checked.error else ""))
        )
    return out
