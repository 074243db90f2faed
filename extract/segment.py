"""A dossier scan's pages: OCR lines, first-page and last-page cues, the split into documents."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import pairwise

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import partial_ratio_alignment

from extract import conventions as cv
from ocr.syllable import is_syllable
from ocr.types import Word
from sohoa.errors import ManifestError


@dataclass(frozen=True)
class PageText:
    """One page as OCR read it: the text and, when known, the words with boxes.

    Its lines and its first- and last-page cues are worked out once, when first asked for, and
    kept with it: cutting a dossier and reading its documents' metadata read each page once.
    """

    text: str
    words: tuple[Word, ...] = ()

    @cached_property
    def lines(self) -> tuple[Line, ...]:
        """The page's lines (page index 0; `page_lines` gives them another)."""
        return tuple(_build_lines(self, 0))

    @cached_property
    def cues(self) -> PageCues:
        """What makes the page look like a document's first or last page."""
        return _page_cues(self)


# ---------------------------------------------------------------------------------------------
# Lines: OCR text re-joined from word boxes (columns kept apart) or plain text lines.


@dataclass(frozen=True)
class Line:
    """One line of OCR text, or one column's part of it, with its words' boxes if known."""

    page: int
    text: str
    key: str  # cv.fold(text): same length, so spans in the key index the text
    spans: tuple[tuple[int, int, Word], ...] = ()
    x0: float | None = None  # left and right ends, 0 (left edge of the page's text) to 1 (right)
    x1: float | None = None

    @property
    def cx(self) -> float | None:
        return None if self.x0 is None or self.x1 is None else (self.x0 + self.x1) / 2

    @property
    def width(self) -> float | None:
        return None if self.x0 is None or self.x1 is None else self.x1 - self.x0

    def words_in(self, start: int, end: int) -> list[Word]:
        return [w for s, e, w in self.spans if s < end and e > start]

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        """(left, top, right, bottom) in page pixels; None without word boxes."""
        if not self.spans:
            return None
        words = [w for _, _, w in self.spans]
        return (
            min(w.left for w in words),
            min(w.top for w in words),
            max(w.left + w.width for w in words),
            max(w.top + w.height for w in words),
        )

    @property
    def height(self) -> float | None:
        """The median word height in pixels (the size of the type), None without boxes."""
        if not self.spans:
            return None
        heights = sorted(w.height for _, _, w in self.spans)
        return float(heights[len(heights) // 2])


Part = tuple[Line, int, int]
"""Where a value was read: a line and the span of its text."""


def page_lines(page: PageText, index: int = 0) -> list[Line]:
    """The page's lines; with word boxes, a wide gap splits a line into its columns."""
    lines = page.lines
    return list(lines) if index == 0 else [replace(ln, page=index) for ln in lines]


def _build_lines(page: PageText, index: int) -> list[Line]:
    words = [w for w in page.words if w.text.strip()]
    if not words:
        out = []
        for raw in page.text.splitlines():
            # Two header columns may come out on one line separated by a run of spaces.
            for part in re.split(r"\s{3,}", cv.nfc(raw).strip()):
                if part:
                    out.append(Line(index, part, cv.fold(part)))
        return out
    heights = sorted(w.height for w in words)
    gap = 2.5 * heights[len(heights) // 2]
    x_min = min(w.left for w in words)
    x_max = max(w.left + w.width for w in words)
    groups: dict[int, list[Word]] = {}
    for w in words:
        groups.setdefault(w.line, []).append(w)
    out = []
    for group in groups.values():
        group.sort(key=lambda w: w.left)
        segment = [group[0]]
        # Tesseract sometimes runs both header columns into one line: cut at wide gaps.
        for prev, w in pairwise(group):
            if w.left - (prev.left + prev.width) > gap and not _form_blank(prev, w):
                out.append(_join(segment, index, x_min, x_max))
                segment = []
            segment.append(w)
        out.append(_join(segment, index, x_min, x_max))
    return out


def _form_blank(prev: Word, word: Word) -> bool:
    """Whether a wide gap is the printed blank for a number or a day ("Số:      /QĐ-UBND",
    "ngày      tháng"), not the gap between two columns."""
    before = cv.fold(prev.text).strip(":;.,")
    if (before == "so" and prev.text[1:2] not in "ơƠ") or before == "ngay":
        return True
    return word.text.startswith(("/", "-")) or cv.fold(word.text) == "thang"


def _join(words: list[Word], index: int, x_min: int, x_max: int) -> Line:
    parts, spans, pos = [], [], 0
    for w in words:
        text = cv.nfc(w.text.strip())
        spans.append((pos, pos + len(text), w))
        parts.append(text)
        pos += len(text) + 1
    text = " ".join(parts)
    span = max(1, x_max - x_min)
    x0 = (words[0].left - x_min) / span
    x1 = (words[-1].left + words[-1].width - x_min) / span
    return Line(index, text, cv.fold(text), tuple(spans), x0, x1)


# ---------------------------------------------------------------------------------------------
# First-page and last-page cues.


def find_symbol(lines: Sequence[Line], bare: bool = True) -> tuple[cv.Symbol, Line] | None:
    """The first "Số 10-ĐA/TU" (or, if `bare`, a symbol without "Số") and its line."""
    for line in lines:
        for m in cv.SO_ANCHOR.finditer(line.key):
            if line.text[m.start()] in "S5":  # "Số" with a capital: not "số" cited in a sentence
                found = cv.read_symbol(line.text, m.end(), anchored=True)
                if found:
                    return found, line
    for line in lines if bare else ():
        bm = cv.BARE_SYMBOL.search(line.text)
        found = cv.read_symbol(line.text, bm.start(), anchored=False) if bm else None
        if found:
            return found, line
    return None


@dataclass(frozen=True)
class Date:
    """A place-and-date line read: the ISO date, how sure, where, and the place before it."""

    iso: str
    quality: float
    part: Part
    place: tuple[str, float, Part] | None  # the place before it, how sure, where


def find_date(lines: Sequence[Line]) -> Date | None:
    """The first place-and-date line: "Bắc Giang, ngày 28 tháng 01 năm 2022"."""
    for line in lines:
        m = cv.DATE.search(line.key)
        parsed = cv.parse_date(m["d"], m["m"], m["y"]) if m else None
        if m and parsed:
            p = cv.read_place(line.text, m.start())
            place = (p[0], p[1], (line, p[2], p[3])) if p else None
            return Date(parsed[0], parsed[1], (line, m.start(), m.end()), place)
    return None


def find_type_line(lines: Sequence[Line]) -> tuple[int, str, float, int] | None:
    """(line index, type name, quality, end of the type words) of the type line ("ĐỀ ÁN")."""
    for i, line in enumerate(lines[:30]):
        found = cv.read_type_line(line.text, line.key)
        if found:
            return i, *found
    return None


AUTHORITY = re.compile(
    r"(?<![a-z0-9])(t\s?[/il1|!]\s?m|k\s?[/il1|!]\s?t|t\s?[/il1|!]\s?l|tm\s?[.,]|kt\s?[.,]"
    r"|tl\s?[.,]|tuq\s?[.,]?|q\s?[.,]|tm|kt|tl)[\s-]*(?=[a-z])"
)
"""A signing authority marker in folded text (T/M, K/T, T/L, TM., KT., TL., TUQ., Q.)."""


def authority(raw: str, kind: str | None) -> str:
    """Canonical signing authority of an OCR'd marker: "T/M", "K/T", "T/L", "TM.", "KT.", ..."""
    key = re.sub(r"\s", "", raw)
    letters = re.sub(r"[^a-z]", "", key)
    if letters.startswith("tuq"):
        return "TUQ."
    if letters == "q":
        return "Q."
    pair = {"tm": "T/M", "kt": "K/T", "tl": "T/L"}.get(letters[:1] + letters[-1:], "T/M")
    # The state writes "TM." where the Party writes "T/M"; a bare "TM" goes by document kind.
    if key.endswith((".", ",")) or (len(key) == 2 and kind == "state"):
        return pair.replace("/", "") + "."
    return pair


_TITLE_KEYS = sorted(((cv.fold(t), t) for t in cv.TITLES), key=lambda kv: -len(kv[0]))


def read_title(text: str, key: str, start: int = 0) -> tuple[str, float, int, int] | None:
    """The best signer's title in capitals on a line: (title, quality, start, end).

    Only runs of capitalised words are searched: "Phó Chủ tịch" in a recipient is no title.
    """
    best = None
    for s0, e0 in _capital_runs(text, start):
        for tk, title in _TITLE_KEYS:
            al = partial_ratio_alignment(tk, key[s0:e0], score_cutoff=86)
            if not al or al.dest_end - al.dest_start < len(tk) - 1:
                continue
            s, e = s0 + al.dest_start, s0 + al.dest_end
            # Capitals, bar a letter the seal damaged ("í THƯ"), and a word of its own.
            caps = 1.0 if cv.is_upper(text[s:e], 0.9) else 0.8
            if s > 0 and key[s - 1].isalpha():
                continue
            if best is None or (al.score, len(tk)) > best[4]:
                best = (title, al.score / 100 * caps, s, e, (al.score, len(tk)))
    return best[:4] if best else None


def _capital_runs(text: str, start: int) -> list[tuple[int, int]]:
    runs: list[tuple[int, int, bool]] = []
    for m in re.finditer(r"\S+", text[start:]):
        capital = cv.is_upper(m.group(), 0.6)
        if not capital and len(m.group()) > 2:
            continue  # a scrap of a letter or two may be a damaged capital ("í THƯ")
        s, e = start + m.start(), start + m.end()
        if runs and runs[-1][1] >= s - 1:
            runs[-1] = (runs[-1][0], e, runs[-1][2] or capital)
        else:
            runs.append((s, e, capital))
    return [(s, e) for s, e, capital in runs if capital]


def read_name(text: str) -> tuple[str, float, int, int] | None:
    """The last run of 2 to 5 capitalised words led by a family name: (name, quality, s, e).

    Quality falls with each word that is no Vietnamese syllable (OCR damage under the seal);
    family and middle names, which come from short lists, are repaired from those lists.
    """
    tokens = list(re.finditer(r"[^\s,.;:()]+", text))
    best = None
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and _name_word(tokens[j].group()):
            j += 1
            # A name never spans a comma: "- Văn phòng Trung ương Đảng, Lê Thu Dũng".
            if j < len(tokens) and re.search(
                r"[,.;:()]", text[tokens[j - 1].end() : tokens[j].start()]
            ):
                break
        for k in range(i, j - 1):
            words = [t.group() for t in tokens[k : min(j, k + 5)]]
            surname = _surname(words[0], len(words))
            if surname or k == i:
                bad = sum(not is_syllable(w) for w in words[1:])
                quality = (0.97 if len(words) >= 3 else 0.7) * 0.7**bad
                quality *= 1.0 if surname == words[0] else 0.9 if surname else 0.6
                # Middle names come from a short list: a slipped tone mark ("Khác") is repaired.
                middle = [cv.MIDDLE_NAMES.get(cv.fold(w), w) for w in words[1:-1]]
                quality *= 0.95 ** sum(m != w for m, w in zip(middle, words[1:-1], strict=True))
                if best is None or quality >= best[0]:
                    name = [surname or words[0], *middle, words[-1]]
                    best = (quality, name, k, k + len(words))
                break
        i = max(j, i + 1)
    if best is None:
        return None
    quality, words, a, b = best
    return " ".join(words), quality, tokens[a].start(), tokens[b - 1].end()


def _surname(word: str, size: int) -> str | None:
    """The family name `word` is, or (a damaged word leading a 3-word name) is nearest to."""
    key = cv.fold(word)
    if key in cv.SURNAMES:
        return cv.SURNAMES[key]  # as the list spells it: "Định" read for "Đinh"
    if size < 3 or is_syllable(word):
        return None  # a real syllable is another word, not a damaged family name
    ranked = sorted((Levenshtein.distance(key, cv.fold(s)), s) for s in cv.SURNAME_FORMS)
    if ranked[0][0] <= 2 and (len(ranked) == 1 or ranked[1][0] > ranked[0][0]):
        return ranked[0][1]
    return None


def _name_word(word: str) -> bool:
    return word.isalpha() and word[0].isupper() and (word[1:].islower() or len(word) == 1)


Found = tuple[str, float, "Part"]  # value, quality, where
Recipients = tuple[tuple[str, ...], float, list["Part"]]


def _title(line: Line, start: int = 0) -> Found | None:
    found = read_title(line.text, line.key, start)
    if not found:
        return None
    # A scrap just before the title ("9 BÍ THƯ"): the seal may have eaten a word ("PHÓ").
    scrap = re.search(r"(^|\s)\S{1,3}\s*$", line.text[start : found[2]])
    return found[0], found[1] * (0.6 if scrap else 1.0), (line, found[2], found[3])


def _marker(line: Line) -> re.Match[str] | None:
    """An authority marker in capitals followed by capitals ("T/M BAN THƯỜNG VỤ")."""
    for m in AUTHORITY.finditer(line.key):
        if line.x0 is not None and (line.key[: m.start()].strip() or line.x0 < 0.3):
            # With boxes the marker opens its own line of the signature column: "(KTTH)" in a
            # recipient of the "Nơi nhận" list beside it is none.
            continue
        after = line.text[m.end() : m.end() + 12]
        if cv.is_upper(line.text[m.start() : m.end()], 1.0) and cv.is_upper(after, 0.9):
            return m
    return None


def find_signature(lines: Sequence[Line], kind: str | None) -> dict[str, Found]:
    """The signature block: authority marker(s), the title, then the name below the seal."""
    marks = [(i, m) for i, line in enumerate(lines) if (m := _marker(line))]
    out: dict[str, Found] = {}
    start = 0
    if marks:
        i, m = marks[-1]
        # "TM. ỦY BAN NHÂN DÂN" over "KT. CHỦ TỊCH": the first marker of the block names it.
        first_line, first = lines[i], m
        prior = _column(lines, i, -1)
        if len(marks) > 1 and prior and marks[-2][0] == prior[0]:
            first_line, first = lines[prior[0]], marks[-2][1]
        auth = authority(first.group(1), kind)
        out["quyen_han_ky"] = (auth, 0.95, (first_line, first.start(), first.end()))
        start = i + 1
        for j in _column(lines, i, 1)[:3]:
            title = _title(lines[j])
            if title:
                out["chuc_vu"], start = (title[0], title[1] * 0.97, title[2]), j + 1
                break
        else:  # "K/T BÍ THƯ" with no title below: the marker's own title
            title = _title(lines[i], m.end())
            if title:
                out["chuc_vu"] = (title[0], title[1] * 0.85, title[2])
    else:
        for i in range(len(lines) // 3, len(lines)):
            title = _title(lines[i])
            alone = title and len(lines[i].key.strip()) <= len(title[0]) + 3
            # Without boxes the title may end a line of the "Nơi nhận" column beside it.
            last = title and lines[i].cx is None and title[2][2] >= len(lines[i].text.rstrip()) - 1
            if title and (alone or last):
                # Capitals just above it ("N THƯỜNG VỤ"): a marker line the seal damaged, so
                # the title may have lost a word too ("PHÓ").
                above = lines[i - 1].text.rstrip()[-14:] if i else ""
                q = 0.5 if len(above) > 4 and cv.is_upper(above, 0.9) else 0.9
                out["chuc_vu"], start = (title[0], title[1] * q, title[2]), i + 1
        if not out:
            return out
    column = out["chuc_vu"][2][0].cx if "chuc_vu" in out else None
    below = [ln for ln in lines[start:] if _near(ln.cx, column)]
    for line in below[:12]:  # the signature column only: not the "Nơi nhận" list beside it
        name = read_name(line.text)
        if name and name[1] > out.get("nguoi_ky", ("", 0.0))[1]:
            out["nguoi_ky"] = (name[0], name[1], (line, name[2], name[3]))
            if name[1] >= 0.95:
                break
    return out


def _column(lines: Sequence[Line], i: int, step: int) -> list[int]:
    """Indexes of the lines after (step 1) or before (-1) line i in its column, nearest first;
    without boxes, every line."""
    cx = lines[i].cx
    order = range(i + 1, len(lines)) if step > 0 else range(i - 1, -1, -1)
    return [j for j in order if _near(lines[j].cx, cx)]


def _near(cx: float | None, column: float | None) -> bool:
    """In the column centred at `column` (anything, without boxes)."""
    return cx is None or column is None or abs(cx - column) <= 0.2


_RECIPIENTS = re.compile(r"^\s*n\s?[o0]\s?i\s?nh\s?[a4]\s?n\s*[:;.]?")
_BULLET = re.compile(r"^\s*[-–—•+*·~_]+\s*")


def find_recipients(lines: Sequence[Line]) -> Recipients | None:
    """Items of "Nơi nhận:" (left column, one per dash), continuation lines joined."""
    for i, line in enumerate(lines):
        m = _RECIPIENTS.search(line.key)
        if m:
            rest = line.text[m.end() :]
            # Without boxes the rest may be the signature column ("Nơi nhận: T/M BAN ...").
            first = _BULLET.match(rest) and not (line.cx is None and cv.is_upper(rest, 0.7))
            items = [[(line, m.end(), len(line.text))]] if first else []
            return _items(lines, i + 1, line.cx, items, 0.95)
    # "Nơi nhận:" itself unread (small bold italic under dust): the last list of dashes in the
    # left column, which only word boxes can tell from dashes in the body.
    left = [i for i, ln in enumerate(lines) if ln.x1 is not None and ln.x1 < 0.55]
    bullets = [i for i in left if _BULLET.match(lines[i].text)]
    if len(bullets) < 2 or bullets[-1] < len(lines) // 2:
        return None
    start = bullets[-1]
    while start > 0 and any(b < start for b in bullets):
        prev = max(b for b in bullets if b < start)
        between = lines[prev + 1 : start]
        if any(
            ln.x1 is None or ((ln.x0 or 0) < 0.4 and not ln.text[:1].islower()) for ln in between
        ):
            break
        start = prev
    return _items(lines, start, 0.0, [], 0.75)


def _items(
    lines: Sequence[Line], start: int, column: float | None, items: list[list[Part]], q: float
) -> Recipients | None:
    misses = 0
    for nxt in lines[start : start + 20]:
        if column is not None and nxt.cx is not None and nxt.cx > 0.5 > column:
            continue  # the signature column beside the list
        if not re.search(r"\w", nxt.text):
            continue  # a speck read as ":" or "'"
        b = _BULLET.match(nxt.text)
        if b:
            items.append([(nxt, b.end(), len(nxt.text))])
            misses = 0
        elif items and nxt.text[:1].islower() and misses == 0 and not _ended(items[-1]):
            items[-1].append((nxt, 0, len(nxt.text)))
        elif nxt.cx is None and cv.is_upper(nxt.text, 0.6):
            continue  # without boxes: the signature column's title between the items
        else:
            misses += 1
            if misses >= 2 or nxt.cx is not None:
                break
    values = tuple(v for v in (_recipient(parts) for parts in items) if re.search(r"\w", v))
    return (values, q, [p for parts in items for p in parts]) if values else None


def _ended(parts: list[Part]) -> bool:
    """Whether a recipient item already ended with its "," ";" or "." (no continuation)."""
    line, s, e = parts[-1]
    return line.text[s:e].rstrip().endswith((",", ";", "."))


def _recipient(parts: list[Part]) -> str:
    chunks = []
    for line, s, e in parts:
        chunk = _BULLET.sub("", line.text[s:e])
        if line.cx is None:
            # Without boxes the signature column may share the line: cut it off.
            key = cv.fold(chunk)
            title = read_title(chunk, key)
            cut = [title[2]] if title else []
            auth = AUTHORITY.search(key)
            if auth and cv.is_upper(chunk[auth.start() : auth.end()], 1.0):
                cut.append(auth.start())
            name = read_name(chunk)
            if name and name[1] >= 0.9 and name[3] >= len(chunk.rstrip(" .,;")) - 1:
                cut.append(name[2])
            chunk = chunk[: min(cut)] if cut else chunk
            # An item ends with "," ";" or "."; words after that are the other column's.
            end = re.search(r"^(.*[,;.])\s+[^,;.]*$", chunk.strip())
            chunk = end.group(1) if end else chunk
        chunks.append(chunk.strip())
    return " ".join(chunks).strip().rstrip(",;.").strip()


# ---------------------------------------------------------------------------------------------
# Splitting.

START_ALONE = 3.5
"""First-page score that starts a document whatever the page before it looked like (e.g. the
national header and the number and symbol)."""
BLANK_LETTERS = 20
"""A page with fewer letters than this is blank for the split (speckle, a stray page number)."""
START_AFTER_END = 2.0
"""A lower first-page score suffices right after a page that closed a document."""


def split_dossier(
    pages: Sequence[PageText],
    *,
    fixed: Sequence[tuple[int, int]] | None = None,
    after_gap: Collection[int] = (),
) -> list[range]:
    """0-based page ranges of the documents in a scanned dossier, covering all pages in order.

    `fixed` (1-based inclusive page ranges, from the manifest) wins; pages it leaves out are
    split by their cues. `after_gap` are the pages that follow a page missing from `pages` (it
    failed to read, or was refused): what was there is unknown, so it counts as an end and a
    page with first-page cues after it starts a document. Raises ManifestError when a fixed
    range overlaps another or lies beyond the scan.
    """
    n = len(pages)
    if n == 0:
        return []
    ranges = check_ranges(fixed or (), n)
    out: list[range] = []
    cursor = 0
    for first, last in ranges:
        if cursor < first - 1:
            out += _split(pages, cursor, first - 1, after_gap)
        out.append(range(first - 1, last))
        cursor = last
    if cursor < n:
        out += _split(pages, cursor, n, after_gap)
    return out


def _split(
    pages: Sequence[PageText], start: int, stop: int, after_gap: Collection[int] = ()
) -> list[range]:
    starts = [start]
    before: PageCues | None = None
    for i in range(start, stop):
        page = pages[i]
        cues = page_cues(page)
        if i in after_gap and i > start:
            before = _UNKNOWN_END
        # An attachment (a draft, an appendix) stays with the document it belongs to.
        if before is not None and _starts(before, cues) and not cues.attachment:
            starts.append(i)
        # A blank page (the empty back of a sheet scanned on both sides) stays with the document
        # before it and passes that page's cues on: a signature two pages back still closes.
        if sum(c.isalpha() for c in page.text) >= BLANK_LETTERS:
            before = cues
    return [range(a, b) for a, b in zip(starts, [*starts[1:], stop], strict=True)]


def _starts(before: PageCues, page: PageCues) -> bool:
    """Whether `page` begins a new document, given the page before it."""
    if page.first_score >= START_ALONE:
        return True
    return before.last_score >= 1.0 and page.first_score >= START_AFTER_END


def check_ranges(
    fixed: Sequence[tuple[int, int]], n: int, name: str | None = None
) -> list[tuple[int, int]]:
    """The manifest's page ranges, sorted; ManifestError when one does not fit `n` pages."""
    ranges = sorted((int(a), int(b)) for a, b in fixed)
    key = f"page_ranges, {name!r}" if name else "page_ranges"
    previous = 0
    for first, last in ranges:
        if not 1 <= first <= last <= n or first <= previous:
            raise ManifestError(
                vi=f"{key}: khoảng trang [{first}, {last}] không hợp lệ cho {n} trang quét"
                " (các khoảng phải nằm trong 1..số trang, đầu ≤ cuối, không chồng nhau).",
                en=f"{key}: page range [{first}, {last}] is invalid for a {n}-page scan"
                " (ranges must lie within 1..page count, first <= last, without overlaps).",
            )
        previous = last
    return ranges


@dataclass(frozen=True)
class PageCues:
    """What makes a page look like the first or the last page of a document."""

    national_header: bool = False
    organ_header: bool = False
    symbol: bool = False
    place_date: bool = False
    type_line: bool = False
    page_number_on_top: bool = False
    signature: bool = False
    recipients: bool = False
    attachment: bool = False
    """The page opens an attachment: "DỰ THẢO", "PHỤ LỤC", "(Kèm theo Quyết định số ...)"."""

    @property
    def first_score(self) -> float:
        score = 2.0 * self.national_header + 2.0 * self.symbol + 1.5 * self.place_date
        score += 1.0 * self.type_line + 1.0 * self.organ_header
        # Pages after the first carry their number on top (Party and state alike).
        return score - 3.0 * self.page_number_on_top

    @property
    def last_score(self) -> float:
        return 1.0 * self.signature + 1.0 * self.recipients


_UNKNOWN_END = PageCues(signature=True)
"""What a missing page counts as for the page after it: the end of a document."""


def page_cues(page: PageText) -> PageCues:
    """First-page and last-page cues of one page (worked out once per page)."""
    return page.cues


def _page_cues(page: PageText) -> PageCues:
    lines = page_lines(page)
    top = lines[:14]
    heads = [(line, *cv.strip_national(line.key)) for line in lines[:8]]
    first_line = lines[0].text if lines else ""
    return PageCues(
        national_header=any(kind for _, kind, _ in heads),
        organ_header=any(cv.read_organ(line.text, key) for line, _, key in heads),
        symbol=find_symbol(top, bare=False) is not None,
        place_date=find_date(top) is not None,
        type_line=find_type_line(lines[:20]) is not None,
        page_number_on_top=bool(re.fullmatch(r"[-–—.\s]*\d{1,3}[-–—.\s]*", first_line)),
        signature=bool(find_signature(lines, None)),
        recipients=find_recipients(lines) is not None,
        attachment=is_attachment(lines),
    )


_ATTACHMENT = re.compile(r"^\W*(?:du thao|phu luc\b|\(?\s*kem theo\b.{0,40}\bso\b)")


def is_attachment(lines: Sequence[Line]) -> bool:
    """Whether a page opens an attachment of the document before it: a draft ("DỰ THẢO") of
    the resolution a Tờ trình submits, an appendix ("PHỤ LỤC", "(Kèm theo Quyết định số ...)")."""
    for line in lines[:12]:
        m = _ATTACHMENT.match(line.key)
        if not m:
            continue
        alone = line.key[m.end() :].strip() == "" or "du thao" not in m.group()  # "DỰ THẢO" alone
        if alone and (cv.is_upper(line.text[: m.end()], 0.9) or "kem theo" in m.group()):
            return True
    return False
