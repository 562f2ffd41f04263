"""Cell values for exported files: numbers and titles (the formula guard is lms.core.spreadsheet)."""
from __future__ import annotations


def number(value: float | None, places: int = 2) -> str:
    """A number with a dot as decimal mark, at most `places` decimals, no trailing zeros; "" for None."""
    if value is None:
        return ""
    text = f"{round(value, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def one_line(text: str) -> str:
    """Every run of white space (line breaks, tabs) as one space, none at either end."""
    return " ".join((text or "").split())


def unique(names: list[str], taken: set[str] | None = None) -> list[str]:
    """The names with later duplicates (and names in `taken`) marked `[2]`, `[3]`… so each is unique."""
    seen = set(taken or ())
    result = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name} [{n}]"
        seen.add(candidate)
        result.append(candidate)
    return result
