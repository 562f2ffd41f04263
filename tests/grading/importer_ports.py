r"""Small Python ports of the Canvas and Moodle gradebook importers' parsing rules, for the export tests.

Each function names the source it follows (repository, file, method); the behaviour is re-written
from reading that source, not copied. Read on 2026-11-29 from the stored public snapshots:

Canvas (instructure/canvas-lms)
  app/models/gradebook_importer.rb
    csv_stream / semicolon_delimited? / identify_delimiter: the first 3 lines decide `;` or `,`;
      converters :nil and :decimal_comma_to_period on every field; lines of only `;`, `,` and spaces skipped.
    check_for_non_student_row: the first row is the header; a row whose first cell includes
      "Points Possible" sets points; a row of only "Muted"/"Manual Posting" cells is skipped.
    row_has_student_headers? / update_column_count / header?: "Student" and "ID" first; then
      "SIS Login ID", or "SIS User ID" + "SIS Login ID" (+ "Integration ID", + "Root Account"); the last
      student column must include "Section".
    GRADEBOOK_IMPORTER_RESERVED_NAMES, NON_ASSIGNMENT_COLUMN_HEADERS, strip_non_assignment_columns:
      any header containing one of the totals' names is dropped (grep_v, case-sensitive).
    process_custom_column_headers / strip_custom_columns: a header equal to a custom column's title
      is that column.
    parse_assignments + Assignment.title_and_id (app/models/assignment.rb): /\A(.*)\s\((\d+)\)\z/ gives
      an assignment id; else an assignment whose title equals the header; else a new assignment
      titled with the regexp's title part (or the header).
    calc_assignment_indices: a column is found by original_header_row.index(header) (the first equal header).
    process_student: ID → Canvas user id; else SIS User ID, then SIS Login ID (pseudonyms of the root
      account); else a student whose name or sortable name equals the Student cell; else unknown.
    process_submissions: the cell, stripped, is the new grade.
  ui/features/gradebook_uploads/jquery/process_gradebook_upload.js
    populateGradeDataPerSubmission: an unchanged grade is skipped; "EX"/"EXCUSED" excuses; anything
      else (the empty string too) is sent as posted_grade, so an empty cell removes the grade (the port
      counts "17.00" for a score of 17 as unchanged: Canvas posts it and the score stays 17).
    createIndividualAssignment: new assignments get the "Points Possible" row's points.

Moodle (moodle/moodle)
  lib/csvlib.class.php csv_import_reader::load_csv_content: BOM trimmed, newlines normalised, content
    trimmed, fgetcsv (PHP's default escape character is the backslash), every line must have as many
    fields as the header.
  grade/import/csv/classes/load_data.php
    trim_headers; prepare_import_grade_data: the user id found on a row is kept for the next rows (it
      is reset only once, before the first); a row ends in "user not found" only when no row has set it.
    map_user_data_with_value: an empty mapping cell is skipped ("Skip invalid row with blank user
      field"); a value matching no user aborts the import.
    import_new_grade_item: a value other than "-" becomes finalgrade ('' is stored as 0 by the database
      layer's normalise_value for numeric columns); "-" leaves it unset.
    update_grade_item: '' or '-' is "no grade" (null); otherwise unformat_float or "bad grade".
    insert_grade_record: a finalgrade above 100 ($CFG->gradepointmax only with unlimitedgrades) aborts.
  grade/import/lib.php grade_import_commit: new items are manual grade items with default bounds;
    update_final_grade writes each value.
  lib/grade/grade_item.php: __construct sets grademax from $CFG->gradepointdefault (100 by default);
    bounded_grade clamps a value to [grademin, grademax].
  grade/import/grade_import_form.php grade_import_mapping_form: the teacher picks "Map from" (a column),
    "Map to" (userid, username, useridnumber, useremail) and, per column, ignore / new item / an item.

Line ranges could not be given: the snapshots were read through a search service, not checked out.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

# -- Canvas ------------------------------------------------------------------------------------

CANVAS_RESERVED = ["Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Section",
                   "Integration ID", "Root Account"]
CANVAS_NON_ASSIGNMENT = ["Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                         "Final Grade", "Override Score", "Override Grade", "Override Status"]
_TITLE_AND_ID = re.compile(r"\A(.*)[ \t\n\v\f\r]\(([0-9]+)\)\Z")  # Ruby: `.` stops at \n, \s and \d ASCII


def canvas_title_and_id(text: str) -> tuple[str, str | None]:
    match = _TITLE_AND_ID.match(text)
    return (match.group(1), match.group(2)) if match else (text, None)


def _decimal_comma_to_period(value):
    if value is None or not re.search(r"^-?[0-9.,]+%?$", value, re.MULTILINE):
        return value
    parts = re.split(r"[,.]", value)
    last = parts.pop()
    return last if not parts else "".join(parts) + "." + last


def _ruby_csv(text: str, sep: str) -> list[list[str | None]]:
    # Ruby's CSV gives nil for an empty unquoted field and "" for an empty quoted one.
    rows = []
    for line in csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True):
        rows.append(line)
    return rows


def _canvas_delimiter(text: str) -> str:
    first = text.splitlines(keepends=True)[:3]
    counts = {}
    for sep in (";", ","):
        counts[sep] = 0
        try:
            sizes = [len(next(csv.reader([line], delimiter=sep, strict=True), [])) for line in first]
        except csv.Error:
            continue
        if len(set(sizes)) == 1:
            counts[sep] = sizes[0]
    return ";" if counts[";"] > counts[","] else ","


@dataclass
class CanvasStudent:
    id: int
    name: str
    sortable_name: str = ""
    sis_user_id: str | None = None
    login: str | None = None


@dataclass
class CanvasCourse:
    students: list[CanvasStudent]
    assignments: dict[int, str] = field(default_factory=dict)  #: id → title
    custom_columns: list[str] = field(default_factory=lambda: ["Notes"])
    grades: dict[tuple[int, int], str] = field(default_factory=dict)  #: (student id, assignment id) → grade


@dataclass
class CanvasResult:
    headers_read: list[tuple[str, int | None, str]]  #: (header, existing assignment id or None, title)
    points: dict[str, str]  #: header → points possible
    rows: list[tuple[CanvasStudent | None, dict[str, str]]]  #: (matched student or None, header → grade)
    grades: dict[tuple[int, str], str]  #: after applying: (student id, header) → grade ("EX" excused)


def canvas_import(text: str, course: CanvasCourse) -> CanvasResult:
    """Parse `text` as Canvas's gradebook importer would, then apply the changes to `course.grades`."""
    sep = _canvas_delimiter(text)
    rows = [[_decimal_comma_to_period(v) for v in r] for r in _ruby_csv(text, sep) if r]
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], "Canvas: invalid header row"
    n = 3
    login_col = sis_col = None
    if re.search(r"SIS\s+Login\s+ID", header[n - 1]):
        login_col, width = n - 1, n + 1
    elif re.search(r"SIS\s+User\s+ID", header[n - 1]) and re.search(r"SIS\s+Login\s+ID", header[n]):
        sis_col, login_col, width = n - 1, n, n + 2
    else:
        width = n
    custom = [h for h in header if h in course.custom_columns and h not in CANVAS_RESERVED]
    width += len(custom)
    assert "Section" in header[width - 1 - len(custom)], "Canvas: invalid header row (no Section)"
    stripped = [h for h in header[width:] if not re.search("|".join(CANVAS_NON_ASSIGNMENT), h)]
    stripped = [h for h in stripped if h not in custom]
    by_title = {title: aid for aid, title in course.assignments.items()}
    headers_read = []
    for h in stripped:
        title, aid = canvas_title_and_id(h)
        existing = int(aid) if aid is not None and int(aid) in course.assignments else None
        if existing is None and h in by_title:
            existing = by_title[h]
        headers_read.append((h, existing, course.assignments.get(existing, title if existing is None else "")))
    index = {h: header.index(h) for h, _e, _t in headers_read}
    points: dict[str, str] = {}
    result_rows = []
    for row in rows[1:]:
        if row[0] is not None and "Points Possible" in row[0]:
            points = {h: row[i] for h, i in index.items() if row[i]}
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c or "", re.I) for c in row if c is not None):
            continue
        result_rows.append((_canvas_student(row, course, sis_col, login_col),
                            {h: (row[i] or "").strip() for h, i in index.items()}))
    grades = {(s, f"#{a}"): g for (s, a), g in course.grades.items()}
    for student, cells in result_rows:
        if student is None:
            continue
        for (h, existing, _title) in headers_read:
            key = (student.id, f"#{existing}" if existing is not None else h)
            new = cells[h]
            if _same_grade(grades.get(key, ""), new):
                continue
            grades[key] = "EX" if new.upper() in ("EX", "EXCUSED") else new
            if grades[key] == "":
                del grades[key]  # posted_grade "" removes the grade
    return CanvasResult(headers_read, points, result_rows, grades)


def _same_grade(old: str, new: str) -> bool:
    """The JS skips an identical string; a number written differently ("17.00" for 17) is posted but
    gives the same score, so the port treats it as unchanged too."""
    try:
        return old == new or float(old) == float(new)
    except ValueError:
        return False


def _canvas_student(row, course: CanvasCourse, sis_col, login_col) -> CanvasStudent | None:
    by_id = {s.id: s for s in course.students}
    if row[1] and row[1].isdigit() and int(row[1]) in by_id:
        return by_id[int(row[1])]
    if sis_col is not None and row[sis_col]:
        found = next((s for s in course.students if s.sis_user_id == row[sis_col]), None)
        if found:
            return found
    if login_col is not None and row[login_col]:
        found = next((s for s in course.students if s.login == row[login_col]), None)
        if found:
            return found
    name = row[0]
    return next((s for s in course.students if name in (s.name, s.sortable_name)), None)


# -- Moodle ------------------------------------------------------------------------------------

def _php_fgetcsv(text: str, sep: str = ",") -> list[list[str]]:
    """fgetcsv($fp, 0, $sep, '"') with PHP's default escape "\\": inside quotes, a backslash keeps the
    next quote as part of the field."""
    rows, row, value, i, quoted, in_field = [], [], [], 0, False, False
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and text[i + 1:i + 2] == '"':
                value.append('\\"')
                i += 2
                continue
            if c == '"':
                if text[i + 1:i + 2] == '"':
                    value.append('"')
                    i += 2
                    continue
                quoted = False
                i += 1
                continue
            value.append(c)
        elif c == '"' and not in_field:
            quoted = in_field = True
        elif c == sep:
            row.append("".join(value))
            value, in_field = [], False
        elif c == "\n":
            row.append("".join(value))
            rows.append(row)
            row, value, in_field = [], [], False
        else:
            value.append(c)
            in_field = True
        i += 1
    if value or row or in_field:
        row.append("".join(value))
        rows.append(row)
    return rows


class MoodleImportError(Exception):
    pass


@dataclass
class MoodleUser:
    id: int
    email: str
    idnumber: str = ""
    username: str = ""


@dataclass
class MoodleCourse:
    users: list[MoodleUser]
    items: dict[int, tuple[str, float]] = field(default_factory=dict)  #: id → (name, grademax)
    grades: dict[tuple[int, int | str], float | None] = field(default_factory=dict)  #: (user, item) → grade
    gradepointdefault: float = 100.0


def moodle_read(text: str) -> list[list[str]]:
    """csv_import_reader::load_csv_content: the rows, header first."""
    content = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip()
    rows = [r for r in _php_fgetcsv(content) if r != [""]]
    if any(len(r) != len(rows[0]) for r in rows):
        raise MoodleImportError("csvweirdcolumns")
    return rows


def moodle_import(text: str, course: MoodleCourse, *, map_from: str, map_to: str,
                  mapping: dict[str, int | str]) -> MoodleCourse:
    """prepare_import_grade_data + grade_import_commit. `mapping`: header → "new", an item id, or "0"
    (ignore); unmapped headers are ignored. Returns the course with its grades (and new items) updated."""
    rows = moodle_read(text)
    headers = [h.strip() for h in rows[0]]
    field_name = {"userid": "id", "useridnumber": "idnumber", "useremail": "email", "username": "username"}[map_to]
    user_col = headers.index(map_from)
    student = None
    staged: list[tuple[int, int | str, float | None]] = []
    new_items: dict[str, int] = {}
    for line in rows[1:]:
        if len(line) <= 1:
            continue
        row_grades = []
        for i, raw in enumerate(line):
            value = raw.strip()
            target = mapping.get(headers[i], "0")
            if i == user_col:
                if value:  # "Skip invalid row with blank user field": the previous student stays
                    found = [u for u in course.users if str(getattr(u, field_name)) == value]
                    if len(found) != 1:
                        raise MoodleImportError(f"usermappingerror {value}")
                    student = found[0].id
            elif target == "new":
                new_items.setdefault(headers[i], -len(new_items) - 1)
                row_grades.append((new_items[headers[i]], 0.0 if value == "" else None if value == "-"
                                   else float(value)))
            elif target != "0":
                if value in ("", "-"):
                    row_grades.append((target, None))
                else:
                    try:
                        row_grades.append((target, float(value)))
                    except ValueError:
                        raise MoodleImportError("badgrade") from None
        if student is None:
            raise MoodleImportError("usermappingerrorusernotfound")
        for item, grade in row_grades:
            if grade is not None and grade > 100:
                raise MoodleImportError("gradevaluetoobig")
            staged.append((student, item, grade))
    for name, temp_id in new_items.items():
        course.items[temp_id] = (name, course.gradepointdefault)
    for user, item, grade in staged:
        _name, grademax = course.items[item]
        course.grades[(user, item)] = None if grade is None else min(max(grade, 0.0), grademax)
    return course
