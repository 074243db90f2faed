"""One behaviour suite for every search backend: tantivy (default) and whoosh answer alike."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import layout
from indexer.backend import (
    ENGINES,
    IndexOutdated,
    QueryError,
    SearchBackend,
    open_index,
    rebuild_index,
    verify_index,
)
from indexer.types import IndexedDocument, IndexedPage, SearchResults
from sohoa.access import AccessLevel, parse_level
from sohoa.errors import ArchiveError

PUBLIC = AccessLevel.cong_khai
TOP_SECRET = AccessLevel.toi_mat


def _doc(doc_id: int, title: str, pages: list[str], **fields: object) -> IndexedDocument:
    do_mat = fields.get("do_mat")
    level = parse_level(str(do_mat) if do_mat else None)
    version = str(fields.pop("version", "v1"))
    return IndexedDocument(
        doc_id=doc_id,
        title=title,
        access_level=int(level),
        pages=tuple(IndexedPage(i + 1, text) for i, text in enumerate(pages)),
        version=version,
        metadata={"loai": fields.get("loai"), "ngay_ban_hanh": fields.get("ngay")},
        **fields,  # type: ignore[arg-type]
    )


CORPUS = (
    _doc(
        1,
        "Quyết định về quản lý tài liệu mật",
        [
            "ĐẢNG CỘNG SẢN VIỆT NAM\nBắc Giang, ngày 28 tháng 01 năm 2022\nQUYẾT ĐỊNH\n"
            "Về việc quản lý tài liệu\nmật của Tỉnh uỷ",
            "Ban Thường vụ Tỉnh uỷ giao Văn phòng chủ trì, bảo đảm hoà thuận trong cơ quan.",
        ],
        loai="Quyết định",
        so_ky_hieu="10-ĐA/TU",
        co_quan="Tỉnh ủy Bắc Giang",
        nguoi_ky="Nguyễn Văn An",
        ngay=dt.date(2022, 1, 28),
        ho_so="HS-2022-01",
    ),
    _doc(
        2,
        "Báo cáo tình hình mất mùa",
        ["Báo cáo tình hình mất mùa tại các xã vùng cao năm 2021."],
        loai="Báo cáo",
        so_ky_hieu="25-BC/HU",
        co_quan="Huyện ủy Yên Dũng",
        nguoi_ky="Trần Thị Bình",
        ngay=dt.date(2021, 6, 15),
        ho_so="HS-2021-07",
    ),
    _doc(
        3,
        "Thông báo về công nghệ thông tin",
        ["Một số nội dung về ứng dụng công nghệ thông tin trong cơ quan Đảng."],
        loai="Thông báo",
        so_ky_hieu="05-TB/TU",
        co_quan="Tỉnh ủy Bắc Giang",
        nguoi_ky="Nguyễn Văn An",
        ngay=dt.date(2020, 3, 2),
        ho_so="HS-2020-02",
    ),
    _doc(
        4,
        "Kế hoạch bảo vệ",
        ["TỐI MẬT\nKế hoạch phòng thủ khu vực biên giới phía bắc của tỉnh."],
        loai="Kế hoạch",
        so_ky_hieu="07-KH/TU",
        co_quan="Tỉnh ủy Lạng Sơn",
        ngay=dt.date(2019, 9, 9),
        ho_so="HS-2019-09",
        do_mat="Tối mật",
    ),
    _doc(
        5,
        "Nghị quyết về mặt trận",
        [
            "Nghị quyết về công tác mặt trận. Thông tin tuyên truyền cần gắn với đổi mới "
            "công nghệ sản xuất."
        ],
        loai="Nghị quyết",
        so_ky_hieu="12-NQ/TU",
        co_quan="Tỉnh ủy Bắc Giang",
        ngay=dt.date(2022, 11, 3),
        ho_so="HS-2022-01",
    ),
    _doc(
        6,
        "Công văn không ghi ngày",
        ["Công văn về phát triển nông nghiệp và chăn nuôi."],
        loai="Công văn",
    ),
)


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def index(tmp_path: Path, engine: str) -> Iterator[SearchBackend]:
    rebuild_index(tmp_path / "index", CORPUS, engine=engine)
    backend = open_index(tmp_path / "index")
    assert backend.engine == engine
    yield backend
    backend.close()


def ids(results: SearchResults) -> set[int]:
    return {hit.doc_id for hit in results.hits}


def found(index: SearchBackend, query: str, clearance: int = PUBLIC) -> set[int]:
    results = index.search(query, clearance=clearance, limit=50)
    assert results.total == len(results.hits)
    return ids(results)


# -- diacritics ----------------------------------------------------------------------------


def test_word_typed_with_diacritics_matches_only_that_spelling(index: SearchBackend) -> None:
    assert found(index, "mật") == {1}
    assert found(index, "mất") == {2}
    assert found(index, "mặt") == {5}
    assert found(index, "một") == {3}


def test_word_typed_without_diacritics_matches_every_spelling(index: SearchBackend) -> None:
    assert found(index, "mat") == {1, 2, 5}  # not "một", which folds to "mot"
    assert found(index, "MAT") == {1, 2, 5}
    assert found(index, "mot") == {3}


def test_old_and_new_tone_placement_are_one_word(index: SearchBackend) -> None:
    assert found(index, "hòa") == found(index, "hoà") == {1}
    assert found(index, "ủy") == found(index, "uỷ") == {1}
    assert found(index, 'co_quan:"tỉnh uỷ"') == {1, 3, 5}  # metadata spells it "Tỉnh ủy"
    hit = index.search("hòa").hits[0]
    assert "[[hoà]]" in hit.pages[0].snippet  # shown as printed


def test_mixed_phrase_and_phrase_across_line_break(index: SearchBackend) -> None:
    assert found(index, '"tài liệu mật"') == {1}
    assert found(index, '"tài lieu mật"') == {1}
    assert found(index, '"tai lieu mat"') == {1}
    assert found(index, '"tài liệu mất"') == set()
    assert found(index, '"liệu tài mật"') == set()
    pages = index.search('"tài lieu mật"').hits[0].pages
    assert [p.page for p in pages] == [1]
    assert "[[tài liệu mật]]" in pages[0].snippet


def test_symbol_typed_as_a_word_is_a_phrase(index: SearchBackend) -> None:
    assert found(index, "Bắc Giang, 28") == {1}


# -- query language ------------------------------------------------------------------------


def test_and_by_default_or_not(index: SearchBackend) -> None:
    assert found(index, "tỉnh quản lý") == {1}
    assert found(index, "mất OR một") == {2, 3}
    assert found(index, "mat NOT mùa") == {1, 5}
    assert found(index, "mat -mùa -trận") == {1}
    assert found(index, "(mất OR một) AND cơ") == {3}
    assert found(index, "NOT mat") == {3, 6}


def test_fuzzy_words_tolerate_one_ocr_error(index: SearchBackend) -> None:
    assert found(index, "ngiệp") == set()
    assert found(index, "~ngiệp") == {6}  # a letter missing
    assert found(index, "~nghiep") == {6}
    hit = index.search("~ngiep").hits[0]
    assert "[[nghiệp]]" in hit.pages[0].snippet


def test_field_filters(index: SearchBackend) -> None:
    assert found(index, 'loai:"Quyết định"') == {1}
    assert found(index, "loai:quyet") == {1, 5}  # Quyết định, Nghị quyết
    assert found(index, "so:10-DA/TU") == {1}
    assert found(index, 'so:"10 - ÐA / TU"') == {1}  # Ð (eth) and spaces, as OCR reads them
    assert found(index, "so:10") == {1}
    assert found(index, "so:5") == {3}  # leading zeros do not matter
    assert found(index, "so:TU") == {1, 3, 5}
    assert found(index, 'co_quan:"tinh uy bac giang"') == {1, 3, 5}
    assert found(index, "co_quan:huyện") == {2}
    assert found(index, 'nguoi_ky:"Nguyễn Văn An"') == {1, 3}
    assert found(index, "nam:2022") == {1, 5}
    assert found(index, "nam:2020..2021") == {2, 3}
    assert found(index, "ngay:2021-01-01..2022-06-30") == {1, 2}
    assert found(index, "ngay:..2020-12") == {3}
    assert found(index, "ngay:28/01/2022") == {1}
    assert found(index, "ho_so:HS-2022-01") == {1, 5}
    assert found(index, "do_mat:toi-mat", TOP_SECRET) == {4}
    assert found(index, 'do_mat:"Tối mật"', TOP_SECRET) == {4}
    assert found(index, "do_mat:mat", TOP_SECRET) == set()  # the whole mark: Mật only
    assert found(index, "nam:2022 mùa") == set()
    assert found(index, "nam:2022 trận") == {5}


def test_bad_query_and_bad_sort_are_query_errors(index: SearchBackend) -> None:
    with pytest.raises(QueryError, match="closing quote"):
        index.search('"tài liệu')
    with pytest.raises(QueryError, match="loia"):
        index.search("loia:x")
    with pytest.raises(QueryError, match="sort"):
        index.search("mật", sort="title")


# -- ranking, sorting, grouping ------------------------------------------------------------


def test_words_standing_together_rank_higher(index: SearchBackend) -> None:
    hits = index.search("công nghệ thông tin").hits
    assert [h.doc_id for h in hits] == [3, 5]  # 5 has all four syllables, but apart
    assert hits[0].score > hits[1].score
    assert "[[công nghệ thông tin]]" in hits[0].pages[0].snippet


def test_sort_by_date_undated_last(index: SearchBackend) -> None:
    query = "cơ OR mùa OR nghiệp OR trận"
    assert [h.doc_id for h in index.search(query, sort="ngay").hits] == [3, 2, 1, 5, 6]
    assert [h.doc_id for h in index.search(query, sort="-ngay").hits] == [5, 1, 2, 3, 6]


def test_hits_group_matching_pages_with_snippets(index: SearchBackend) -> None:
    results = index.search("tinh uy", facets=False)
    hit = next(h for h in results.hits if h.doc_id == 1)
    assert hit.title == "Quyết định về quản lý tài liệu mật"
    assert hit.metadata["loai"] == "Quyết định"
    assert hit.metadata["ngay_ban_hanh"] == "2022-01-28"
    assert [p.page for p in hit.pages] == [1, 2]
    assert "[[Tỉnh uỷ]]" in hit.pages[0].snippet
    assert "\n" not in hit.pages[0].snippet
    one = index.search("tinh uy", pages_per_hit=1).hits
    assert all(len(h.pages) <= 1 for h in one)
    assert results.facets == {}
    first = index.search("mat", limit=1)
    assert (first.total, len(first.hits)) == (3, 1)
    nothing = index.search("mat", limit=0)
    assert (nothing.total, nothing.hits) == (3, ())
    assert all(hit.pages == () for hit in index.search("mat", pages_per_hit=0).hits)


def test_filter_only_query_has_hits_without_pages(index: SearchBackend) -> None:
    results = index.search("loai:quyet")
    assert ids(results) == {1, 5}
    assert all(hit.pages == () for hit in results.hits)


def test_facets_count_documents(index: SearchBackend) -> None:
    facets = index.search("tỉnh OR cơ OR trận").facets
    assert facets["loai"] == (("Nghị quyết", 1), ("Quyết định", 1), ("Thông báo", 1))
    assert facets["nam"] == (("2022", 2), ("2020", 1))
    assert facets["co_quan"] == (("Tỉnh ủy Bắc Giang", 3),)
    assert facets["ho_so"] == (("HS-2022-01", 2), ("HS-2020-02", 1))


# -- confidentiality -----------------------------------------------------------------------


def test_secret_document_is_invisible_below_its_level(index: SearchBackend) -> None:
    for clearance in (AccessLevel.cong_khai, AccessLevel.mat):
        results = index.search('"phòng thủ khu vực biên giới"', clearance=clearance)
        assert (results.total, results.hits) == (0, ())
        assert all(values == () for values in results.facets.values())
    results = index.search('"phòng thủ khu vực biên giới"', clearance=TOP_SECRET)
    assert results.total == 1
    assert "[[phòng thủ khu vực biên giới]]" in results.hits[0].pages[0].snippet


def test_facets_and_totals_leave_out_what_the_user_may_not_see(index: SearchBackend) -> None:
    public = index.search("tỉnh")
    assert 4 not in ids(public)
    assert public.total == 1
    for name in ("loai", "nam", "co_quan", "ho_so"):
        values = {value for value, _ in public.facets[name]}
        assert not values & {"Kế hoạch", "2019", "Tỉnh ủy Lạng Sơn", "HS-2019-09"}
    secret = index.search("tỉnh", clearance=TOP_SECRET)
    assert ids(secret) == {1, 4}
    assert ("Tỉnh ủy Lạng Sơn", 1) in secret.facets["co_quan"]


# -- writing, rebuilding, verifying --------------------------------------------------------


def test_replace_and_delete(index: SearchBackend) -> None:
    new = _doc(2, "Báo cáo sửa", ["Báo cáo về được mùa."], loai="Báo cáo", version="v2")
    assert index.replace([new]) == 1
    assert found(index, "mất") == set()
    assert found(index, "được") == {2}
    assert index.versions()[2] == "v2"
    assert index.search("được").total == 1  # replaced, not added beside the old one
    index.delete([2, 3])
    assert found(index, "được OR một") == set()
    assert set(index.versions()) == {1, 4, 5, 6}
    assert index.replace([]) == 0


def test_open_creates_an_empty_index(tmp_path: Path, engine: str) -> None:
    backend = open_index(tmp_path / "fresh", engine)
    try:
        assert backend.engine == engine
        assert backend.search("mật").total == 0
        assert backend.versions() == {}
        backend.replace(CORPUS[:2])
        assert found(backend, "mat") == {1, 2}
    finally:
        backend.close()
    again = open_index(tmp_path / "fresh")
    assert again.engine == engine
    again.close()


def test_rebuild_swaps_atomically_and_a_failed_one_changes_nothing(
    index: SearchBackend, tmp_path: Path, engine: str
) -> None:
    index_dir = tmp_path / "index"
    before = layout.live_generation(index_dir)

    def failing() -> Iterator[IndexedDocument]:
        yield CORPUS[0]
        assert found(index, "mất") == {2}  # searches keep working during the rebuild
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError):
        rebuild_index(index_dir, failing(), engine=engine)
    assert layout.live_generation(index_dir) == before
    assert found(index, "mất") == {2}
    assert sorted(p.name for p in index_dir.glob("g-*")) == [before.name]  # type: ignore[union-attr]

    assert rebuild_index(index_dir, CORPUS[2:], engine=engine) == 4
    assert found(index, "mất") == set()  # the open handle follows the swap
    assert found(index, "một") == {3}
    assert len(list(index_dir.glob("g-*"))) == 1


def test_rebuild_killed_half_way_leaves_the_old_index(tmp_path: Path, engine: str) -> None:
    index_dir = tmp_path / "index"
    rebuild_index(index_dir, CORPUS[:2], engine=engine)
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from indexer.backend import rebuild_index
        from tests.test_index_backends import CORPUS
        def docs():
            yield from CORPUS
            print("indexing", flush=True)
            time.sleep(60)
        rebuild_index(Path({str(index_dir)!r}), docs(), engine={engine!r})
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "indexing"
            assert len(list(index_dir.glob("g-*"))) == 2  # the half-built generation
        finally:
            os.kill(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    backend = open_index(index_dir)
    try:
        assert found(backend, "mat") == {1, 2}
        assert found(backend, "một") == set()
    finally:
        backend.close()
    assert rebuild_index(index_dir, CORPUS, engine=engine) == len(CORPUS)
    assert len(list(index_dir.glob("g-*"))) == 1  # the dead rebuild's folder is gone


def test_verify_reports_missing_stale_and_extra(index: SearchBackend, tmp_path: Path) -> None:
    expected = {doc.doc_id: doc.version for doc in CORPUS}
    assert verify_index(tmp_path / "index", expected).ok
    expected[2] = "v2"
    expected[9] = "v1"
    del expected[6]
    report = verify_index(tmp_path / "index", expected)
    assert (report.missing, report.stale, report.extra) == ((9,), (2,), (6,))
    assert verify_index(tmp_path / "index", expected) == report  # changes nothing
    assert verify_index(tmp_path / "none", {1: "v1"}).missing == (1,)
    assert not (tmp_path / "none").exists()


def test_outdated_schema_is_detected(tmp_path: Path, engine: str) -> None:
    index_dir = tmp_path / "index"
    rebuild_index(index_dir, CORPUS[:1], engine=engine)
    info_file = layout.live_generation(index_dir) / layout.INFO  # type: ignore[operator]
    info = json.loads(info_file.read_text())
    other = next(e for e in ENGINES if e != engine)
    with pytest.raises(IndexOutdated, match=other):
        open_index(index_dir, other)
    info_file.write_text(json.dumps({**info, "schema_version": info["schema_version"] - 1}))
    with pytest.raises(IndexOutdated, match="older schema"):
        open_index(index_dir)
    with pytest.raises(IndexOutdated):
        verify_index(index_dir, {})
    info_file.write_text(json.dumps({**info, "schema_version": info["schema_version"] + 1}))
    with pytest.raises(ArchiveError, match="newer sohoa") as raised:
        open_index(index_dir)
    assert not isinstance(raised.value, IndexOutdated)
    assert rebuild_index(index_dir, CORPUS[:1], engine=engine) == 1
    open_index(index_dir, engine).close()


# -- both engines alike --------------------------------------------------------------------

SAME_ANSWERS = (
    "mat",
    "tỉnh ủy",
    '"tài lieu mật"',
    "~nghiep",
    "công nghệ OR mùa",
    "so:TU -mật",
    "co_quan:tinh ngay:2020..2022",
)


def test_engines_answer_alike(tmp_path: Path) -> None:
    answers = {}
    for name in sorted(ENGINES):
        rebuild_index(tmp_path / name, CORPUS, engine=name)
        backend = open_index(tmp_path / name)
        try:
            answers[name] = [
                (ids(r), r.total, dict(r.facets), [h.pages for h in r.hits if h.doc_id == 1])
                for q in SAME_ANSWERS
                for r in [backend.search(q, clearance=TOP_SECRET, limit=20)]
            ]
        finally:
            backend.close()
    first, second = answers.values()
    assert first == second
