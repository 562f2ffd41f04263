"""What the teacher chooses for an export, and the refusal raised when a file would misplace grades."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

FORMATS = ("canvas", "moodle", "csv", "xlsx")
FORMAT_LABELS = {"canvas": _l("Canvas gradebook import (CSV)"), "moodle": _l("Moodle grade import (CSV)"),
                 "csv": _l("Plain CSV (every column, for people)"), "xlsx": _l("Excel workbook (XLSX)")}

#: What an ungraded cell (no score, not excused) becomes, per format.
BLANKS = {
    "canvas": ("keep", "zero", "excused"),
    "moodle": ("nograde", "zero"),
}
BLANK_LABELS = {
    "keep": _l("Leave the grade in Canvas alone"),
    "zero": _l("0 (counts as no points)"),
    "excused": _l("EX (excused in Canvas)"),
    "nograde": _l("- (Moodle's “no grade”)"),
}
#: Which column identifies the student in the other system.
MATCHES = {
    "canvas": ("login", "sis_user_id"),
    "moodle": ("email", "student_no"),
}
MATCH_LABELS = {
    "login": _l("Canvas login (SIS Login ID) = the student's e-mail"),
    "sis_user_id": _l("Canvas SIS User ID = the Circles student number"),
    "email": _l("Moodle e-mail address"),
    "student_no": _l("Moodle ID number = the Circles student number"),
}
#: The form's groups of settings: Canvas, Moodle, and the plain files (CSV and XLSX) that share theirs.
GROUPS = {"canvas": "canvas", "moodle": "moodle", "csv": "plain", "xlsx": "plain"}
#: Formats whose export leaves out unreleased grades unless the teacher says otherwise: Canvas and Moodle
#: may show students every grade they import at once, whereas the plain files are for the staff's own use.
RELEASED_ONLY_BY_DEFAULT = frozenset({"canvas", "moodle"})
SCALES = ("percent", "points")
SCALE_LABELS = {"percent": _l("Percent (out of 100, what a new Moodle grade item holds)"),
                "points": _l("Points (for existing Moodle grade items with the same maximum)")}


@dataclass(frozen=True)
class ExportOptions:
    fmt: str = "canvas"
    blanks: str = ""
    match: str = ""
    scale: str = "percent"
    #: grades not yet released to students are exported as ungraded; None: the format's default
    released_only: bool | None = None

    def __post_init__(self):
        if self.fmt not in FORMATS:
            raise ValueError(self.fmt)
        if self.released_only is None:
            object.__setattr__(self, "released_only", self.fmt in RELEASED_ONLY_BY_DEFAULT)
        blanks, matches = BLANKS.get(self.fmt, ("",)), MATCHES.get(self.fmt, ("",))
        object.__setattr__(self, "blanks", self.blanks if self.blanks in blanks else blanks[0])
        object.__setattr__(self, "match", self.match if self.match in matches else matches[0])
        if self.scale not in SCALES or self.fmt != "moodle":
            object.__setattr__(self, "scale", "percent" if self.fmt == "moodle" else "")

    def as_details(self) -> dict:
        return {"format": self.fmt, "blanks": self.blanks or None, "match": self.match or None,
                "scale": self.scale or None, "released_only": self.released_only}


class ExportRefused(Exception):
    """The file would put grades in the wrong place or lose them; `message` says why and what to do."""

    def __init__(self, message: str, students: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.students = students or []
