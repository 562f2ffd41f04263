"""lms.core.inputs: the one normalizer for typed codes and numbers, the one cleaner for single-line text."""
from __future__ import annotations

import pytest
from wtforms import Form, StringField
from wtforms.validators import DataRequired, Optional

from lms.circles.codes import normalize_code, normalize_token
from lms.core.inputs import (DASHES, SingleLine, TextRejected, clean_line, comparison_key, has_visible,
                             normalize_number, normalize_typed, number_key, prepare_line)


@pytest.mark.parametrize("dash", sorted(DASHES))
def test_every_dash_is_removed_or_unified(dash):
    """Is every listed dash removed from a code and read as "-" in a number?"""
    assert normalize_typed(f"AB{dash}CD") == "ABCD"
    assert normalize_number(f"2023{dash}01") == "2023-01"


@pytest.mark.parametrize("space", ["\u0020", "\u3000", "\u00a0", "\u2002", "\u2009", "\u202f", "\t", "\u200b",
                                   "\ufeff", "\u2060"])
def test_every_space_is_removed(space):
    """Are ideographic, no-break, thin, zero-width spaces and the BOM removed from codes and number keys,
    and in a shown number trimmed, invisible ones dropped and visible ones kept as one ASCII space?"""
    assert normalize_typed(f"AB{space}CD") == "ABCD"
    assert number_key(f"{space}S{space}12{space}") == "S12"
    shown = normalize_number(f"{space}S{space}{space}12{space}")
    assert shown in ("S12", "S 12") and (shown == "S12") == (space in "\u200b\ufeff\u2060")


@pytest.mark.parametrize("typed, code", [
    ("ＡＢ０ＣＤ１ＥＦ", "AB0CD1EF"), ("ab0c-d1ef", "AB0CD1EF"), ("abOc-dIef", "AB0CD1EF"),
    ("ＡＢＣＤＥ－ＦＧＨＪＫ", "ABCDEFGHJK"), ("ＡＢＣＤＥーＦＧＨＪＫ", "ABCDEFGHJK"), ("", ""), (None, ""),
    ("①②", "12"),  # NFKC: circled digits are digits
])
def test_normalize_code(typed, code):
    """Do join and course codes compare in full width, any case, with dashes and look-alikes?"""
    assert normalize_code(typed) == code


def test_normalize_token_keeps_case_and_underscore():
    """Do invite tokens keep case and "_", and read any dash as "-"?"""
    assert normalize_token(" Ａb3—x_Y ") == "Ab3-x_Y"


@pytest.mark.parametrize("typed, stored", [("", None), ("   ", None), (None, None), ("００１２３", "00123"),
                                           ("2023000100020003", "2023000100020003"), ("s-1", "S-1")])
def test_normalize_number(typed, stored):
    """Is an empty number None (so the unique constraint ignores it) and leading zeros kept?"""
    assert normalize_number(typed) == stored


@pytest.mark.parametrize("typed, shown, key", [
    ("SR2026-002", "SR2026-002", "SR2026002"), ("SR2026 002", "SR2026 002", "SR2026002"),
    ("sr2026 001", "SR2026 001", "SR2026001"), ("ＳＲ２０２６－００２", "SR2026-002", "SR2026002"),
    ("SR2026\u2014002", "SR2026-002", "SR2026002"), (" SR2026\u3000\u3000002 ", "SR2026 002", "SR2026002"),
    ("", None, None), (None, None, None),
])
def test_number_shown_as_written_and_compared_by_key(typed, shown, key):
    """Does a number keep the school's separators for exports (Moodle maps `SR2026-002` exactly) while
    the forms the tester typed (space, lower case, full width, em dash) compare as one number?"""
    assert normalize_number(typed) == shown
    assert number_key(typed) == key


@pytest.mark.parametrize("a, b", [("Ann", "ＡＮＮ"), ("Ann", " ann "), ("Ann", "Ann\u200b"), ("Ann Lee", "Ann  Lee"),
                                  ("Straße", "STRASSE")])
def test_comparison_key_matches_what_reads_the_same(a, b):
    """Are names that read the same one name?"""
    assert comparison_key(a) == comparison_key(b)


@pytest.mark.parametrize("text", ["\u200b", "\u3164", "\u115f\u1160", "\uffa0", "\u2800", " \u200d ", "\u0301",
                                  "\ufe0f", "\U000e0041", "\u034f", "\u17b4"])
def test_invisible_only(text):
    """Are format characters, fillers, the braille blank, lone combining marks and tags invisible?"""
    assert not has_visible(text)
    with pytest.raises(TextRejected):
        clean_line(text)


@pytest.mark.parametrize("text", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069", "\r", "\n", "\t", "\x00", "\x7f", "\x85", "\u2028", "\u2029", "\ud800",
                                  "\ufffe"])
def test_refused_characters(text):
    """Is each bidi control, control, line/paragraph separator, surrogate and noncharacter refused inside text?"""
    with pytest.raises(TextRejected):
        clean_line(f"Ann{text}Lee")


@pytest.mark.parametrize("text", ["Ann", "王小明", "שָׁלוֹם", "عليّ\u200f", "👨‍👩‍👧", "🇨🇳", "Zoe\u0308", "I\u200cII"])
def test_accepted(text):
    """Do names in every script, emoji sequences (ZWJ, flags) and marks inside words pass, NFC-normalized?"""
    assert clean_line(f"  {text}  ") == prepare_line(text)


def test_clean_line_required_and_length():
    """Is empty refused when required (None otherwise), and length checked after cleaning?"""
    with pytest.raises(TextRejected, match="required"):
        clean_line("   ")
    assert clean_line("  ", required=False) is None
    with pytest.raises(TextRejected, match="At most 3 characters"):
        clean_line("abcd", max_length=3)
    assert clean_line("e\u0301") == "é"


class _Form(Form):
    name = StringField(validators=[DataRequired(), SingleLine()], filters=[prepare_line])
    number = StringField(validators=[Optional(), SingleLine()], filters=[prepare_line])


class _Data(dict):
    def getlist(self, key):
        return [self[key]] if key in self else []


@pytest.mark.parametrize("name, ok", [("Ann", True), ("\u200b", False), ("A\u202eB", False), ("  ", False)])
def test_wtforms_validator(name, ok):
    """Does the validator refuse, with a message, what clean_line refuses (and Optional skip empties)?"""
    form = _Form(_Data(name=name, number=""))
    assert form.validate() == ok
    if not ok:
        assert form.name.errors
    assert not form.number.errors
