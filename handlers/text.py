"""Text normalisation for Vietnamese input typed on phones."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

# Invisible format characters (Unicode category Cf) that phones and copy-paste slip into
# messages: zero-width spaces and joiners, the BOM, the soft hyphen, and the direction marks
# Android puts around a copied phone number ("0912\u2066345\u2069678", which reads as
# 0912345678 but hid from the personal-data check). Emoji sequences joined by them fall
# apart into their emoji, which is all the bot reads of them.
_INVISIBLE = re.compile("[" + "".join(
    chr(c) for c in [*range(0x10000), *range(0xE0000, 0xE0080)]
    if unicodedata.category(chr(c)) == "Cf") + "]")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace but line breaks
_LINE_EDGES = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")
# Every combining mark (Unicode category Mn) of the Basic Multilingual Plane, to delete.
_COMBINING_MARKS = dict.fromkeys(
    c for c in range(0x10000) if unicodedata.category(chr(c)) == "Mn")
# NUL and other control characters (PostgreSQL refuses NUL in text) and lone surrogates (not
# encodable as UTF-8), which a JSON client or a broken keyboard can send.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def normalize_input(text: str) -> str:
    """NFC-normalise, drop invisible characters and collapse spaces. Line breaks stay (an
    announcement's or a staff answer's paragraphs came out as one run-on line), at most one
    blank line in a row."""
    text = strip_invisible(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_EDGES.sub("\n", _SPACES.sub(" ", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


@functools.lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics ("Hội chợ" -> "hoi cho").

    Cached: the same button labels and commune names are folded for many messages.
    """
    text = normalize_input(text).lower().replace("đ", "d")
    if text.isascii():
        return text
    return unicodedata.normalize("NFD", text).translate(_COMBINING_MARKS)


# Closeness of a typed name to a name (difflib's ratio) from which it is suggested.
SUGGEST_FROM = 0.8


def closeness(query: str, name: str) -> float | None:
    """How close a typed name is to a name, both folded ("hai duongg" to "hai duong"), for a
    "did you mean"; None when too far to suggest."""
    ratio = difflib.SequenceMatcher(None, query, name).ratio()
    # A typo in one word of a two-word name still leaves the other word right.
    same_words = len(set(query.split()) & set(name.split()))
    if ratio >= SUGGEST_FROM or (same_words and ratio >= SUGGEST_FROM - 0.15):
        return ratio + 0.05 * same_words
    return None


_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Split text into lower-case words (Vietnamese syllables), keeping diacritics."""
    return _WORD.findall(normalize_input(text).lower())


def storable(text: str) -> str:
    """Drop what no database column can hold: NUL, control characters, lone surrogates."""
    return _UNSTORABLE.sub("", text) if text else text


def strip_invisible(text: str) -> str:
    """NFC-normalise and drop invisible characters, keeping spacing and line breaks."""
    if not text or text.isascii():  # nothing to do, and the knowledge base has many such texts
        return text or ""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


MAX_ID_DIGITS = 9  # ids in buttons are integer columns' values; a longer number is none of ours


def row_id(raw: str | None) -> int | None:
    """The id a button or a staff member names, or None for anything that is no id of ours
    (letters, "²" and other digits Python's int() refuses, numbers past the column's range)."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS:
        return int(raw)
    return None


def shorten(text: str, limit: int = 40) -> str:
    """`text` cut to at most `limit` characters at a word's end, with "…" (a button's label
    cut mid-word, "…bao nhiêu la…", read badly on a phone)."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


# Yes and no as people type them to a question with buttons, and the buttons that mean them
# (folded). "có" typed to "Tôi đồng ý" / "Tôi không đồng ý" fell out of the consent step.
_YES = frozenset({"co", "yes", "y", "yeah", "yep", "ok", "oke", "okay", "oki", "dong y",
                  "toi dong y", "em dong y", "minh dong y", "vang", "vang dong y", "da",
                  "da vang", "da co", "duoc", "dc", "agree", "i agree",
                  "yes i agree", "sure", "co dong y"})
_NO = frozenset({"khong", "ko", "k", "kg", "khg", "hok", "hong", "no", "n", "nope", "khong a",
                 "khong dong y", "toi khong dong y", "em khong dong y", "minh khong dong y",
                 "chua", "i do not agree", "i dont agree", "disagree"})
_YES_LABELS = frozenset({"co", "yes", "dong y", "toi dong y", "i agree", "agree"})
_NO_LABELS = frozenset({"khong", "no", "khong dong y", "toi khong dong y", "i do not agree"})
_POLITE_ENDINGS = frozenset({"a", "nhe", "nha", "nhe ad", "ad", "ban", "anh", "chi", "em"})


# Chat spellings of a few words, as owners type them on a phone.
_CHAT_WORDS = {"dc": "duoc", "ko": "khong", "k": "khong", "kg": "khong", "khg": "khong",
               "hok": "khong", "j": "gi", "ht": "ho tro", "htro": "ho tro"}


def plain(text: str) -> str:
    """A short message folded, without punctuation, its chat spellings written out ("dc",
    "ko") and without a polite ending ("ạ", "nhé"): to compare with a button's label."""
    words_ = [_CHAT_WORDS.get(word, word)
              for word in re.sub(r"[^\w\s]", " ", fold(text)).split()]
    while len(words_) > 1 and words_[-1] in _POLITE_ENDINGS:
        words_.pop()
    return " ".join(words_)


# What people type to leave a form, as a whole message ("thôi", "hủy", "thoát ra", "về menu").
# Folded, they may also be an answer to a question that asks for text ("Huy", a name; "đúng"
# folds to "dung"): there only the spellings with their diacritics, or in English, count.
_STOP_TYPED = frozenset({"hủy", "huỷ", "hủy bỏ", "huỷ bỏ", "thoát", "thoát ra", "dừng",
                         "dừng lại", "thôi", "thôi không làm nữa", "không làm nữa", "về menu",
                         "quay lại menu", "quay về menu", "trở về menu", "menu", "menu chính",
                         "trình đơn chính", "cancel", "stop", "exit", "quit", "main menu",
                         "back to menu", "back to the menu", "go back to the menu"})
_STOP_FOLDED = frozenset({"huy", "huy bo", "thoat", "thoat ra", "dung lai", "thoi",
                          "thoi khong lam nua", "khong lam nua", "ve menu", "quay lai menu",
                          "quay ve menu", "tro ve menu", "menu chinh", "trinh don chinh"})


def wants_to_stop(text: str, *, typed_answer: bool) -> bool:
    """Whether a message, whole, asks to leave the form it was typed in; `typed_answer`: the
    form's question asks for a typed answer, which "huy" could be (a name), written so; the
    other folded spellings ("thoi", "thoat", "ve menu") are no answer to anything, and people
    who type without diacritics were kept in the form by them."""
    exact = " ".join(re.sub(r"[^\w\s]", " ", normalize_input(text).lower()).split())
    while exact.rsplit(" ", 1)[-1] in {"ạ", "nhé", "nha", "nhe", "đi", "please"} and " " in exact:
        exact = exact.rsplit(" ", 1)[0]
    said = plain(text)
    folded = " ".join(w for w in said.split() if w not in {"di", "em", "ad"}) or said
    return exact in _STOP_TYPED or (folded in _STOP_FOLDED and not (
        typed_answer and said == "huy"))


# In a short reply that asks nothing, words that say yes or no among others ("uh thì đồng ý",
# "ok we take it", "yes please", "uh hủy đi"; "không, thôi"): a reply to a booth offer or the
# consent typed so lost it (a phone walkthrough, 8 Dec 2026). "có" is left out ("có lẽ").
_YES_WORDS = (("dong", "y"), ("ok",), ("oke",), ("okay",), ("yes",), ("vang",), ("uh",),
              ("uhm",), ("um",), ("duoc",), ("take", "it"), ("accept",), ("agree",),
              ("sure",), ("yep",), ("yeah",))
_NO_WORDS = (("khong",), ("no",), ("chua",), ("nope",), ("not",), ("pass",), ("decline",),
             ("refuse",), ("dont",))
_SHORT_REPLY = 6  # words


def yes_or_no(text: str) -> bool | None:
    """Whether a typed message says yes (True) or no (False): "có ạ", "đồng ý", "ok", "ko",
    "không đồng ý", and a short reply with such words among others; None for anything else
    (a question, both, or neither)."""
    said = plain(text)
    if said in _YES or said in _NO:
        return said in _YES
    words_ = said.split()
    if not words_ or len(words_) > _SHORT_REPLY or "?" in text:
        return None
    has = {meaning for meaning, phrases in ((True, _YES_WORDS), (False, _NO_WORDS))
           if any(tuple(words_[i:i + len(p)]) == p for p in phrases for i in range(len(words_)))}
    return has.pop() if len(has) == 1 else None


def answers_yes_or_no(label: str) -> bool | None:
    """Whether a button's label is a yes (True: "Có", "Tôi đồng ý", "Có, hủy…") or a no."""
    folded = fold(label).strip()
    head = folded.split(",", 1)[0].strip()
    for value, labels in ((True, _YES_LABELS), (False, _NO_LABELS)):
        if folded in labels or ("," in folded and head in labels):
            return value
    return None


def pick_yes_or_no(typed: str, labels: list[str]) -> int | None:
    """The one label among `labels` a typed yes or no stands for, if exactly one means it."""
    said = yes_or_no(typed)
    if said is None:
        return None
    meaning = [i for i, label in enumerate(labels) if answers_yes_or_no(label) is said]
    return meaning[0] if len(meaning) == 1 else None
