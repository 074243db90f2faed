"""The search query language: one parser to an AST that every backend compiles."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from indexer.analysis import keyword, symbol_terms, words
from sohoa.errors import ExitCode, SohoaError

FUZZY_MIN_CHARS = 3
"""A fuzzy word this short would match half the vocabulary; it matches as typed instead."""

TEXT_FIELDS = ("loai", "co_quan", "nguoi_ky", "ho_so")
FIELDS = (*TEXT_FIELDS, "so", "do_mat", "ky_so", "nam", "ngay")
KY_SO = {"hop le": "hop-le", "chua xac minh": "chua-xac-minh", "loi": "loi", "khong": "khong"}
"""ky_so: values, folded ("hợp lệ", "hop-le" and "Hợp lệ" are one), to the indexed slug."""
SORTS = ("relevance", "ngay", "-ngay")
"""Result orders: by score (default), by date issued oldest first, newest first."""


class QueryError(SohoaError):
    """The query cannot be parsed; the message names the problem and where it is."""

    exit_code = ExitCode.usage


@dataclass(frozen=True)
class QTerm:
    """One query word after analysis."""

    text: str
    """The exact form (typed with diacritics) or the folded form (typed without)."""
    exact: bool
    """Typed with diacritics: match only this spelling."""
    fuzzy: bool = False
    """Match folded words within one edit of `text`."""


@dataclass(frozen=True)
class Text:
    """Words that must occur in this order in the page text (one word, or a phrase)."""

    terms: tuple[QTerm, ...]
    source: str


@dataclass(frozen=True)
class FieldText:
    """Words that must occur in this order in a metadata field (loai, co_quan, ...)."""

    field: str
    terms: tuple[QTerm, ...]


@dataclass(frozen=True)
class Symbol:
    """Folded words of a number-and-symbol, in order, within so_ky_hieu."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class Keyword:
    """A whole short value (do_mat), exact or folded."""

    field: str
    value: str
    exact: bool


@dataclass(frozen=True)
class DateRange:
    """Date issued within [first, last]; None leaves that end open."""

    first: dt.date | None
    last: dt.date | None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Text | FieldText | Symbol | Keyword | DateRange | And | Or | Not


def _error(vi: str, en: str, query: str, at: int) -> QueryError:
    return QueryError(
        vi=f"Truy vấn không hợp lệ ({vi}, ở ký tự {at + 1}): {query}",
        en=f"Invalid query ({en}, at character {at + 1}): {query}",
    )


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # ( ) AND OR NOT - ~ FIELD WORD QUOTED
    value: str
    at: int


_QUOTES = {'"': '"', "“": "”", "„": "”"}
_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.S)
_STOP = set('()"“„')


def _lex(query: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(_Lexeme(c, c, i))
            i += 1
        elif c in _QUOTES:
            end = query.find(_QUOTES[c], i + 1)
            if end < 0 and c != '"':
                end = query.find('"', i + 1)
            if end < 0:
                raise _error("thiếu dấu ngoặc kép đóng", "missing closing quote", query, i)
            out.append(_Lexeme("QUOTED", query[i + 1 : end], i))
            i = end + 1
        elif c in "-~" and (i + 1 == n or query[i + 1].isspace()):
            i += 1  # a lone dash between words is punctuation, not NOT
        elif c in "-~":
            out.append(_Lexeme(c, c, i))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in _STOP:
                j += 1
            out.extend(_word_lexemes(query, query[i:j], i))
            i = j
    return out


def _word_lexemes(query: str, word: str, at: int) -> list[_Lexeme]:
    if word in ("AND", "OR", "NOT"):
        return [_Lexeme(word, word, at)]
    match = _FIELD_RE.fullmatch(word)
    if match is None:
        return [_Lexeme("WORD", word, at)]
    name, rest = match.group(1), match.group(2)
    if name not in FIELDS:
        known = ", ".join(f"{f}:" for f in FIELDS)
        raise _error(
            f"không có trường {name}:, các trường: {known}",
            f"unknown field {name}:, fields are {known}",
            query,
            at,
        )
    field = _Lexeme("FIELD", name, at)
    return [field, _Lexeme("WORD", rest, at + len(name) + 1)] if rest else [field]


def parse(query: str) -> Node:
    """Parse a query string into its AST; raises QueryError naming the problem and where.

    The query language (Markdown, for the README):

    - `công nghệ thông tin`: words; each must occur in the document (AND is the default).
      Documents where the words stand together, as typed, rank higher.
    - Diacritics: a word typed with diacritics matches only that spelling (`mật` finds "mật",
      not "mất", "mặt" or "một"); typed without, it matches every spelling (`mat` finds "mật",
      "mất", "mặt", "mát", not "một"). Old and new tone placement are one word (`hoà` = `hòa`,
      `uỷ` = `ủy`). Case never matters.
    - `"tài liệu mật"`: a phrase, its words in this order, also across line breaks (not across
      pages); the diacritics rule holds per word, so `"tai lieu mật"` works too.
    - `a OR b`, `NOT a` or `-a`, `a AND b`, and parentheses: `(nghị quyết OR chỉ thị)
      -"dự thảo"`. Operators are written in capitals; NOT binds tightest, then AND, then OR.
    - `~word`: OCR-tolerant: any word within one edit (a letter wrong, missing or extra),
      diacritics ignored: `~ngiệp` finds "nghiệp". Words under 3 letters match as typed.
    - Filters (quote a value with spaces): `loai:"Quyết định"` document type; `so:10-DA/TU`
      number and symbol, forgiving about D/Đ/Ð, spaces and separators (`so:10` finds number 10,
      `so:DA/TU` every ĐA/TU); `co_quan:"Tỉnh ủy"` issuing body; `nguoi_ky:"Nguyễn Văn An"`
      signer; `ho_so:HS-2022-01` dossier; `do_mat:"Tối mật"` or `do_mat:toi-mat` secrecy mark
      (the whole mark); `ky_so:hop-le`, `ky_so:chua-xac-minh`, `ky_so:loi` or `ky_so:khong`
      digital signature valid, intact but not verified, broken, none; `nam:2022` or
      `nam:2020..2022` year issued; `ngay:2021-01-01..2022-12-31`
      date issued, either end may stay open (`ngay:..2021-06`), dates written YYYY, YYYY-MM,
      YYYY-MM-DD or DD/MM/YYYY.
    """
    parser = _Parser(query, _lex(query))
    node = parser.parse_or()
    if (extra := parser.peek()) is not None:
        # parse_or stops early only at a ")" it did not open
        raise _error("thừa dấu ngoặc đóng", "unexpected closing parenthesis", query, extra.at)
    if node is None:
        raise _error("không có từ nào để tìm", "nothing to search for", query, 0)
    return node


class _Parser:
    def __init__(self, query: str, lexemes: list[_Lexeme]) -> None:
        self.query = query
        self.lexemes = lexemes
        self.i = 0

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.i] if self.i < len(self.lexemes) else None

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.i]
        self.i += 1
        return lexeme

    def fail(self, vi: str, en: str, at: int | None = None) -> QueryError:
        if at is None:
            nxt = self.peek()
            at = nxt.at if nxt is not None else len(self.query)
        return _error(vi, en, self.query, at)

    def parse_or(self) -> Node | None:
        items = [self.parse_and()]
        while (nxt := self.peek()) is not None and nxt.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in ("OR", ")"):  # type: ignore[union-attr]
                raise self.fail("OR cần một từ sau nó", "OR needs a word after it", nxt.at)
            items.append(self.parse_and())
        kept = tuple(item for item in items if item is not None)
        if len(items) > 1 and len(kept) < len(items):
            # "a OR ," would silently turn into "a": say so instead.
            raise self.fail("một vế của OR không có từ nào", "one side of OR has no words", 0)
        return kept[0] if len(kept) == 1 else (Or(kept) if kept else None)

    def parse_and(self) -> Node | None:
        items: list[Node] = []
        seen_any = False
        while (nxt := self.peek()) is not None and nxt.kind not in ("OR", ")"):
            if nxt.kind == "AND":
                self.take()
                after = self.peek()
                if not seen_any or after is None or after.kind in ("AND", "OR", ")"):
                    raise self.fail("AND cần từ ở hai bên", "AND needs a word on each side", nxt.at)
                continue
            if nxt.kind == "(" and self._empty_group():
                raise self.fail("cặp ngoặc rỗng", "empty parentheses", nxt.at)
            seen_any = True
            item = self.parse_unary()
            if item is not None:
                items.append(item)
        if not seen_any:
            raise self.fail("thiếu từ cần tìm", "expected a word")
        return items[0] if len(items) == 1 else (And(tuple(items)) if items else None)

    def _empty_group(self) -> bool:
        return self.i + 1 < len(self.lexemes) and self.lexemes[self.i + 1].kind == ")"

    def parse_unary(self) -> Node | None:
        nxt = self.take()
        if nxt.kind in ("NOT", "-"):
            if self.peek() is None or self.peek().kind in ("OR", "AND", ")"):  # type: ignore[union-attr]
                raise self.fail("NOT cần một từ sau nó", "NOT needs a word after it", nxt.at)
            inner = self.parse_unary()
            return Not(inner) if inner is not None else None
        if nxt.kind == "(":
            inner = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise self.fail("thiếu dấu ngoặc đóng", "missing closing parenthesis", nxt.at)
            self.take()
            return inner
        if nxt.kind == ")":
            raise self.fail("thừa dấu ngoặc đóng", "unexpected closing parenthesis", nxt.at)
        if nxt.kind == "~":
            word = self.peek()
            if word is None or word.kind != "WORD":
                raise self.fail("~ chỉ dùng trước một từ", "~ goes right before one word", nxt.at)
            self.take()
            return self._fuzzy(word)
        if nxt.kind == "FIELD":
            value = self.peek()
            if value is None or value.kind not in ("WORD", "QUOTED"):
                raise self.fail(
                    f"trường {nxt.value}: thiếu giá trị", f"field {nxt.value}: has no value", nxt.at
                )
            self.take()
            return self._field(nxt.value, value)
        return _text(nxt.value)

    def _fuzzy(self, word: _Lexeme) -> Node | None:
        analyzed = list(words(word.value))
        if len(analyzed) > 1:
            raise self.fail("~ chỉ áp dụng cho một từ", "~ applies to a single word", word.at)
        if not analyzed:
            return None
        folded = analyzed[0][1]
        if len(folded) < FUZZY_MIN_CHARS:
            return _text(word.value)
        return Text((QTerm(folded, exact=False, fuzzy=True),), word.value)

    def _field(self, name: str, value: _Lexeme) -> Node:
        text = value.value.strip()
        node: Node | None
        if name in TEXT_FIELDS:
            terms = _terms(text)
            node = FieldText(name, terms) if terms else None
        elif name == "so":
            symbol = tuple(symbol_terms(text))
            node = Symbol(symbol) if symbol else None
        elif name == "do_mat":
            exact, folded = keyword(text)
            node = Keyword(name, exact, True) if exact != folded else Keyword(name, folded, False)
            node = node if folded else None
        elif name == "ky_so":
            node = self._signature(text, value.at)
        elif name == "nam":
            node = self._years(text, value.at)
        else:
            node = self._dates(text, value.at)
        if node is None:
            raise self.fail(
                f"trường {name}: thiếu giá trị", f"field {name}: has no value", value.at
            )
        return node

    def _signature(self, text: str, at: int) -> Keyword | None:
        folded = keyword(text.replace("-", " "))[1]
        if not folded:
            return None
        if folded not in KY_SO:
            allowed = ", ".join(KY_SO.values())
            raise self.fail(
                f"ky_so: cần một trong {allowed}, không phải {text!r}",
                f"ky_so: expects one of {allowed}, not {text!r}",
                at,
            )
        return Keyword("ky_so", KY_SO[folded], True)

    def _years(self, text: str, at: int) -> DateRange:
        first, _, last = text.partition("..")
        if not re.fullmatch(r"\d{4}", first) or (last and not re.fullmatch(r"\d{4}", last)):
            raise self.fail(
                f"nam: cần năm bốn chữ số, không phải {text!r}",
                f"nam: needs a four-digit year, not {text!r}",
                at,
            )
        end = int(last or first)
        return DateRange(dt.date(int(first), 1, 1), dt.date(end, 12, 31))

    def _dates(self, text: str, at: int) -> DateRange:
        first, sep, last = text.partition("..")
        try:
            lo = _date_bound(first, upper=False) if first else None
            hi = _date_bound(last if sep else first, upper=True) if (last or not sep) else None
        except ValueError:
            raise self.fail(
                f"ngay: ngày không hợp lệ {text!r}, viết 2021-01-31 hoặc 2021-01-01..2021-12-31",
                f"ngay: bad date {text!r}, write 2021-01-31 or 2021-01-01..2021-12-31",
                at,
            ) from None
        if lo is None and hi is None:
            raise self.fail("ngay: thiếu ngày", "ngay: has no date", at)
        return DateRange(lo, hi)


def _date_bound(text: str, *, upper: bool) -> dt.date:
    """A date from YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY; a partial date spans its period."""
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text):
        year, month, day = m.group(1), m.group(2), m.group(3)
        y = int(year)
        if day is not None:
            return dt.date(y, int(month), int(day))
        if month is not None:
            mo = int(month)
            return dt.date(y, mo, calendar.monthrange(y, mo)[1] if upper else 1)
        return dt.date(y, 12, 31) if upper else dt.date(y, 1, 1)
    raise ValueError(text)


def _terms(text: str) -> tuple[QTerm, ...]:
    return tuple(
        QTerm(exact, True) if exact != folded else QTerm(folded, False)
        for exact, folded in words(text)
    )


def _text(source: str) -> Text | None:
    terms = _terms(source)
    return Text(terms, source) if terms else None


def positive_texts(node: Node) -> list[Text]:
    """Text leaves that are not negated: what a matching page shows and a snippet highlights."""
    return list(_positive(node))


def _positive(node: Node) -> Iterator[Text]:
    if isinstance(node, Text):
        yield node
    elif isinstance(node, And | Or):
        for item in node.items:
            yield from _positive(item)


def proximity_runs(node: Node) -> list[tuple[QTerm, ...]]:
    """Runs of two or more plain words typed side by side at the top level of the query.

    Vietnamese words are several syllables ("công nghệ thông tin"): documents where the query's
    syllables stand together rank higher, so backends add these as optional phrases.
    """
    items = node.items if isinstance(node, And) else (node,)
    runs: list[tuple[QTerm, ...]] = []
    run: list[QTerm] = []
    for item in (*items, None):
        if isinstance(item, Text) and len(item.terms) == 1 and not item.terms[0].fuzzy:
            run.append(item.terms[0])
            continue
        if len(run) >= 2:
            runs.append(tuple(run))
        run = []
    return runs


def check_sort(sort: str | None) -> str:
    """The result order to use; raises QueryError for an unknown one."""
    if sort is None or sort == "":
        return "relevance"
    if sort not in SORTS:
        choices = ", ".join(SORTS)
        raise QueryError(
            vi=f"Không sắp xếp được theo {sort!r}. Dùng một trong: {choices}.",
            en=f"Cannot sort by {sort!r}. Use one of: {choices}.",
        )
    return sort
