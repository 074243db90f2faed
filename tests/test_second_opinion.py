"""The second opinion (real AsterOCR on real rendered crops), word provenance in the store, the
other readings in search, and the column reading order."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archive_store.words import decode_words, encode_words
from indexer.backend import ENGINES, open_index, rebuild_index
from indexer.types import IndexedDocument, IndexedPage
from ocr.page import ocr_page
from ocr.reading_order import by_columns
from ocr.recognizers import Reading, get_recognizer
from ocr.second_opinion import (
    SWITCH_ENV,
    enabled,
    merge,
    retext,
    searchable_alternates,
    second_opinion,
)
from ocr.tesseract import run_tesseract
from ocr.types import Word
from scripts.synth import cer, page_text, render_page, state_document

LINES = [
    "Căn cứ quyết định số 15 về tổ chức bộ máy",
    "của Ủy ban nhân dân tỉnh về việc điều chỉnh.",
]


@pytest.fixture(scope="module")
def rendered() -> tuple[np.ndarray, str, list[Word]]:
    """Two printed lines at 300 dpi and Tesseract's reading of them (its one run)."""
    image = np.asarray(render_page(LINES))
    text, words = run_tesseract(image, dpi=300)
    assert [w.text for w in words] == " ".join(LINES).split()  # Tesseract reads them right
    return image, text, words


def _spoil(words: list[Word], changes: dict[str, tuple[str, float]]) -> list[Word]:
    """Tesseract's words with some read wrong, as it reads real scans (same box, other text)."""
    return [
        dataclasses.replace(w, text=changes[w.text][0], conf=changes[w.text][1])
        if w.text in changes
        else w
        for w in words
    ]


def test_asterocr_rereads_dropped_marks_and_keeps_both_readings(rendered) -> None:
    image, text, words = rendered
    # Marks lost as on real scans: unsure words, and one Tesseract is sure of that cannot be
    # Vietnamese as read ("quyêt").
    spoiled = _spoil(words, {"tổ": ("tô", 71.0), "số": ("sô", 62.0), "quyết": ("quyêt", 95.0)})
    outcome = second_opinion(image, spoiled)
    by_text = {w.text: w for w in outcome.words}
    for right, wrong in (("tổ", "tô"), ("số", "sô"), ("quyết", "quyêt")):
        word = by_text[right]
        assert (word.engine, word.alt_text, word.disputed) == ("asterocr", wrong, True)
        assert word.conf >= 90  # AsterOCR's own sureness, Tesseract's kept beside it
    # 2 unsure words in 20 make a hard page: sure words with a bare â ê ô are re-read too
    # ("nhân", "dân"), and where both readings agree nothing changes.
    assert outcome.taken == 3 and outcome.reread == 5
    assert outcome.recognizer.startswith("asterocr ")
    assert [w for w in outcome.words if w.engine == "tesseract"] == [
        w for w in words if w.text not in ("tổ", "số", "quyết")
    ]
    assert retext(text, spoiled, outcome.words) == text


def test_other_letters_need_a_third_reading_to_agree(rendered) -> None:
    image, _, words = rendered
    spoiled = _spoil(words, {"bộ": ("hộ", 60.0)})
    word = next(w for w in second_opinion(image, spoiled).words if w.left == spoiled[9].left)
    # AsterOCR reads "bộ" (other letters, not only marks); Tesseract's line mode on the crop
    # reads "bộ" too: two of three readings agree.
    assert (word.text, word.engine, word.alt_text) == ("bộ", "asterocr", "hộ")


def test_a_second_reading_that_is_no_vietnamese_is_refused() -> None:
    tess = Word("Ủy", 0, 0, 40, 30, 64.0, 0)
    kept = merge(tess, Reading("Ủỵ", 97.0))  # two tone marks: ill-formed
    assert (kept.text, kept.engine, kept.alt_text) == ("Ủy", "tesseract", "Ủỵ")
    unsure = merge(Word("đẩy", 0, 0, 40, 30, 83.0, 0), Reading("đầy", 92.0))
    assert unsure.engine == "asterocr"  # sure enough, well-formed, marks only
    timid = merge(Word("đẩy", 0, 0, 40, 30, 83.0, 0), Reading("đầy", 60.0))
    assert (timid.text, timid.alt_text) == ("đẩy", "đầy")
    # An abbreviation: only D -> Đ; punctuation stays as Tesseract read it.
    assert merge(Word("HDND,", 0, 0, 80, 30, 79.0, 0), Reading("HĐND", 96.0)).text == "HĐND,"
    # Capitals where Tesseract saw small letters are another word, not another mark.
    assert merge(Word("tô", 0, 0, 40, 30, 80.0, 0), Reading("Tổ", 99.0)).engine == "tesseract"


def test_searchable_alternates_leave_noise_out() -> None:
    words = [
        Word("máy", 0, 0, 10, 10, 99.0, 0, "asterocr", "mấy", 70.0),
        Word("Tôi", 20, 0, 10, 10, 55.0, 0, "tesseract", "$ỗỉ", 42.0),
        Word("qoán", 40, 0, 10, 10, 0.0, 0, "tesseract", "toán", 86.0),
        Word("và", 60, 0, 10, 10, 96.0, 0),
    ]
    assert searchable_alternates(words) == (("máy", "mấy"), ("qoán", "toán"))


def test_switched_off_tesseract_alone(tmp_path: Path, monkeypatch, rendered) -> None:
    path = tmp_path / "trang.png"
    Image.fromarray(rendered[0]).save(path, dpi=(300, 300))
    monkeypatch.setenv(SWITCH_ENV, "off")
    assert not enabled()
    result = ocr_page(path, 0)
    assert "asterocr" not in result.engine
    assert all(w.engine == "tesseract" and not w.alt_text for w in result.words)
    monkeypatch.setenv(SWITCH_ENV, "maybe")
    with pytest.raises(ValueError, match="SOHOA_OCR_SECOND_OPINION must be on or off"):
        enabled()


def test_the_model_loads_once_per_process() -> None:
    assert get_recognizer() is get_recognizer()
    assert get_recognizer("tesseract-line") is get_recognizer("tesseract-line")


def test_crops_read_together_read_as_each_alone(rendered, monkeypatch) -> None:
    # Crops of one width share a model call; each must read as it reads alone (no padding, no
    # influence of the words beside it in the batch), in the order given.
    image, _, words = rendered
    crops = [
        image[w.top - 6 : w.top + w.height + 6, w.left - 6 : w.left + w.width + 6] for w in words
    ]
    crops += crops[:3]
    aster = get_recognizer()
    alone = [aster.read([c])[0] for c in crops]
    calls = []
    session = aster._session
    monkeypatch.setattr(aster, "_session", _Counting(session, calls))
    assert aster.read(crops) == alone
    assert len(calls) == len({aster._prepare(c).shape[-1] for c in crops}) < len(crops)
    assert sum(r.text == w.text for r, w in zip(alone, words, strict=False)) >= len(words) - 2


class _Counting:
    """The model's session, counting its calls."""

    def __init__(self, session, calls: list[int]) -> None:
        self.session, self.calls = session, calls

    def run(self, outputs, feeds):
        self.calls.append(len(next(iter(feeds.values()))))
        return self.session.run(outputs, feeds)


def test_words_keep_their_provenance_in_the_store() -> None:
    words = (
        Word("Tỉnh", 10, 20, 30, 40, 96.5, 0),
        Word("số", 50, 20, 30, 40, 99.8, 0, "asterocr", "sô", 62.0),
        Word("máy", 10, 80, 30, 40, 88.0, 1, "tesseract", "mấy", 71.3),
    )
    assert decode_words(encode_words(words)) == words
    assert decode_words(encode_words(())) == ()


def test_word_blobs_written_before_the_second_opinion_still_read() -> None:
    # encode_words of sohoa 0.1 (format SW1) for Tỉnh / ủy, / máy.
    old = bytes.fromhex(
        "535731789c63666060e0026223282d02c501402c87843590300c3002f151660686134c0c0c05403ae4e1"
        "eecebc0cf987bb9757eac8e71e5e580900eb6f0c59"
    )
    assert decode_words(old) == (
        Word("Tỉnh", 10, 20, 30, 40, 96.5, 0),
        Word("ủy,", 50, 20, 30, 40, 71.2, 0),
        Word("máy", 10, 80, 30, 40, 88.0, 1),
    )


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_search_finds_the_other_reading_at_the_same_position(tmp_path: Path, engine) -> None:
    def doc(doc_id: int, text: str, alternates: tuple[tuple[str, str], ...]) -> IndexedDocument:
        page = IndexedPage(1, text, alternates)
        return IndexedDocument(doc_id, f"Văn bản {doc_id}", 0, (page,), "v1")

    rebuild_index(
        tmp_path / "index",
        [
            doc(1, "Tôi thấy máy bay, V/v nâng cao", (("máy", "mấy"),)),
            doc(2, "Một chiếc máy bay khác", ()),
        ],
        engine=engine,
    )
    index = open_index(tmp_path / "index")
    try:

        def found(query: str) -> list[int]:
            return sorted(hit.doc_id for hit in index.search(query, facets=False).hits)

        assert found("mấy") == [1]  # the other reading, only where OCR disagreed
        assert found("máy") == [1, 2] and found("may") == [1, 2]
        assert found('"thấy mấy bay"') == [1] and found('"thấy máy bay"') == [1]
        assert found("mây") == [] and found('"mấy thấy"') == []
        assert found('"V/v nâng cao"') == [1]
    finally:
        index.close()


def test_nơi_nhận_and_the_signature_are_read_by_column(tmp_path: Path) -> None:
    document = state_document(5, kind="QĐ", body="UBND", number=15, province="Bắc Giang")
    page = document.pages[-1]
    path = tmp_path / "trang.png"
    render_page(page).save(path, dpi=(300, 300))
    result = ocr_page(path, 0)
    text = result.text
    assert cer(page_text(page), text) < 0.01
    lines = text.splitlines()
    recipients = lines.index("Nơi nhận:")
    signer = next(i for i, line in enumerate(lines) if line.startswith(("KT.", "TM.")))
    assert recipients < signer and lines[recipients + 1].startswith("- ")
    assert lines[signer - 1].startswith("- Lưu")  # the whole list before the signature block
    # Lines are numbered in the new order, so text and words still join up.
    assert [" ".join(w.text for w in result.words if w.line == n) for n in range(3)] == [
        line for line in lines if line
    ][:3]


def test_a_page_without_columns_is_left_as_read(rendered) -> None:
    _, text, words = rendered
    assert by_columns(text, words) == (text, tuple(words))


def test_the_review_queue_shows_what_the_engines_disagreed_on(archive) -> None:
    import dataclasses as dc

    from archive_store import store
    from pipeline.review import pages_to_review
    from sohoa.access import AccessLevel
    from tests.test_store import page

    words = (
        Word("số", 50, 20, 30, 40, 99.8, 0, "asterocr", "sô", 62.0),
        Word("máy", 10, 80, 30, 40, 88.0, 1, "tesseract", "mấy", 71.3),
        Word("và", 90, 80, 30, 40, 97.0, 1),
    )
    flagged = dc.replace(page(), words=words, needs_review=True, review_reasons=("low_confidence",))
    store.save_page(archive, "d" * 64, 1, flagged)
    (item,) = pages_to_review(archive, clearance=AccessLevel.tuyet_mat)
    assert [(d.text, d.engine, d.other, d.box) for d in item.disputed] == [
        ("số", "asterocr", "sô", (50, 20, 30, 40)),
        ("máy", "tesseract", "mấy", (10, 80, 30, 40)),
    ]


def test_a_blank_page_is_not_ocred_but_a_lone_mark_is(tmp_path: Path) -> None:
    blank = tmp_path / "trang-trang.png"
    Image.new("L", (2480, 3508), 250).save(blank, dpi=(300, 300))
    result = ocr_page(blank, 0)
    assert (result.text, result.words) == ("", ())
    assert result.ocr_seconds < 0.1  # no Tesseract run (one takes 0.3 s or more on any page)
    assert result.review_reasons == ("empty_page",)
    marked = tmp_path / "chi-co-dau-mat.png"
    render_page(["MẬT"]).save(marked, dpi=(300, 300))
    assert ocr_page(marked, 0).text == "MẬT"
