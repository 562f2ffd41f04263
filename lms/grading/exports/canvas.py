"""The file for Canvas's gradebook import ("Import" on the Gradebook page).

Every rule below comes from Canvas's importer (instructure/canvas-lms, app/models/gradebook_importer.rb,
Assignment.title_and_id in app/models/assignment.rb, ui/features/gradebook_uploads/jquery/
process_gradebook_upload.js); the tests in tests/grading/test_export_importers.py run each file
through a port of those rules.

- Header: `Student, ID, SIS Login ID, Section` (or `Student, ID, SIS User ID, SIS Login ID, Section`
  when the teacher says the student number is the Canvas SIS id), then one column per assignment.
- An assignment header is never read as a Canvas assignment id: Canvas takes `Title (123)` (white
  space, parenthesised ASCII digits, end of text) as assignment 123, so such a title ends `[123]`.
- Canvas drops every column whose header contains "Current Score", "Final Grade" and the other
  totals' names (case-sensitive): their capitals are lowered ("Final grade review").
- Canvas finds an assignment's column by the first header equal to its title, so headers are unique
  and never equal a student column's header; a header Canvas's number converter would rewrite
  (`1,5` → `1.5`) is marked "(assignment)".
- Second row "Points Possible": Canvas creates new assignments with these points.
- Students: no Canvas user id (we do not know it); SIS Login ID = e-mail. Canvas matches the SIS
  User ID before the login, so the student number goes there only when the teacher says it is the
  Canvas SIS id. The Student cell is "Name <e-mail>": when nothing matches, Canvas compares names,
  and two students with one name must not be confused; the teacher then picks the student by hand.
- A blank cell removes the grade in Canvas, "EX" excuses. For blanks the teacher chooses 0, EX, or to
  leave Canvas alone: then assignments and students without any grade are left out of the file (Canvas
  changes nothing it is not sent), and the export is refused while a graded assignment still has an
  ungraded student, since no cell value tells Canvas "leave this one".
"""
from __future__ import annotations

import re
from typing import Iterator

from flask_babel import gettext as _
from flask_babel import ngettext

from lms.grading.exports.cells import needs_guard, number, one_line, safe_text, unique
from lms.grading.exports.options import ExportOptions, ExportRefused
from lms.grading.exports.table import Mark, Student, Table

#: Assignment.title_and_id: /\A(.*)\s\((\d+)\)\z/ (Ruby: \s and \d are ASCII only).
TITLE_AND_ID = re.compile(r"\A(.*)[ \t\n\v\f\r]\(([0-9]+)\)\Z", re.DOTALL)
#: GradebookImporter::NON_ASSIGNMENT_COLUMN_HEADERS, matched anywhere in a header ("Unposted …" too).
DROPPED_WORDS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                 "Final Grade", "Override Score", "Override Grade", "Override Status")
#: GradebookImporter::GRADEBOOK_IMPORTER_RESERVED_NAMES, and "Notes", the title of the custom column
#: Canvas gives every course (a header equal to a custom column's title is read as that column).
RESERVED = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Section",
            "Integration ID", "Root Account", "Notes")
#: The CSV converter :decimal_comma_to_period applies to every field that matches this.
_DECIMAL_FIELD = re.compile(r"^-?[0-9.,]+%?$", re.MULTILINE)


def decimal_comma_to_period(field: str) -> str:
    """What Canvas's CSV converter makes of a field (`1,5` → `1.5`, `1.000,5` → `1000.5`)."""
    if not _DECIMAL_FIELD.search(field):
        return field
    parts = re.split(r"[,.]", field)
    last = parts.pop()
    return last if not parts else "".join(parts) + "." + last


def header(title: str) -> str:
    """An assignment title as a header Canvas reads as a title, and the same title every time."""
    text = one_line(title)
    for words in DROPPED_WORDS:
        text = text.replace(words, words[0] + words[1:].lower())
    match = TITLE_AND_ID.match(text)
    if match:
        text = f"{match.group(1)} [{match.group(2)}]"
    if text in RESERVED or decimal_comma_to_period(text) != text:
        text = f"{text} (assignment)"
    return text


def _student_cell(student: Student) -> str:
    # "Points Possible" anywhere in the first cell makes Canvas read the row as the points row.
    return f"{student.name} <{student.email}>".replace("Points Possible", "Points possible")


def _cell(mark: Mark, blanks: str) -> str:
    if mark.excused:
        return "EX"
    if mark.score is not None:
        return number(mark.score)
    return {"zero": "0", "excused": "EX"}.get(blanks, "")


def _key_problems(students: list[Student], use_sis: bool) -> list[str]:
    """Students whose identifying value Canvas would read differently from what we write."""
    bad = []
    for s in students:
        values = [s.email] + ([s.student_no] if use_sis and s.student_no else [])
        if any(needs_guard(v) or decimal_comma_to_period(v) != v or v != v.strip() for v in values):
            bad.append(s.name)
    return bad


def rows(table: Table, options: ExportOptions) -> Iterator[list[str]]:
    """The file's rows, header first. Raises ExportRefused (see the module docstring)."""
    keep = list(range(len(table.columns)))
    students = list(table.students)
    if options.blanks == "keep":
        keep = [n for n in keep if any(not s.marks[n].is_blank for s in students)]
        students = [s for s in students if any(not s.marks[n].is_blank for n in keep)]
        gaps = [(s.name, table.columns[n].title) for s in students for n in keep if s.marks[n].is_blank]
        if gaps:
            examples = "; ".join(f"{name} – {title}" for name, title in gaps[:5])
            raise ExportRefused(ngettext(
                "%(num)d graded assignment cell is still empty (%(examples)s). Canvas's import has no way to "
                "leave one cell alone: an empty cell removes the grade in Canvas. Grade it, or choose 0 or EX "
                "for ungraded work.",
                "%(num)d cells of graded assignments are still empty (%(examples)s). Canvas's import has no "
                "way to leave one cell alone: an empty cell removes the grade in Canvas. Grade them, or choose "
                "0 or EX for ungraded work.", len(gaps), examples=examples), [name for name, _t in gaps])
    use_sis = options.match == "sis_user_id"
    bad = _key_problems(students, use_sis)
    if bad:
        raise ExportRefused(_("Canvas would read the e-mail address or student number of %(names)s differently "
                              "from Circles, so their rows could not be matched. Correct them first.",
                              names=", ".join(bad[:10])), bad)
    identity = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] if use_sis else \
        ["Student", "ID", "SIS Login ID", "Section"]
    titles = unique([safe_text(header(table.columns[n].title)) for n in keep], taken=set(RESERVED))
    yield identity + titles
    yield ["Points Possible"] + [""] * (len(identity) - 1) + [number(table.columns[n].points) for n in keep]
    for s in students:
        who = [safe_text(_student_cell(s)), ""] + ([s.student_no] if use_sis else []) + \
            [s.email, safe_text(table.circle_name)]
        yield who + [_cell(s.marks[n], options.blanks) for n in keep]
