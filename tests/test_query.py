"""The query language: what each construct parses to, and syntax errors that name the problem."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.query import (
    And,
    DateRange,
    FieldText,
    Keyword,
    Not,
    Or,
    QTerm,
    QueryError,
    Symbol,
    Text,
    check_sort,
    parse,
    positive_texts,
    proximity_runs,
)
from sohoa.errors import ExitCode


def word(text: str, exact: bool, fuzzy: bool = False) -> QTerm:
    return QTerm(text, exact, fuzzy)


def test_words_keep_diacritics_only_when_typed() -> None:
    assert parse("Mật") == Text((word("mật", True),), "Mật")
    assert parse("mat") == Text((word("mat", False),), "mat")
    assert parse("hoà") == Text((word("hòa", True),), "hoà")  # one tone placement
    assert parse("ĐẢNG") == Text((word("đảng", True),), "ĐẢNG")
    assert parse("Ðảng") == Text((word("đảng", True),), "Ðảng")  # OCR's eth is Đ


def test_words_are_anded_and_a_symbol_is_a_phrase() -> None:
    node = parse("tài liệu 10-ĐA/TU")
    assert isinstance(node, And)
    assert [item.source for item in node.items if isinstance(item, Text)] == [
        "tài",
        "liệu",
        "10-ĐA/TU",
    ]
    assert node.items[2] == Text(
        (word("10", False), word("đa", True), word("tu", False)), "10-ĐA/TU"
    )


def test_phrase_mixes_exact_and_folded_words() -> None:
    assert parse('"tài lieu\nmật"') == Text(
        (word("tài", True), word("lieu", False), word("mật", True)), "tài lieu\nmật"
    )
    assert parse("“tài liệu”") == parse('"tài liệu"')  # typographic quotes


def test_operators_and_precedence() -> None:
    a, b, c = (Text((word(x, False),), x) for x in "abc")
    assert parse("a OR b c") == Or((a, And((b, c))))
    assert parse("a AND b OR c") == Or((And((a, b)), c))
    assert parse("(a OR b) c") == And((Or((a, b)), c))
    assert parse("a NOT b") == And((a, Not(b)))
    assert parse("a -b") == And((a, Not(b)))
    assert parse("-(a OR b)") == Not(Or((a, b)))
    assert parse("NOT NOT a") == Not(Not(a))
    assert parse("a or b") == And((a, Text((word("or", False),), "or"), b))  # capitals only


def test_lone_dash_and_punctuation_are_not_operators() -> None:
    assert parse("Hà Nội - Hải Phòng") == parse("Hà Nội Hải Phòng")
    assert parse("mật ,") == parse("mật")


def test_fuzzy_words() -> None:
    assert parse("~ngiệp") == Text((word("ngiep", False, fuzzy=True),), "ngiệp")
    assert parse("~ab") == Text((word("ab", False),), "ab")  # too short to be fuzzy


def test_field_filters() -> None:
    assert parse('loai:"Quyết định"') == FieldText(
        "loai", (word("quyết", True), word("định", True))
    )
    assert parse("co_quan:tinh") == FieldText("co_quan", (word("tinh", False),))
    assert parse("nguoi_ky:An") == FieldText("nguoi_ky", (word("an", False),))
    assert parse("ho_so:HS-01") == FieldText("ho_so", (word("hs", False), word("01", False)))
    assert parse("so:10-ĐA/TU") == parse("so:10-DA/TU") == Symbol(("10", "da", "tu"))
    assert parse('so:"05 - ÐA / TU"') == Symbol(("5", "da", "tu"))
    assert parse("do_mat:toi-mat") == Keyword("do_mat", "toi mat", False)
    assert parse('do_mat:"Tối mật"') == Keyword("do_mat", "tối mật", True)


def test_dates_and_years() -> None:
    assert parse("nam:2022") == DateRange(dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert parse("nam:2020..2022") == DateRange(dt.date(2020, 1, 1), dt.date(2022, 12, 31))
    assert parse("ngay:2021-01-01..2022-12-31") == DateRange(
        dt.date(2021, 1, 1), dt.date(2022, 12, 31)
    )
    assert parse("ngay:2024-02") == DateRange(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert parse("ngay:..2021") == DateRange(None, dt.date(2021, 12, 31))
    assert parse("ngay:2021-06..") == DateRange(dt.date(2021, 6, 1), None)
    assert parse("ngay:01/7/2014") == DateRange(dt.date(2014, 7, 1), dt.date(2014, 7, 1))


@pytest.mark.parametrize(
    ("query", "problem", "at"),
    [
        ('"tài liệu', "missing closing quote", 1),
        ("(a OR b", "missing closing parenthesis", 1),
        ("a)", "unexpected closing parenthesis", 2),
        ("()", "empty parentheses", 1),
        ("a OR", "OR needs a word after it", 3),
        ("OR a", "expected a word", 1),
        ("AND a", "AND needs a word on each side", 1),
        ("a AND", "AND needs a word on each side", 3),
        ("NOT", "NOT needs a word after it", 1),
        ("a NOT", "NOT needs a word after it", 3),
        ("loai:", "field loai: has no value", 1),
        ("loai:,", "field loai: has no value", 6),
        ("loia:x", "unknown field loia:", 1),
        ("nam:22", "nam: needs a four-digit year", 5),
        ("ngay:2021-13-01", "ngay: bad date", 6),
        ("ngay:..", "ngay: has no date", 6),
        ('~"a b"', "~ goes right before one word", 1),
        ("~10-DA", "~ applies to a single word", 2),
        (",", "nothing to search for", 1),
        ("", "expected a word", 1),
        ("a OR ,", "one side of OR has no words", 1),
    ],
)
def test_syntax_errors_name_the_problem_and_where(query: str, problem: str, at: int) -> None:
    with pytest.raises(QueryError) as raised:
        parse(query)
    error = raised.value
    assert error.exit_code == ExitCode.usage
    assert f"({problem}" in error.en
    assert f"at character {at})" in error.en
    assert f"ở ký tự {at})" in error.vi
    assert query in error.vi


def test_positive_leaves_and_proximity_runs() -> None:
    node = parse('công nghệ thông tin -"dự thảo" ~ngiep loai:x')
    assert [leaf.source for leaf in positive_texts(node)] == [
        "công",
        "nghệ",
        "thông",
        "tin",
        "ngiep",
    ]
    assert proximity_runs(node) == [
        (word("công", True), word("nghệ", True), word("thông", True), word("tin", False))
    ]
    assert proximity_runs(parse("a b OR c d")) == []  # only words typed side by side, at the top
    assert proximity_runs(parse("mật")) == []


def test_sort_orders() -> None:
    assert check_sort(None) == "relevance"
    assert check_sort("-ngay") == "-ngay"
    with pytest.raises(QueryError, match="Cannot sort by 'date'"):
        check_sort("date")
