"""Text bound for spreadsheets: the formula guard (CSV injection) every export uses."""
from __future__ import annotations

import re
import unicodedata

#: Characters a spreadsheet may take as a field separator when it opens a CSV file: the comma, the
#: semicolon (the list separator where the decimal mark is a comma), tab, pipe and line breaks.
SEPARATORS = ";,\t|\r\n"

# OWASP "CSV Injection": a cell that starts with = + - @, tab or CR is run as a formula, and so is
# any piece of a cell that a spreadsheet splits off at a separator (`Ann;=2+5` opened where `;` is
# the list separator). Spaces before the sign do not stop every spreadsheet, so they are allowed for.
_RISKY = re.compile(r"(?:\A|[;,\t|\r\n])[ \u00a0]*[=+\-@]|\A[\t\r]")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could run (part of) `text` as a formula.

    Plain numbers (`-1.5`) and the lone `-` (Moodle's "no grade") are numbers or text to every
    spreadsheet. Full-width signs and separators (＝, ；) are checked too: some spreadsheets fold them."""
    if text == "-" or _PLAIN_NUMBER.fullmatch(text):
        return False
    return bool(_RISKY.search(text) or _RISKY.search(unicodedata.normalize("NFKC", text)))


def safe_text(value) -> str:
    """`value` as text that no spreadsheet runs as a formula: an apostrophe first when needed."""
    text = "" if value is None else str(value)
    return "'" + text if needs_guard(text) else text
