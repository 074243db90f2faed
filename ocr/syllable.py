"""Vietnamese syllable well-formedness: onset, rhyme and tone rules of the written language."""

from __future__ import annotations

import re
import unicodedata

_TONE_MARKS = {
    "\u0300": "huyền",
    "\u0301": "sắc",
    "\u0303": "ngã",
    "\u0309": "hỏi",
    "\u0323": "nặng",
}

# Longest first so "ngh" wins over "ng" and "n".
ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip

# Every rhyme (vần) of standard orthography, tone marks removed, medial o/u included.
RHYMES = frozenset(
    """
    a ai ao au ay ac ach am an ang anh ap at
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e eo ec em en eng ep et
    ê êu êch êm ên ênh êp êt
    i ia iu ich im in inh ip it
    iêc iêm iên iêng iêp iêt iêu
    y yêm yên yêt yêu
    o oi oc om on ong op ot ooc oong
    ô ôi ôc ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua ui uc um un ung up ut uôc uôi uôm uôn uông uôt
    ư ưa ưi ưu ưc ưm ưn ưng ưt ươc ươi ươm ươn ương ươp ươt ươu
    oa oai oao oay oac oach oam oan oang oanh oap oat
    oăc oăm oăn oăng oăt
    oe oeo oen oet oem
    uâ uân uâng uât uây
    uê uêch uênh uên
    uơ
    uy uya uyu uych uynh uyt uyn uyp uyên uyêt
    """.split()
)

_STOP_CODAS = ("c", "ch", "p", "t")
_FRONT = ("e", "ê", "i", "y")

_VIET_LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")
_ABBREVIATION = re.compile(r"^[A-ZĐ]{1,6}$")
_VOWELS = "aăâeêioôơuưy"


def split_tone(word: str) -> tuple[str, str | None]:
    """The word with its tone mark removed (NFC) and the tone's name (None for thanh ngang)."""
    tone = None
    kept = []
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONE_MARKS:
            if tone is not None:
                return word, "invalid"  # two tone marks on one syllable
            tone = _TONE_MARKS[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def is_syllable(word: str) -> bool:
    """True when `word` (letters only, any case) is a well-formed Vietnamese syllable.

    Checks the onset, the rhyme against the orthography's rhyme list, the c/k, g/gh, ng/ngh
    spelling rules, and that stop-final rhymes carry only the sắc or nặng tone.
    """
    if not word or not (word.islower() or word.isupper() or word.istitle()):
        return False
    bare, tone = split_tone(word.lower())
    if tone == "invalid" or not set(bare) <= _VIET_LETTERS:
        return False
    for onset in ONSETS:
        if not bare.startswith(onset):
            continue
        rhyme = bare[len(onset) :]
        if onset == "gi" and (not rhyme or rhyme[0] not in _VOWELS or rhyme[0] == "ê"):
            # "gì", "giếng": the i of gi also serves as the nucleus ("gi"+"iêng" is written
            # "giêng"), so test the rhyme with it restored.
            rhyme = "i" + rhyme
        if onset == "qu" and rhyme.startswith("y"):
            rhyme = "u" + rhyme  # quy, quyết: the u is the medial
        elif onset == "qu":
            rhyme = _medial_after_qu(rhyme)
        if rhyme not in RHYMES or not _spelling_ok(onset, rhyme):
            continue
        if tone not in ("sắc", "nặng") and rhyme.endswith(_STOP_CODAS):
            continue
        return True
    return False


def _medial_after_qu(rhyme: str) -> str:
    # After q the medial is written u, where elsewhere it is written o: "qua" ~ "hoa".
    if rhyme[:1] in ("a", "ă", "e"):
        return "o" + rhyme
    return "u" + rhyme


def _spelling_ok(onset: str, rhyme: str) -> bool:
    front = rhyme.startswith(_FRONT)
    if onset == "k":
        return front
    if onset in ("c", "g", "ng"):
        return not front
    if onset in ("gh", "ngh"):
        return front
    # Without an onset the diphthong is written "yê": "yên", not "iên".
    return onset != "" or not rhyme.startswith("iê")


def is_abbreviation(token: str) -> bool:
    """Short all-capital tokens of consonants or known symbols (TW, QĐ, BTCTW, T/M, K/T)."""
    parts = [p for p in re.split(r"[/.\-]", token) if p]
    return bool(parts) and all(_ABBREVIATION.match(p) for p in parts)


def well_formed_share(words: list[str]) -> tuple[float, int]:
    """Share of checkable words that are well-formed syllables, and how many were checked.

    Numbers, symbols with digits (10-ĐA/TU), punctuation and abbreviations are not checked.
    Hyphen- or slash-joined tokens are checked part by part.
    """
    checked = good = 0
    for raw in words:
        token = raw.strip(".,;:!?\"'()[]{}«»“”‘’…*")
        if not token or any(ch.isdigit() for ch in token):
            continue
        if not any(ch.isalpha() for ch in token):
            continue
        if is_abbreviation(token):
            continue
        parts = [p for p in re.split(r"[/\-–]", token) if p]
        checked += 1
        if all(is_syllable(p) or is_abbreviation(p) for p in parts):
            good += 1
    return (good / checked if checked else 1.0), checked
