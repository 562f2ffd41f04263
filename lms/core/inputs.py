"""What people type: one normalizer for codes and numbers, one cleaner for single-line text."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation

# -- codes and numbers -----------------------------------------------------------------------

#: Every dash and hyphen an input method or a word processor may put where the person meant "-":
#: hyphen, non-breaking hyphen, figure dash, en and em dash, horizontal bar, minus sign, small and
#: full-width hyphen-minus, small em dash, the katakana prolonged sound mark and the half-width one
#: (Japanese and Chinese IMEs give "ー" for the dash key), the hyphen bullet, swung dash, Armenian
#: and Hebrew hyphens, the two-em and three-em dashes, the wave dash and the wavy dash.
DASHES = frozenset(
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc\uff70\u2043\u2053\u058a\u05be"
    "\u2e3a\u2e3b\u301c\u3030\u1806\u2e17\u2e1a\u2e40\ufe31\ufe32"
)
# NFKC turns U+3000 and the other typographic spaces into U+0020; Python's isspace covers the rest,
# and the zero-width characters (and the soft hyphen, which is invisible) are format characters
# (Cf), dropped with them.
_SPACE_LIKE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")


def normalize_typed(raw: str | None, *, dashes: str | None = "") -> str:
    """A code or number as typed, the way it is compared and stored.

    Unicode NFKC (full-width letters and digits become ASCII: ``ＡＢ０`` → ``AB0``), every space and
    invisible character removed, every dash kind removed (``dashes=""``) or replaced by `dashes`
    (``"-"``: kept as one ASCII hyphen-minus). Case is left alone: each code's alphabet decides it.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    out = []
    for ch in text:
        if ch.isspace() or ch in _SPACE_LIKE or unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        if ch in DASHES:
            if dashes:
                out.append(dashes)
            continue
        out.append(ch)
    return "".join(out)


def normalize_number(raw: str | None) -> str | None:
    """A student (or staff) number as shown and exported: the way the school writes it, cleaned.

    NFKC (full-width ``ＳＲ２０２６－００２`` → ``SR2026-002``), every dash kind as one ASCII ``-``, invisible
    characters dropped, white space trimmed and each inner run of it as one ASCII space, upper case.
    Dashes and spaces are kept because the number travels to other systems that match it exactly
    (Moodle maps grades by ID number: ``SR2026-002`` must stay ``SR2026-002``); compare numbers
    with `number_key`. None for nothing typed.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        elif ch in _SPACE_LIKE or unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        else:
            out.append("-" if ch in DASHES else ch)
    return " ".join("".join(out).split()).upper() or None


def number_key(raw: str | None) -> str | None:
    """A student number as compared: NFKC, no spaces, no dashes of any kind, upper case.

    ``SR2026-002``, ``SR2026 002``, ``sr2026002`` and ``ＳＲ２０２６—００２`` are one number: people type
    the same number with or without its separators, and a school never gives two students numbers
    that differ only by them. None for nothing typed (the database lets NULL repeat).
    """
    return normalize_typed(raw).upper() or None


# -- single-line text ------------------------------------------------------------------------

#: Bidirectional embeddings, overrides and isolates: they reorder the text that follows them
#: (a display name ending in U+202E turns everything after it on the page around). The marks
#: U+200E, U+200F and U+061C stay allowed: Arabic and Hebrew keyboards type them, they reorder
#: nothing but neutral characters beside them, and they do not count as visible.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Letters (category Lo, So) that render as nothing: Hangul fillers, the braille blank, and friends.
FILLERS = frozenset("\u3164\u115f\u1160\uffa0\u2800\u17b4\u17b5\u034f\U0001d159")
# Categories that never show a glyph by themselves: control, format, spaces, line and paragraph
# separators, combining marks (a name of only accents) and surrogates.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Cs"})
_NONCHARACTER = re.compile("[\ufdd0-\ufdef\ufffe\uffff]")


class TextRejected(ValueError):
    """Text that cannot be a single-line value; the message is for the user."""


def line_problem(text: str) -> str | None:
    """Why `text` (already NFC and stripped) cannot be a single-line value, or None when it can."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" or ch in "\u2028\u2029":
            return str(_l("Line breaks, tabs and control characters are not allowed here."))
        if ch in BIDI_CONTROLS:
            return str(_l("Characters that reverse the direction of text are not allowed here."))
        if category == "Cs" or _NONCHARACTER.match(ch):
            return str(_l("This text contains characters that are not allowed."))
    if text and not has_visible(text):
        return str(_l("Type at least one visible letter, digit or sign: invisible characters alone show blank."))
    return None


def has_visible(text: str) -> bool:
    """Does `text` have at least one character that shows a glyph?"""
    return any(unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in FILLERS for ch in text)


def prepare_line(value):
    """NFC and surrounding white space off; anything not a string as it is.

    A WTForms filter: it never refuses, so a refused value is shown back as typed (minus padding).
    """
    if not isinstance(value, str):
        return value
    # Only white space comes off: a value of zero-width characters must reach the validator and be
    # refused with its reason, not be emptied into "required".
    return unicodedata.normalize("NFC", value).strip()


def clean_line(value: str | None, *, required: bool = True, max_length: int | None = None) -> str | None:
    """The one cleaner for single-line text that comes from outside a form (CSV, JSON, operations).

    Returns the NFC, stripped text; None when empty and not `required`. Raises TextRejected with a
    message for the user: empty when required, control characters (CR, LF, TAB...), bidi
    overrides/embeddings/isolates, nothing visible (U+200B, U+3164...), longer than `max_length`.
    """
    text = prepare_line(value or "")
    if not text:
        if required:
            raise TextRejected(str(_l("This field is required.")))
        return None
    problem = line_problem(text)
    if problem:
        raise TextRejected(problem)
    if max_length is not None and len(text) > max_length:
        raise TextRejected(str(_l("At most %(max)d characters.", max=max_length)))
    return text


class SingleLine:
    """WTForms validator for a one-line text field; pair it with ``filters=[prepare_line]``.

    Empty values are left to DataRequired/Optional; anything else must pass `line_problem`.
    """

    field_flags = {}

    def __call__(self, form, field):
        data = field.data
        if not isinstance(data, str) or not data:
            return
        problem = line_problem(prepare_line(data))
        if problem:
            raise StopValidation(problem)


def comparison_key(text: str | None) -> str:
    """How two names are compared for "the same name": NFKC, case-folded, invisible characters
    dropped and white space collapsed (``Ａnn``, ``ann`` and ``Ann\u200b`` are one name)."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    kept = "".join(ch for ch in folded if unicodedata.category(ch) not in ("Cf", "Cc") and ch not in FILLERS)
    return " ".join(kept.split())


def header_value(value: str) -> str:
    """A value safe for a mail header: every line break and control character folded to one space."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in BIDI_CONTROLS else ch
                   for ch in str(value))
    return " ".join(text.split())
