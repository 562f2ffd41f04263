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
  changes nothing it is not sent). No cell value tells Canvas "leave this one", so for the remaining
  ungraded cells the teacher adds Canvas's own gradebook export, whose grade the cell then repeats
  (unchanged); without it the export is refused.
- With Canvas's export the file also carries Canvas's user id ("ID", matched before anything else) and
  "Title (Canvas id)" headers for the assignments Canvas already has (found by title as Circles or an
  earlier import wrote it; two Canvas assignments of one title are refused, never guessed).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterator

from flask_babel import gettext as _
from flask_babel import ngettext

from lms.core.i18n import format_names, format_some_names
from lms.core.inputs import number_key
from lms.core.spreadsheet import needs_guard, safe_text
from lms.grading.exports.cells import number, one_line, unique
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


def _keep_column(text: str) -> str:
    for words in DROPPED_WORDS:
        text = text.replace(words, words[0] + words[1:].lower())
    return text


def header(title: str) -> str:
    """An assignment title as a header Canvas reads as a title, and the same title every time."""
    text = _keep_column(one_line(title))
    match = TITLE_AND_ID.match(text)
    if match:
        text = f"{match.group(1)} [{match.group(2)}]"
    if text in RESERVED or decimal_comma_to_period(text) != text:
        text = f"{text} (assignment)"
    return text


def _student_cell(student: Student) -> str:
    # "Points Possible" anywhere in the first cell makes Canvas read the row as the points row.
    return f"{student.name} <{student.email}>".replace("Points Possible", "Points possible")


_BLANK_CELLS = {"zero": "0", "excused": "EX"}


def _cell(mark: Mark, blanks: str) -> str:
    if mark.excused:
        return "EX"
    if mark.score is not None:
        return number(mark.score)
    return _BLANK_CELLS.get(blanks, "")


def _key_problems(students: list[Student], use_sis: bool) -> list[str]:
    """Students whose identifying value Canvas would read differently from what we write."""
    bad = []
    for s in students:
        values = [s.email] + ([s.student_no] if use_sis and s.student_no else [])
        if any(needs_guard(v) or decimal_comma_to_period(v) != v or v != v.strip() for v in values):
            bad.append(s.name)
    return bad


@dataclass
class CanvasGradebook:
    """What a Canvas gradebook export tells us: Canvas's ids for students and assignments, and the grades
    Canvas holds now (cell text as Canvas wrote it)."""

    by_login: dict[str, str] = field(default_factory=dict)  #: lower-cased SIS Login ID → Canvas user id
    by_sis: dict[str, str] = field(default_factory=dict)  #: SIS User ID's number_key → Canvas user id
    assignments: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  #: title → [(id, title)]
    grades: dict[tuple[str, str], str] = field(default_factory=dict)  #: (user id, assignment id) → grade


def read_canvas_export(data: bytes) -> CanvasGradebook:
    """Read the CSV Canvas's Gradebook "Export" makes (the columns its importer reads, see the module
    docstring). Raises ExportRefused when it is not such a file."""
    text = data.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[:3]
    sep = ";" if first and all(line.count(";") > line.count(",") for line in first) else ","
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if r]
    head = rows[0] if rows else []
    if len(head) < 4 or "Student" not in head[0] or "ID" not in head[1] or not any("Section" in h for h in head):
        raise ExportRefused(_("That file is not a Canvas gradebook export (its first columns must be "
                              "Student, ID, … Section)."))
    login = next((n for n, h in enumerate(head) if re.fullmatch(r"SIS\s+Login\s+ID", h)), None)
    sis = next((n for n, h in enumerate(head) if re.fullmatch(r"SIS\s+User\s+ID", h)), None)
    first_assignment = next(n for n, h in enumerate(head) if "Section" in h) + 1
    book = CanvasGradebook()
    columns = []
    for n, h in enumerate(head[first_assignment:], first_assignment):
        match = TITLE_AND_ID.match(h)
        if match and not any(words in h for words in DROPPED_WORDS):
            columns.append((n, match.group(2)))
            book.assignments.setdefault(match.group(1), []).append((match.group(2), match.group(1)))
    for row in rows[1:]:
        if "Points Possible" in row[0] or len(row) < len(head) or not row[1].strip().isdigit():
            continue
        user = row[1].strip()
        if login is not None and row[login].strip():
            book.by_login[row[login].strip().lower()] = user
        if sis is not None and number_key(row[sis]):
            book.by_sis[number_key(row[sis])] = user
        for n, assignment in columns:
            book.grades[(user, assignment)] = row[n].strip()
    return book


def rows(table: Table, options: ExportOptions, current: CanvasGradebook | None = None) -> Iterator[list[str]]:
    """The file's rows, header first. Raises ExportRefused (see the module docstring).

    With `current` (Canvas's own export of the course) the file names Canvas's user and assignment ids,
    and an ungraded cell under "leave alone" repeats the grade Canvas holds, so nothing changes there."""
    keep = list(range(len(table.columns)))
    students = list(table.students)
    use_sis = options.match == "sis_user_id"
    user_ids = [_canvas_user(s, current, use_sis) for s in students] if current else [""] * len(students)
    assignment_ids = [_canvas_assignment(c.title, current) for c in table.columns] if current else \
        [None] * len(table.columns)
    if options.blanks == "keep":
        keep = [n for n in keep if any(not s.marks[n].is_blank for s in students)]
        chosen = [i for i, s in enumerate(students) if any(not s.marks[n].is_blank for n in keep)]
        students, user_ids = [students[i] for i in chosen], [user_ids[i] for i in chosen]
        # With Canvas's export, an ungraded cell repeats what Canvas holds, and a cell under an assignment
        # Canvas does not have yet (or of a student Canvas does not know) cannot remove a grade.
        gaps = [] if current is not None else \
            [(s.name, table.columns[n].title) for s in students for n in keep if s.marks[n].is_blank]
        if gaps:
            examples = format_names(f"{name} – {title}" for name, title in gaps[:5])
            raise ExportRefused(ngettext(
                "%(num)d cell is still empty in an assignment that has grades (%(examples)s). An empty cell removes the grade "
                "in Canvas: grade it, choose 0 or EX for ungraded work, or add Canvas's current gradebook "
                "export so that Circles repeats what Canvas holds.",
                "%(num)d cells are still empty in assignments that have grades (%(examples)s). An empty cell removes the "
                "grade in Canvas: grade them, choose 0 or EX for ungraded work, or add Canvas's current "
                "gradebook export so that Circles repeats what Canvas holds.", len(gaps), examples=examples),
                [name for name, _t in gaps])
    bad = _key_problems(students, use_sis)
    if bad:
        raise ExportRefused(_("Canvas would read the e-mail address or student number of %(names)s differently "
                              "from Circles, so their rows could not be matched. Correct them first.",
                              names=format_some_names(bad)), bad)
    identity = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] if use_sis else \
        ["Student", "ID", "SIS Login ID", "Section"]
    titles = unique([safe_text(f"{_keep_column(assignment_ids[n][1])} ({assignment_ids[n][0]})")
                     if assignment_ids[n] else safe_text(header(table.columns[n].title)) for n in keep],
                    taken=set(RESERVED))
    yield identity + titles
    yield ["Points Possible"] + [""] * (len(identity) - 1) + [number(table.columns[n].points) for n in keep]
    class Texts(dict):
        """Mark → its cell's text, made on the first miss: a big class has tens of thousands of cells and few
        distinct marks, looked up without a Python call per cell."""

        def __missing__(self, mark: Mark) -> str:
            text = self[mark] = _cell(mark, options.blanks)
            return text

    text_of = Texts().__getitem__
    pick = itemgetter(*keep) if len(keep) > 1 else (lambda marks: tuple(marks[n] for n in keep))
    section = safe_text(table.circle_name)  # the same on every row
    for s, uid in zip(students, user_ids):
        who = [safe_text(_student_cell(s)), uid] + ([s.student_no] if use_sis else []) + [s.email, section]
        cells = list(map(text_of, s.marks if len(keep) == len(s.marks) else pick(s.marks)))
        if uid:  # an empty cell repeats the grade Canvas holds, where Canvas has the assignment
            for i, n in enumerate(keep):
                if cells[i] == "" and assignment_ids[n]:
                    cells[i] = safe_text(current.grades.get((uid, assignment_ids[n][0]), ""))
        yield who + cells


def _canvas_user(student: Student, current: CanvasGradebook, use_sis: bool) -> str:
    if use_sis and student.student_no and number_key(student.student_no) in current.by_sis:
        return current.by_sis[number_key(student.student_no)]
    return current.by_login.get(student.email.lower(), "")


def _canvas_assignment(title: str, current: CanvasGradebook) -> tuple[str, str] | None:
    """Canvas's (id, title) for the assignment Canvas holds under this title (as Circles wrote it, or as
    an earlier import of ours named it). Raises ExportRefused when Canvas has two of that title."""
    for candidate in dict.fromkeys((one_line(title), header(title))):
        found = current.assignments.get(candidate, [])
        if len(found) > 1:
            raise ExportRefused(_("Canvas has %(num)d assignments titled “%(title)s”: rename them in Canvas so "
                                  "that grades cannot land in the wrong one.", num=len(found), title=candidate))
        if found:
            return found[0]
    return None
