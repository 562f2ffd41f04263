r"""Every import file run through ports of the real importers (tests/grading/importer_ports.py, where each
port names its source method): the issue's inputs land on the right student, in the right assignment,
with the right value, and nothing else in Canvas or Moodle changes.

Rules encoded (source read from the public repositories; line ranges not available, see importer_ports):
Canvas, instructure/canvas-lms
- app/models/assignment.rb Assignment.title_and_id: a header matching /\A(.*)\s\((\d+)\)\z/ names
  assignment id \2 ("Homework 1 (1)", "Essay (2)"); our headers end "[1]" instead, or carry Canvas's
  real id when the teacher adds Canvas's export.
- app/models/gradebook_importer.rb NON_ASSIGNMENT_COLUMN_HEADERS + strip_non_assignment_columns: a
  header containing "Final Grade", "Current Score", … ("Unposted …" too) is dropped.
- gradebook_importer.rb calc_assignment_indices: the first header equal to a title is its column, so
  headers are unique and never equal "Section", "ID", … (GRADEBOOK_IMPORTER_RESERVED_NAMES) or a custom
  column ("Notes"); the :decimal_comma_to_period converter rewrites "1,5".
- gradebook_importer.rb process_student: ID, then SIS User ID, then SIS Login ID, then the name.
- gradebook_importer.rb check_for_non_student_row / process_pp: "Points Possible" row sets points.
- gradebook_importer.rb identify_delimiter: the first three lines choose `;` or `,`.
- ui/features/gradebook_uploads/jquery/process_gradebook_upload.js populateGradeDataPerSubmission:
  a changed empty cell is posted and removes the grade; "EX" excuses.
Moodle, moodle/moodle
- grade/import/csv/classes/load_data.php map_user_data_with_value + prepare_import_grade_data: a blank
  mapping cell keeps the previous row's student; a value matching no user aborts.
- load_data.php import_new_grade_item / update_grade_item: "-" is no grade; "" is 0 on a new item and
  no grade on an existing one; insert_grade_record: values above 100 abort.
- grade/import/lib.php grade_import_commit + lib/grade/grade_item.php (__construct, bounded_grade): new
  items are out of $CFG->gradepointdefault (100); existing items clamp to their maximum.
- lib/csvlib.class.php csv_import_reader: BOM trimmed; fgetcsv with PHP's backslash escape; every row
  as wide as the header.
"""
from __future__ import annotations

import csv
import io

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.extensions import db

from tests.grading.export_fixtures import csv_rows, csv_text, school  # noqa: F401  (fixture)
from tests.grading.importer_ports import (CANVAS_NON_ASSIGNMENT, CanvasCourse, CanvasStudent, MoodleCourse,
                                          MoodleImportError, MoodleUser, canvas_import, canvas_title_and_id,
                                          moodle_import, moodle_read)


def _canvas_course(school, **kwargs) -> CanvasCourse:
    """A Canvas course holding the same three students, plus a stranger whose SIS id is Ada's number
    and who shares Bo's name (the two ways a row could reach the wrong person)."""
    students = [CanvasStudent(101, "Ada Lovelace", login=school.ada.email, sis_user_id="S-9"),
                CanvasStudent(102, "Ann;=2+5", login=school.ann.email),
                CanvasStudent(103, "Bo Yang", login=school.bo.email),
                CanvasStudent(104, "Bo Yang", login="other.bo@school.example", sis_user_id="00123")]
    return CanvasCourse(students=students, **kwargs)


def _by_student(result) -> dict[int, dict[str, str]]:
    return {student.id: cells for student, cells in result.rows}


def test_canvas_headers_are_titles_not_ids(school, client_as):
    """Are "Homework 1 (1)", "Essay (2)" and "Final Grade review" read by Canvas as new assignments with
    those titles and points (no id taken from the number, no column dropped), and nothing lands in
    Canvas assignments 1 and 2?"""
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="canvas", canvas_blanks="zero")))
    course = _canvas_course(school, assignments={1: "Intro", 2: "Quiz"},
                            grades={(101, 1): "9", (101, 2): "7"})
    result = canvas_import(text, course)
    assert [(existing, title) for _h, existing, title in result.headers_read] == [
        (None, "Homework 1 [1]"), (None, "Essay [2]"), (None, "Final grade review")]
    assert list(result.points.values()) == ["10", "20", "10"]
    assert result.grades[(101, "#1")] == "9" and result.grades[(101, "#2")] == "7"  # untouched
    for header, _existing, _title in result.headers_read:
        assert canvas_title_and_id(header)[1] is None
        assert not any(words in header for words in CANVAS_NON_ASSIGNMENT)


def test_canvas_rows_reach_the_right_students(school, client_as):
    """By login (the default), does every row reach its own student, though another Canvas user has
    Ada's student number as SIS id and shares Bo's name; are 6.25, EX and 0 (the teacher's choice for
    Ann's ungraded essay) the values Canvas reads?"""
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="canvas", canvas_blanks="zero")))
    result = canvas_import(text, _canvas_course(school))
    cells = _by_student(result)
    assert set(cells) == {101, 102, 103}
    assert list(cells[101].values()) == ["6.25", "15", "EX"]
    assert list(cells[102].values()) == ["8", "0", "9"]
    assert list(cells[103].values()) == ["10", "20", "10"]
    assert "SIS User ID" not in csv_rows(client_as(school.klass.teacher).get(
        school.url(format="canvas", canvas_blanks="zero")))[0]


def test_canvas_unmatched_row_is_never_given_to_a_namesake(school, client_as):
    """When a login does not match (Canvas logins are not e-mails there), does Bo's row stay unmatched
    for the teacher to resolve, instead of going to the other Bo Yang?"""
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="canvas", canvas_blanks="zero")))
    course = _canvas_course(school)
    course.students[2].login = "byang"
    matched = [student for student, _cells in canvas_import(text, course).rows]
    assert None in matched and all(s is None or s.id != 104 for s in matched)


def test_canvas_sis_user_id_when_the_teacher_says_so(school, client_as):
    """With "SIS User ID = student number", are 00123 and 2023000100020003 written bare and matched
    exactly by Canvas (its number converter leaves them alone), and Bo (no number) by login?"""
    url = school.url(format="canvas", canvas_blanks="excused", canvas_match="sis_user_id")
    text = csv_text(client_as(school.klass.teacher).get(url))
    course = _canvas_course(school)
    course.students[0].sis_user_id = "00123"
    course.students[1].sis_user_id = "2023000100020003"
    course.students[3].sis_user_id = "S-104"
    cells = _by_student(canvas_import(text, course))
    assert set(cells) == {101, 102, 103}
    assert cells[102]["Essay [2]"] == "EX"  # the teacher's choice for ungraded work
    rows = csv_rows(client_as(school.klass.teacher).get(url))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert {r[2] for r in rows[2:]} == {"00123", "2023000100020003", ""}


def test_canvas_leave_alone_changes_nothing_it_has_no_grade_for(school, client_as, hw, grading):
    """With "leave Canvas alone", once the essay is graded: does an assignment nobody graded stay out of
    the file, so the grade Canvas already has for it survives the import?"""
    grading.grade(school.essay, school.ann, school.klass.teacher, score=11, release=True)
    hw.assignment(school.circle, accepts="text", title="Unmarked", points=5)
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="canvas")))
    course = _canvas_course(school, assignments={7: "Unmarked"}, grades={(101, 7): "4"})
    result = canvas_import(text, course)
    assert [h for h, _e, _t in result.headers_read] == ["Homework 1 [1]", "Essay [2]", "Final grade review"]
    assert result.grades[(101, "#7")] == "4"
    assert result.grades[(102, "Essay [2]")] == "11"


def test_canvas_delimiter_stays_comma(school, client_as, hw):
    """Do titles and names full of semicolons leave Canvas reading the file with commas?"""
    hw.assignment(school.circle, accepts="text", title="a;b;c;d;e;f;g;h;i", points=5)
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="canvas", canvas_blanks="zero")))
    result = canvas_import(text, _canvas_course(school))
    assert [t for _h, _e, t in result.headers_read][-1] == "a;b;c;d;e;f;g;h;i"


@pytest.mark.parametrize("title, read_as", [
    ("Section", "Section (assignment)"), ("Notes", "Notes (assignment)"), ("1,5", "1,5 (assignment)"),
    ("Unposted Current Score", "Unposted Current score"), ("Points Possible", "Points Possible"),
    ("Essay (2)", "Essay [2] [2]"), ("Quiz (12) (3)", "Quiz (12) [3]")])
def test_canvas_reads_every_title_as_its_own_column(school, client_as, hw, grading, title, read_as):
    """Is a title that equals a student column, Canvas's Notes column, a number Canvas would rewrite, a
    totals' name, or a second "Essay (2)" still its own new assignment with its own grades?"""
    extra = hw.assignment(school.circle, accepts="text", title=title, points=5)
    grading.grade(extra, school.bo, school.klass.teacher, score=4, release=True)
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="canvas", canvas_blanks="zero")))
    result = canvas_import(text, _canvas_course(school))
    headers = [h for h, _e, _t in result.headers_read]
    assert len(headers) == 4 and headers[-1] == read_as
    assert _by_student(result)[103][read_as] == "4"
    assert _by_student(result)[103][headers[1]] == "20"


@pytest.mark.parametrize("title", ["Lab\t(3)", "Lab\n(3)", "Lab \u00a0(3)", "Lab  (3)"])
def test_canvas_header_for_any_white_space_before_the_number(title):
    """Whatever white space stands before "(3)" (a title that slipped past the single-line check), is
    the header free of Canvas's id pattern?"""
    from lms.grading.exports.canvas import header
    assert canvas_title_and_id(header(title))[1] is None


def _moodle_course(school) -> MoodleCourse:
    return MoodleCourse(users=[MoodleUser(1, school.ada.email, "00123"), MoodleUser(2, school.ann.email,
                                                                                    "2023000100020003"),
                               MoodleUser(3, school.bo.email, ""), MoodleUser(4, "x@school.example", "S-1")])


def test_moodle_percent_into_new_items(school, client_as):
    """Mapped by e-mail (the default) into new grade items: is Ada's 6.25 of 10 read as 62.5 of 100, the
    ungraded essay and the excused review "no grade", and Bo (no student number) matched?"""
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="moodle")))
    headers = moodle_read(text)[0]
    assert headers[4:] == ["Homework 1 (1)", "Essay (2)", "Final Grade review"]
    course = moodle_import(text, _moodle_course(school), map_from="Email address", map_to="useremail",
                           mapping={h: "new" for h in headers[4:]})
    items = {name: (item, grademax) for item, (name, grademax) in course.items.items()}
    hw_item, hw_max = items["Homework 1 (1)"]
    assert course.grades[(1, hw_item)] / hw_max == 6.25 / 10
    assert course.grades[(2, items["Essay (2)"][0])] is None
    assert course.grades[(1, items["Final Grade review"][0])] is None
    assert course.grades[(3, items["Essay (2)"][0])] == 100
    assert not any(user == 4 for user, _item in course.grades)


def test_moodle_points_into_existing_items(school, client_as):
    """With "points", mapped onto existing items of 10, 20 and 10: is 6.25 kept as 6.25 of 10, and does
    the header name the maximum to map to?"""
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="moodle", moodle_scale="points")))
    headers = moodle_read(text)[0]
    assert headers[4:] == ["Homework 1 (1) [max 10]", "Essay (2) [max 20]", "Final Grade review [max 10]"]
    course = _moodle_course(school)
    course.items = {11: ("Homework 1", 10.0), 12: ("Essay", 20.0), 13: ("Review", 10.0)}
    course.grades[(2, 12)] = 5.0
    course = moodle_import(text, course, map_from="Email address", map_to="useremail",
                           mapping=dict(zip(headers[4:], (11, 12, 13))))
    assert course.grades[(1, 11)] == 6.25 and course.grades[(3, 12)] == 20


def test_moodle_blank_would_become_zero_so_it_is_never_written(school, client_as):
    """Is no grade cell ever empty (Moodle stores '' as 0 on a new item), "-" being the default and 0 the
    teacher's other choice?"""
    client = client_as(school.klass.teacher)
    for blanks, mark in (("nograde", "-"), ("zero", "0")):
        rows = moodle_read(csv_text(client.get(school.url(format="moodle", moodle_blanks=blanks))))
        ann = next(r for r in rows if r[3] == school.ann.email)
        assert ann[4:] == ["80", mark, "90"]
        ada = next(r for r in rows if r[3] == school.ada.email)
        assert ada[6] == "-"  # excused is never 0
        assert all(cell != "" for row in rows[1:] for cell in row[4:])


def test_moodle_by_student_number(school, client_as):
    """Mapped by ID number: is an export refused while Bo has no number (Moodle would give his row to the
    previous student), and once he has one, do 00123 and 2023000100020003 match their students?"""
    client = client_as(school.klass.teacher)
    refused = client.get(school.url(format="moodle", moodle_match="student_no"))
    assert refused.status_code == 422
    assert "Bo Yang" in refused.get_data(as_text=True)
    # What Moodle would have done with that row: the port puts it on the previous row's student.
    text = csv_text(client.get(school.url(format="moodle")))
    rows = moodle_read(text)
    shifted = moodle_import(text, _moodle_course(school), map_from="ID number", map_to="useridnumber",
                            mapping={h: "new" for h in rows[0][4:]})
    bo_row = next(n for n, r in enumerate(rows) if r[3] == school.bo.email)
    assert bo_row > 1  # Bo is not first, so his grades go to the row before
    from lms.circles import operations as circle_ops
    from lms.extensions import db
    circle_ops.update_identity(school.circle.membership_of(school.bo), display_name="Bo Yang", student_no="00007")
    db.session.commit()
    course = _moodle_course(school)
    course.users[2].idnumber = "00007"
    text = csv_text(client.get(school.url(format="moodle", moodle_match="student_no")))
    assert {r[2] for r in moodle_read(text)[1:]} == {"00123", "2023000100020003", "00007"}
    course = moodle_import(text, course, map_from="ID number", map_to="useridnumber",
                           mapping={h: "new" for h in moodle_read(text)[0][4:]})
    assert {user for user, _item in course.grades} == {1, 2, 3}
    assert 3 not in {user for user, _item in shifted.grades}  # Bo's grades went to someone else


def test_moodle_backslash_before_quote_keeps_the_columns(school, client_as):
    """Does a name ending in a backslash inside a quoted field keep every later column in place for
    PHP's CSV reader?"""
    from lms.circles import operations as circle_ops
    from lms.extensions import db
    circle_ops.update_identity(school.circle.membership_of(school.bo), display_name='Bo "B\\"')
    db.session.commit()
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="moodle")))
    rows = moodle_read(text)  # raises MoodleImportError("csvweirdcolumns") when columns shift
    bo = next(r for r in rows if r[3] == school.bo.email)
    assert bo[4:] == ["100", "100", "100"]


def test_moodle_port_rejects_the_old_blank_key_file():
    """Sanity of the port: does a row with an empty ID number go to the previous row's student?"""
    text = "First name,Last name,ID number,Email address,H\nA,A,001,a@x,5\nB,B,,b@x,7\n"
    course = MoodleCourse(users=[MoodleUser(1, "a@x", "001"), MoodleUser(2, "b@x", "")])
    course = moodle_import(text, course, map_from="ID number", map_to="useridnumber", mapping={"H": "new"})
    assert [(user, grade) for (user, _item), grade in course.grades.items()] == [(1, 7.0)]
    with pytest.raises(MoodleImportError):
        moodle_import("ID,H\nnobody,1\n", MoodleCourse(users=[]), map_from="ID", map_to="useridnumber",
                      mapping={"H": "new"})


def _canvas_export(school, *, essay_title="Essay [2]") -> bytes:
    """What Canvas's "Export Entire Gradebook" gives after our first import and some grading in Canvas:
    Ann's essay got 17 there."""
    lines = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1 [1] (501)", f"{essay_title} (502)",
         "Final grade review (503)", "Current Score", "Unposted Current Score", "Final Score", "Final Grade"],
        ["    Points Possible", "", "", "", "", "10.00", "20.00", "10.00", "(read only)", "(read only)",
         "(read only)", "(read only)"],
        ["Lovelace, Ada", "101", "S-9", school.ada.email, "Class", "6.25", "15.00", "EX", "70", "70", "70", "C"],
        ["Ann;=2+5", "102", "", school.ann.email.upper(), "Class", "8.00", "17.00", "9.00", "85", "85", "85", "B"],
        ["Yang, Bo", "103", "", school.bo.email, "Class", "10.00", "20.00", "10.00", "100", "100", "100", "A"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue().encode("utf-8")


def _post_canvas(client, school, export: bytes, **params):
    data = {"format": "canvas", **params, "canvas_current": (io.BytesIO(export), "course-grades.csv")}
    return client.post(f"/circles/{school.circle.id}/grades/export", data=data,
                       content_type="multipart/form-data")


def test_canvas_leave_alone_with_canvas_export_keeps_canvas_grades(school, client_as):
    """With Canvas's current export added, does "leave alone" make a file (Ann's essay is ungraded in
    Circles) whose rows carry Canvas's user ids and whose headers Canvas's assignment ids, so that the
    17 Canvas holds for Ann's essay survives and every other grade lands exactly?"""
    client = client_as(school.klass.teacher)
    response = _post_canvas(client, school, _canvas_export(school))
    text = csv_text(response)
    course = _canvas_course(school, assignments={501: "Homework 1 [1]", 502: "Essay [2]", 503: "Final grade review"},
                            grades={(101, 501): "6.25", (102, 502): "17", (101, 503): "EX"})
    course.students[0].login = "changed@canvas.example"  # the ID column decides, not the login
    result = canvas_import(text, course)
    assert [existing for _h, existing, _t in result.headers_read] == [501, 502, 503]
    assert [student.id for student, _cells in result.rows] == [101, 102, 103]
    assert result.grades[(102, "#502")] == "17"
    assert result.grades[(101, "#501")] == "6.25" and result.grades[(101, "#503")] == "EX"
    assert result.grades[(103, "#502")] == "20"
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == AuditAction.grades_exported)).one()
    assert event.details["with_canvas_export"] is True


def test_canvas_export_matches_titles_as_circles_writes_them(school, client_as):
    """Is a Canvas assignment titled as the Circles title itself ("Essay (2)", made by hand in Canvas)
    recognised too, and are two Canvas assignments of one title refused rather than guessed?"""
    client = client_as(school.klass.teacher)
    rows = csv_rows(_post_canvas(client, school, _canvas_export(school, essay_title="Essay (2)")))
    assert rows[0][4:] == ["Homework 1 [1] (501)", "Essay (2) (502)", "Final grade review (503)"]
    export = _canvas_export(school).replace(b'"Final grade review (503)"', b'"Essay [2] (504)"')
    export = export.replace(b"Final grade review (503)", b"Essay [2] (504)")
    refused = _post_canvas(client, school, export)
    assert refused.status_code == 422 and "Canvas has 2 assignments titled" in refused.get_data(as_text=True)


def test_canvas_export_that_is_not_one_is_refused(school, client_as):
    """Is a file that is not a Canvas gradebook export refused with the reason (not half-used)?"""
    response = _post_canvas(client_as(school.klass.teacher), school, b"name,score\nAda,5\n")
    assert response.status_code == 422
    assert "not a Canvas gradebook export" in response.get_data(as_text=True)


def test_export_post_needs_the_form_token(school, client_as):
    """Is a POSTed export without the CSRF token refused?"""
    response = client_as(school.klass.teacher).post(f"/circles/{school.circle.id}/grades/export",
                                                    data={"format": "csv"}, csrf=False)
    assert response.status_code == 400
