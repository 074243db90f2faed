"""What real office scans do to the header, on pages built for it (rendered, real Tesseract):
a digital-signature box over the header, a number and a day written by hand, a four-line
subject, a number cited in the body before a blank own number."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from extract.metadata import DocumentMetadata, PageText, extract_metadata
from ocr.page import ocr_page
from scripts import synth
from scripts.synth import Block, Line

SMALL = Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf")
HAND = Path("/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf")
"""Zapf Chancery (fonts-urw-base35, which ghostscript brings): a pen-like hand for the digits."""


def _page(blocks: tuple[Block, ...], top: float = 0.42) -> Image.Image:
    """The page drawn and cut to its top part (the header and subject: what is read there)."""
    img = synth.render_page(synth.SynthPage(blocks))
    cut = img.crop((0, 0, img.width, int(img.height * top)))
    cut.info["dpi"] = img.info["dpi"]
    return cut


def _read(img: Image.Image, tmp: Path) -> DocumentMetadata:
    path = tmp / "trang.png"
    img.save(path, dpi=img.info["dpi"])
    result = ocr_page(path, 0)
    return extract_metadata([PageText(result.text, result.words)])


def _with_blank_number(doc: synth.SynthDocument) -> tuple[Block, ...]:
    """The first page with the number and the day left blank, as printed before signing."""
    so_ky_hieu, day = doc.metadata["so_ky_hieu"], doc.metadata["ngay_ban_hanh"][8:]
    blank_so = "Số:         /" + so_ky_hieu.split("/")[1]
    blocks = []
    for block in doc.pages[0].blocks:
        lines = tuple(
            dataclasses.replace(
                ln,
                text=ln.text.replace(f"Số: {so_ky_hieu}", blank_so).replace(
                    f"ngày {day} tháng", "ngày          tháng"
                ),
            )
            for ln in block.lines
        )
        blocks.append(dataclasses.replace(block, lines=lines))
    return tuple(blocks)


def _signature_box(img: Image.Image, signed: str) -> None:
    """A digital-signature appearance box above the header, top right, as scans carry it."""
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(SMALL), 30)
    x, y = int(img.width * 0.62), 40
    lines = [
        "Ký bởi: Ủy ban nhân dân tỉnh Phú Thọ",
        "Cơ quan: Tỉnh Phú Thọ",
        f"Thời gian ký: {signed} 09:08:01",
    ]
    for i, text in enumerate(lines):
        draw.text((x + 12, y + 8 + i * 38), text, font=font, fill=40)
    draw.rectangle((x, y, img.width - 40, y + 8 + len(lines) * 38 + 8), outline=90, width=3)


def _write_by_hand(img: Image.Image, tmp: Path, number: str, day: str) -> Image.Image:
    """The number and day written into their blanks in a pen-like hand, larger than the type."""
    path = tmp / "trong.png"
    img.save(path, dpi=img.info["dpi"])
    words = ocr_page(path, 0).words
    so = next(w for w in words if w.text.startswith("Số"))
    ngay = next(w for w in words if w.text.casefold() == "ngày")
    font = ImageFont.truetype(str(HAND), int(so.height * 1.7))
    out = img.copy()
    draw = ImageDraw.Draw(out)
    draw.text((so.left + so.width + 40, so.top - int(so.height * 0.45)), number, font=font, fill=70)
    draw.text((ngay.left + ngay.width + 30, ngay.top - int(ngay.height * 0.4)), day, font=font,
              fill=70)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def stamped_handwritten(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, DocumentMetadata]:
    """A state decision: signature box over the header, number and day written by hand."""
    tmp = tmp_path_factory.mktemp("modes")
    doc = synth.state_document(3, kind="QĐ", province="Phú Thọ")
    img = _page(_with_blank_number(doc))
    img = _write_by_hand(img, tmp, str(doc.metadata["so"]), doc.metadata["ngay_ban_hanh"][8:])
    _signature_box(img, "17/01/2025")
    return doc.metadata, _read(img, tmp)


def test_a_signature_box_over_the_header_is_read_apart(
    stamped_handwritten: tuple[dict, DocumentMetadata],
) -> None:
    truth, md = stamped_handwritten
    assert md.ky_so_boi.value == "Ủy ban nhân dân tỉnh Phú Thọ"
    assert md.thoi_gian_ky.value == "2025-01-17"
    # The header's fields come from the header, not from the box above it.
    assert md.co_quan_ban_hanh.value == truth["co_quan_ban_hanh"]
    assert md.trich_yeu.value == truth["trich_yeu"]
    assert md.loai.value == "Quyết định"
    for name in ("co_quan_ban_hanh", "trich_yeu", "loai", "ky_hieu", "noi_ban_hanh"):
        assert not getattr(md, name).needs_review, name


def test_a_handwritten_number_and_day_are_flagged_with_what_is_printed(
    stamped_handwritten: tuple[dict, DocumentMetadata],
) -> None:
    truth, md = stamped_handwritten
    assert md.ky_hieu.value == truth["ky_hieu"]  # printed: sure
    assert md.so_ky_hieu.needs_review and md.so_ky_hieu.review_reason == "handwritten"
    assert str(md.so_ky_hieu.value).endswith("/" + truth["ky_hieu"])
    # The day is written by hand: flagged, whatever OCR read; month and year are printed.
    assert md.ngay_ban_hanh.needs_review
    assert str(md.ngay_ban_hanh.value).startswith(truth["ngay_ban_hanh"][:7])


def test_a_four_line_subject_is_kept_whole(tmp_path: Path) -> None:
    doc = synth.state_document(8, kind="QĐ")
    subject = (
        "Về việc phê duyệt điều chỉnh dự toán kinh phí thực hiện nhiệm vụ chỉnh lý, số hóa tài "
        "liệu lưu trữ của các cơ quan, tổ chức thuộc nguồn nộp lưu vào Lưu trữ lịch sử tỉnh "
        "giai đoạn 2021 - 2025 và kế hoạch bảo quản, phục vụ khai thác sử dụng tài liệu"
    )
    lines = synth._wrap(subject, Line("", "bold", "center"), "full")
    assert len(lines) == 4
    blocks = tuple(
        dataclasses.replace(b, lines=(b.lines[0], *lines)) if b.role == "title" else b
        for b in doc.pages[0].blocks
    )
    md = _read(_page(blocks, 0.5), tmp_path)
    assert md.trich_yeu.value == subject
    assert not md.trich_yeu.needs_review


def test_a_number_cited_in_the_body_is_never_the_documents_own(tmp_path: Path) -> None:
    doc = synth.state_document(5, kind="TB")
    citation = Line(
        "Căn cứ Công văn số 2003/UBDT-VPCTMTQG ngày 01/11/2024 của Ủy ban Dân tộc, Ủy ban nhân "
        "dân tỉnh thông báo như sau:",
        "regular", "justify", indent=1.2,
    )  # fmt: skip
    blocks = [*_with_blank_number(doc)]
    title = next(i for i, b in enumerate(blocks) if b.role == "title")
    blocks.insert(title + 1, Block("body", tuple(synth._wrap(citation.text, citation, "full"))))
    md = _read(_page(tuple(blocks), 0.5), tmp_path)
    assert md.so_ky_hieu.value == "/TB-" + doc.metadata["ky_hieu"].split("-", 1)[1]
    assert md.so_ky_hieu.needs_review
    assert md.ky_hieu.value == doc.metadata["ky_hieu"]


def test_a_stamped_secrecy_mark_and_an_incoming_stamp_are_read(tmp_path: Path) -> None:
    """ "MẬT" stamped in a frame above the header drives access; "CV ĐẾN" is its own number."""
    from pipeline.documents import access_level
    from sohoa.access import AccessLevel

    doc = synth.state_document(11, kind="BC")
    img = _page(doc.pages[0].blocks)
    draw = ImageDraw.Draw(img)
    bold = ImageFont.truetype(str(SMALL.with_name("LiberationSans-Bold.ttf")), 64)
    x, y = int(img.width * 0.16), 70  # in the top margin, above the issuing body
    draw.rectangle((x - 24, y - 14, x + 210, y + 86), outline=60, width=6)
    draw.text((x, y), "MẬT", font=bold, fill=50)
    small = ImageFont.truetype(str(SMALL), 34)
    sx, sy = int(img.width * 0.66), 30
    draw.rectangle((sx - 16, sy - 10, sx + 430, sy + 150), outline=80, width=3)
    for i, text in enumerate(("CÔNG VĂN ĐẾN", "Số: 1234", "Ngày: 05/3/2021")):
        draw.text((sx, sy + i * 46), text, font=small, fill=40)
    md = _read(img, tmp_path)
    assert md.do_mat.value == "Mật"
    assert access_level(md.values(), None) == AccessLevel.mat
    assert (md.so_den.value, md.ngay_den.value) == ("1234", "2021-03-05")
    assert md.so_ky_hieu.value == doc.metadata["so_ky_hieu"]  # the stamp's number is not it


def test_ingest_takes_the_workers_readings_of_the_blanks_and_reextract_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker reads the blanks written by hand while it has the page: the cut does not load
    the page again, and the metadata is the same as when the cut reads them from the scan."""
    from archive_store import store
    from archive_store.db import Archive
    from pipeline import handwriting
    from pipeline.reextract import reextract
    from pipeline.run import IngestOptions, ingest

    doc = synth.state_document(5, kind="QĐ", province="Phú Thọ")
    img = _page(_with_blank_number(doc))
    img = _write_by_hand(img, tmp_path, str(doc.metadata["so"]), doc.metadata["ngay_ban_hanh"][8:])
    batch = tmp_path / "lo"
    batch.mkdir()
    img.save(batch / "trang.png", dpi=img.info["dpi"])
    loads: list[object] = []
    page_image = handwriting.page_image

    def counted(archive: Archive, ref: object) -> object:
        loads.append(ref)
        return page_image(archive, ref)  # type: ignore[arg-type]

    monkeypatch.setattr(handwriting, "page_image", counted)
    with Archive(tmp_path / "kho") as archive:
        report = ingest(archive, batch, IngestOptions(workers=1))
        (doc_id,) = report.documents
        ingested = store.document(archive, doc_id).extracted
        assert loads == []  # every blank's reading came with the page
        number = ingested["so_ky_hieu"]
        assert isinstance(number, dict) and number["needs_review"]
        reextract(archive)
        assert loads  # reextract has no worker: it reads the blanks from the stored scan
        assert store.document(archive, doc_id).extracted == ingested
