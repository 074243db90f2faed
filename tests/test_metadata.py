"""Metadata of Party and state documents from OCR text: conventions, OCR slips, real OCR."""

from __future__ import annotations

import json

import pytest

from extract.metadata import (
    DocumentMetadata,
    PageText,
    document_title,
    extract_metadata,
    inspection_kind,
)
from ocr.types import Word

PARTY_FIRST = """\
TỈNH ỦY BẮC GIANG ĐẢNG CỘNG SẢN VIỆT NAM
*
Số 10-ĐA/TU Bắc Giang, ngày 28 tháng 01 năm 2022
ĐỀ ÁN
nâng cao chất lượng công tác kiểm tra, giám sát của Đảng đối với tổ chức đảng và đảng viên
giai đoạn 2022 - 2025
-----
Thực hiện Nghị quyết số 15-NQ/TW ngày 01/7/2014 của Bộ Chính trị, Ban Thường vụ Tỉnh ủy
xây dựng Đề án như sau.
"""

PARTY_LAST = """\
tổ chức thực hiện nghiêm túc Đề án này./.
Nơi nhận: T/M BAN THƯỜNG VỤ
- Ban Bí thư Trung ương Đảng, PHÓ BÍ THƯ
- Các đồng chí Tỉnh ủy viên,
- Lưu Văn phòng Tỉnh ủy.
Lê Thị Thu Hồng
"""

STATE_FIRST = """\
ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH BẮC GIANG Độc lập - Tự do - Hạnh phúc
Số: 15/QĐ-UBND Bắc Giang, ngày 05 tháng 3 năm 2021
QUYẾT ĐỊNH
Về việc ban hành Quy chế quản lý hồ sơ, tài liệu điện tử
CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC GIANG
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
"""

STATE_LAST = """\
Điều 3. Quyết định này có hiệu lực kể từ ngày ký./.
Nơi nhận: TM. ỦY BAN NHÂN DÂN
- Như Điều 3; KT. CHỦ TỊCH
- Văn phòng Chính phủ; PHÓ CHỦ TỊCH
- Lưu: VT.
Nguyễn Văn Quyết
"""


def md_of(*texts: str) -> DocumentMetadata:
    return extract_metadata([PageText(t) for t in texts])


def test_party_document() -> None:
    md = md_of(PARTY_FIRST, PARTY_LAST)
    assert md.values() == {
        "loai": "Đề án",
        "so": "10",
        "ky_hieu": "ĐA/TU",
        "so_ky_hieu": "10-ĐA/TU",
        "ngay_ban_hanh": "2022-01-28",
        "noi_ban_hanh": "Bắc Giang",
        "co_quan_ban_hanh": "Tỉnh ủy Bắc Giang",
        "co_quan_cap_tren": None,
        "trich_yeu": "Nâng cao chất lượng công tác kiểm tra, giám sát của Đảng đối với tổ chức đảng"
        " và đảng viên giai đoạn 2022 - 2025",
        "quyen_han_ky": "T/M",
        "chuc_vu": "PHÓ BÍ THƯ",
        "nguoi_ky": "Lê Thị Thu Hồng",
        "noi_nhan": (
            "Ban Bí thư Trung ương Đảng",
            "Các đồng chí Tỉnh ủy viên",
            "Lưu Văn phòng Tỉnh ủy",
        ),
        "do_mat": None,
        "do_khan": None,
        "so_trang": 2,
        **{name: None for name in ("ky_so_boi", "thoi_gian_ky", "so_den", "ngay_den")},
    }
    assert md.so_ky_hieu.page == 0 and md.nguoi_ky.page == 1
    assert document_title(md, "x") == f"Đề án 10-ĐA/TU: {md.trich_yeu.value}"


def test_state_document() -> None:
    md = md_of(STATE_FIRST, STATE_LAST)
    v = md.values()
    assert (v["loai"], v["so"], v["ky_hieu"], v["so_ky_hieu"]) == (
        "Quyết định", "15", "QĐ-UBND", "15/QĐ-UBND",
    )  # fmt: skip
    assert v["co_quan_ban_hanh"] == "Ủy ban nhân dân tỉnh Bắc Giang"
    assert v["ngay_ban_hanh"] == "2021-03-05" and v["noi_ban_hanh"] == "Bắc Giang"
    assert v["trich_yeu"] == "Về việc ban hành Quy chế quản lý hồ sơ, tài liệu điện tử"
    assert (v["quyen_han_ky"], v["chuc_vu"], v["nguoi_ky"]) == (
        "TM.", "PHÓ CHỦ TỊCH", "Nguyễn Văn Quyết",
    )  # fmt: skip
    assert v["noi_nhan"] == ("Như Điều 3", "Văn phòng Chính phủ", "Lưu: VT")


@pytest.mark.parametrize(
    ("line", "so_ky_hieu"),
    [
        ("Số 10-ĐA/TU", "10-ĐA/TU"),
        ("Số 10-DA/TU", "10-ĐA/TU"),  # Đ read as D
        ("Số 10-ÐA/TU", "10-ĐA/TU"),  # Đ read as Ð (U+00D0)
        ("Số 10-ĐAITU", "10-ĐA/TU"),  # "/" fused into the letters
        ("Số 10-ĐAlTU", "10-ĐA/TU"),
        ("Sô 10-ĐA/TỤ", "10-ĐA/TU"),  # stray tone marks
        ("Số 1O-ĐA/TU", "10-ĐA/TU"),  # O for 0
        ("Số 24-TB/UBKTTU", "24-TB/UBKTTU"),
        ("Số 5-QĐi/TU", "5-QĐi/TU"),
        ("Số 7-CTr/HU", "7-CTr/HU"),
        ("Số 3-BS/VPTU", "3-BS/VPTU"),
        ("Số 12-HD/BTCTW", "12-HD/BTCTW"),
        ("Số: 15/QĐ-UBND", "15/QĐ-UBND"),
        ("Số: 15/QD-UBND", "15/QĐ-UBND"),
        ("Số: 15IQĐ-UBND", "15/QĐ-UBND"),  # the state's slash read as I
        ("Số: 123/UBND-VP", "123/UBND-VP"),  # công văn: no type code
        ("Số: 15/2022/QĐ-UBND", "15/2022/QĐ-UBND"),
    ],
)
def test_symbol_despite_ocr_slips(line: str, so_ky_hieu: str) -> None:
    md = md_of(f"TỈNH ỦY BẮC GIANG\n{line}\nnội dung")
    assert md.so_ky_hieu.value == so_ky_hieu
    assert 0 < md.so_ky_hieu.confidence <= 1


def test_repaired_symbol_is_less_sure() -> None:
    clean = md_of("TỈNH ỦY BẮC GIANG\nSố 10-ĐA/TU").so_ky_hieu.confidence
    fused = md_of("TỈNH ỦY BẮC GIANG\nSố 10-ĐAITU").so_ky_hieu.confidence
    assert fused < clean


def test_type_line_settles_a_misread_type_code() -> None:
    md = md_of("TỈNH ỦY BẮC GIANG\nSố 312-QĐĐ/TU\nQUYẾT ĐỊNH\nvề việc thành lập Đoàn kiểm tra")
    assert (md.so_ky_hieu.value, md.loai.value) == ("312-QĐ/TU", "Quyết định")


@pytest.mark.parametrize(
    ("header", "body", "superior"),
    [
        (
            "TỈNH ỦY BẮC GIANG\nỦY BAN KIỂM TRA",
            "Ủy ban Kiểm tra Tỉnh ủy Bắc Giang",
            "Tỉnh ủy Bắc Giang",
        ),
        (
            "TỈNH UỶ BẮC GIANG\nUỶ BAN KIỂM TRA",
            "Ủy ban Kiểm tra Tỉnh ủy Bắc Giang",
            "Tỉnh ủy Bắc Giang",
        ),
        ("TINH UY BAC GIANG\nBAN TO CHUC", "Ban Tổ chức Tỉnh ủy Bắc Giang", "Tỉnh ủy Bắc Giang"),
        ("ĐẢNG BỘ TỈNH BẮC GIANG\nHUYỆN ỦY LỤC NAM", "Huyện ủy Lục Nam", "Đảng bộ tỉnh Bắc Giang"),
        ("BAN CHẤP HÀNH TRUNG ƯƠNG", "Ban Chấp hành Trung ương", None),
        (
            "BAN CHẤP HÀNH TRUNG ƯƠNG\nVĂN PHÒNG",
            "Văn phòng Trung ương Đảng",
            "Ban Chấp hành Trung ương",
        ),
        (
            "BAN CHẤP HÀNH TRUNG ƯƠNG\nBAN TỔ CHỨC",
            "Ban Tổ chức Trung ương",
            "Ban Chấp hành Trung ương",
        ),
        (
            "- ĐẢNG BỘ TỈNH HÀ NAM\nĐẢNG ỦY KHỐI CÁC CƠ QUAN",
            "Đảng ủy Khối các cơ quan tỉnh Hà Nam",
            "Đảng bộ tỉnh Hà Nam",
        ),
        (
            "UBND TỈNH BẮC GIANG\nSỞ NỘI VỤ",
            "Sở Nội vụ tỉnh Bắc Giang",
            "Ủy ban nhân dân tỉnh Bắc Giang",
        ),
        ("ỦY BAN NHÂN DÂN\nHUYỆN LỤC NAM", "Ủy ban nhân dân huyện Lục Nam", None),
    ],
)
def test_issuing_body_from_the_header(header: str, body: str, superior: str | None) -> None:
    md = md_of(f"{header}\n*\nSố 1-TB/TU\nnội dung")
    assert md.co_quan_ban_hanh.value == body
    assert md.co_quan_cap_tren.value == superior


def test_interleaved_header_columns() -> None:
    # Tesseract ran the two header columns into one line each.
    md = md_of(
        "TỈNH ỦY BẮC GIANG ĐẢNG CỘNG SẢN VIỆT NAM\nỦY BAN KIỂM TRA\n*\n"
        "Số 24-TB/UBKTTU Bắc Giang, ngày 15 tháng 3 năm 2023\nTHÔNG BÁO\nkết luận kiểm tra"
    )
    assert md.co_quan_ban_hanh.value == "Ủy ban Kiểm tra Tỉnh ủy Bắc Giang"
    assert (md.so_ky_hieu.value, md.ngay_ban_hanh.value) == ("24-TB/UBKTTU", "2023-03-15")
    assert md.noi_ban_hanh.value == "Bắc Giang"
    assert inspection_kind(md) == "thong_bao_ket_luan"


@pytest.mark.parametrize(
    ("line", "iso", "flagged"),
    [
        ("Bắc Giang, ngày 28 tháng 01 năm 2022", "2022-01-28", False),
        ("Bắc Giang, ngay 28 thang 01 nam 2022", "2022-01-28", False),  # tone marks dropped
        ("Bắc Giang, ngảy 2S tháng 0l năm 2022", "2022-01-25", True),  # letters for digits
        # No such day: nothing invented, the printed month and year, flagged for a person.
        ("Bắc Giang, ngày 31 tháng 02 năm 2022", "2022-02", True),
    ],
)
def test_place_and_date(line: str, iso: str, flagged: bool) -> None:
    md = md_of(f"TỈNH ỦY BẮC GIANG\nSố 3-CV/TU {line}\nV/v tổ chức hội nghị")
    assert md.ngay_ban_hanh.value == iso
    assert md.noi_ban_hanh.value == "Bắc Giang"  # also when the date itself is unreadable
    assert md.ngay_ban_hanh.needs_review == flagged


def test_cong_van_subject_after_v_v() -> None:
    md = md_of(
        "TỈNH ỦY BẮC GIANG ĐẢNG CỘNG SẢN VIỆT NAM\n*\n"
        "Số 3-CV/TU Bắc Giang, ngày 02 tháng 3 năm 2022\nV/v tổ chức hội nghị sơ kết\n"
        "Kính gửi: Các huyện ủy, thành ủy trực thuộc"
    )
    assert (md.loai.value, md.trich_yeu.value) == ("Công văn", "Tổ chức hội nghị sơ kết")


@pytest.mark.parametrize(
    ("marks", "do_mat", "do_khan"),
    [
        ("MẬT", "Mật", None),
        ("TỐI MẬT\nTHƯỢNG KHẨN", "Tối mật", "Thượng khẩn"),
        ("TUYỆT MẬT\nHỎA TỐC", "Tuyệt mật", "Hỏa tốc"),
        ("MAT\nHOA TOC", "Mật", "Hỏa tốc"),  # diacritics lost
        ("KHẨN", None, "Khẩn"),
        ("", None, None),
    ],
)
def test_secrecy_and_urgency(marks: str, do_mat: str | None, do_khan: str | None) -> None:
    md = md_of(f"TỈNH ỦY BẮC GIANG\nSố 1-CT/TU\n{marks}\nCHỈ THỊ\nvề bảo vệ bí mật nhà nước")
    assert (md.do_mat.value, md.do_khan.value) == (do_mat, do_khan)
    assert md.do_mat.confidence == (0.0 if do_mat is None else md.do_mat.confidence)


def test_bi_mat_in_a_sentence_is_no_mark() -> None:
    md = md_of("TỈNH ỦY BẮC GIANG\nSố 1-CT/TU\nCông tác BẢO VỆ BÍ MẬT nhà nước\nCHỈ THỊ\nvề x")
    assert md.do_mat.value is None


@pytest.mark.parametrize(
    ("block", "quyen", "chuc_vu"),
    [
        ("T/M BAN THƯỜNG VỤ\nBÍ THƯ", "T/M", "BÍ THƯ"),
        ("K/T BÍ THƯ\nPHÓ BÍ THƯ", "K/T", "PHÓ BÍ THƯ"),
        ("KIT BÍ THƯ\nPHÓ BÍ THƯ", "K/T", "PHÓ BÍ THƯ"),  # "/" read as I
        ("T/L BAN THƯỜNG VỤ\nCHÁNH VĂN PHÒNG", "T/L", "CHÁNH VĂN PHÒNG"),
        ("TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH", "TM.", "CHỦ TỊCH"),
        ("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", "KT.", "PHÓ GIÁM ĐỐC"),
        ("TL. CHỦ TỊCH\nCHÁNH VĂN PHÒNG", "TL.", "CHÁNH VĂN PHÒNG"),
        ("TUQ. CHỦ TỊCH\nGIÁM ĐỐC SỞ NỘI VỤ", "TUQ.", "GIÁM ĐỐC"),
        ("TRƯỞNG BAN", None, "TRƯỞNG BAN"),  # the head signs in person
    ],
)
def test_signature_block(block: str, quyen: str | None, chuc_vu: str) -> None:
    # The seal splits the block: its residue lies between the title and the name.
    last = f"nội dung cuối./.\n{block}\nễ ÌxtyĂ\n⁄\nTrần Văn Bằng\n"
    md = md_of("TỈNH ỦY BẮC GIANG\nSố 1-TB/TU\nTHÔNG BÁO\nvề x", last)
    assert (md.quyen_han_ky.value, md.chuc_vu.value, md.nguoi_ky.value) == (
        quyen, chuc_vu, "Trần Văn Bằng",
    )  # fmt: skip


def test_nothing_found_is_none_with_zero_confidence() -> None:
    md = extract_metadata([PageText("")])
    for name, fv in md.as_dict().items():
        if name != "so_trang":
            # Nothing read: the fields every document prints say a person must look.
            core = name in ("loai", "so_ky_hieu", "ngay_ban_hanh", "noi_ban_hanh",
                            "co_quan_ban_hanh", "trich_yeu", "nguoi_ky")  # fmt: skip
            reason = "not_found" if core else None
            assert fv == {"value": None, "confidence": 0.0, "page": None, "region": None,
                          "needs_review": core, "review_reason": reason}  # fmt: skip
    assert md.so_trang.value == 1
    assert extract_metadata([]) == DocumentMetadata()
    assert document_title(md, "hoso.pdf") == "hoso.pdf"


def _words(lines: list[str]) -> tuple[Word, ...]:
    """Word boxes as Tesseract gives them: 40 px per character, 60 px per line."""
    out = []
    for n, line in enumerate(lines):
        x = 100 if not line.startswith("  ") else 1300
        for word in line.split():
            out.append(Word(word, x, 100 + 60 * n, 40 * len(word), 45, 91.0, n))
            x += 40 * len(word) + 20
    return tuple(out)


def test_region_and_confidence_from_word_boxes() -> None:
    lines = ["TỈNH ỦY BẮC GIANG", "  ĐẢNG CỘNG SẢN VIỆT NAM", "Số 10-ĐA/TU", "ĐỀ ÁN", "về x"]
    page = PageText("\n".join(lines), _words(lines))
    md = extract_metadata([page])
    assert md.so_ky_hieu.value == "10-ĐA/TU"
    # "Số 10-ĐA/TU" is the third line: the region is the word "10-ĐA/TU" after "Số".
    assert md.so_ky_hieu.region == (200, 220, 40 * 8, 45)
    assert md.so_ky_hieu.confidence == pytest.approx(0.91, abs=0.01)
    assert json.loads(json.dumps(md.as_dict()))["so_ky_hieu"]["region"] == [200, 220, 320, 45]


def test_spelling_variants_kept_for_display() -> None:
    md = md_of("TỈNH UỶ BẮC GIANG\nSố 1-TB/TU\nTHÔNG BÁO\nkết luận về công tác của Tỉnh uỷ")
    assert md.co_quan_ban_hanh.value == "Tỉnh ủy Bắc Giang"  # built from the tables
    assert md.trich_yeu.value == "Kết luận về công tác của Tỉnh uỷ"  # as printed


def test_inspection_documents_recognized_by_type() -> None:
    head = "TỈNH ỦY BẮC GIANG\nỦY BAN KIỂM TRA\n*\nSố 5-{code}/UBKTTU\n{title}\n{subject}"
    cases = {
        ("QĐ", "QUYẾT ĐỊNH", "về việc kiểm tra Ban Thường vụ Huyện ủy"): "quyet_dinh_kiem_tra",
        ("KH", "KẾ HOẠCH", "kiểm tra đối với Ban Thường vụ Huyện ủy"): "ke_hoach_kiem_tra",
        ("BC", "BÁO CÁO", "kết quả kiểm tra đối với Huyện ủy"): "bao_cao_ket_qua_kiem_tra",
        ("TB", "THÔNG BÁO", "kết luận kiểm tra đối với Huyện ủy"): "thong_bao_ket_luan",
        ("BB", "BIÊN BẢN", "họp Đoàn kiểm tra"): "bien_ban",
    }
    for (code, title, subject), kind in cases.items():
        md = md_of(head.format(code=code, title=title, subject=subject))
        assert inspection_kind(md) == kind, (code, md.values())
    assert inspection_kind(md_of(PARTY_FIRST)) is None


@pytest.fixture(scope="module")
def live_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, PageText]]:
    """Three pages rendered, degraded and read by the pipeline's own OCR (real Tesseract)."""
    from ocr.page import ocr_page
    from scripts.synth import degrade, party_document, render_page, state_document

    folder = tmp_path_factory.mktemp("live")
    party = party_document(41, kind="TB", body="UBKTTU", do_mat="Tối mật", do_khan="Hỏa tốc")
    state = state_document(42, kind="QĐ", body="SNV", pages=2)
    out = {}
    for name, doc, page in (("party", party, 0), ("state", state, 0), ("state_last", state, 1)):
        img = degrade(render_page(doc.pages[page]), seed=7, skew_deg=0.7, blur=0.6, noise=8,
                      jpeg_quality=70)  # fmt: skip
        path = folder / f"{name}.png"
        img.save(path, dpi=img.info["dpi"])
        result = ocr_page(path, 0)
        out[name] = (doc.metadata, PageText(result.text, result.words))
    return out


FIRST_PAGE = ("loai", "so_ky_hieu", "ky_hieu", "ngay_ban_hanh", "noi_ban_hanh", "co_quan_ban_hanh",
              "co_quan_cap_tren", "trich_yeu", "do_mat", "do_khan")  # fmt: skip


@pytest.mark.parametrize("name", ["party", "state"])
def test_live_ocr_first_page(live_pages: dict[str, tuple[dict, PageText]], name: str) -> None:
    truth, page = live_pages[name]
    md = extract_metadata([page])
    assert {f: getattr(md, f).value for f in FIRST_PAGE} == {f: truth[f] for f in FIRST_PAGE}
    assert md.so.value == str(truth["so"])
    assert md.so_ky_hieu.region is not None and md.so_ky_hieu.page == 0
    assert all(0.5 < getattr(md, f).confidence <= 1 for f in FIRST_PAGE if truth[f])


def test_live_ocr_last_page(live_pages: dict[str, tuple[dict, PageText]]) -> None:
    truth, first = live_pages["state"]
    md = extract_metadata([first, live_pages["state_last"][1]])
    assert md.quyen_han_ky.value == truth["quyen_han_ky"]
    assert md.chuc_vu.value == truth["chuc_vu"].upper()
    assert md.nguoi_ky.value == truth["nguoi_ky"]
    assert md.noi_nhan.value == tuple(truth["noi_nhan"])
    assert md.nguoi_ky.page == 1 and md.so_trang.value == 2


# F1 per field on the committed subset (13 documents, 22 pages of tests/data/metadata/, read by
# the pipeline's OCR with its red-seal fading) as scripts/eval_metadata.py measures it: every
# field 1.0 but độ khẩn, whose lone "KHẨN" stamp Tesseract drops on one page (4 of 5 found).
SUBSET_F1 = {
    "degraded": {"do_khan": 0.8},
    "degraded_no_seal": {"do_khan": 0.8},
}


@pytest.mark.parametrize("variant", ["degraded", "degraded_no_seal"])
def test_figures_on_the_committed_subset(variant: str) -> None:
    from scripts.eval_metadata import score, split_score, with_blank_backs
    from scripts.metadata_set import FIELDS, read_fixture

    cases = read_fixture(variant)
    assert len(cases) == 13
    scores = score(cases)
    for name in FIELDS:
        floor = SUBSET_F1[variant].get(name, 1.0)
        assert scores[name].f1 >= floor, (name, scores[name].errors)
    # No wrong value is given with high confidence.
    assert all(c < 0.9 for s in scores.values() for c in s.conf_wrong), {
        n: s.errors for n, s in scores.items() if s.conf_wrong
    }
    assert split_score([[pages for _, _, pages in cases]]) == (1, [])
    assert split_score([with_blank_backs([pages for _, _, pages in cases])]) == (1, [])
