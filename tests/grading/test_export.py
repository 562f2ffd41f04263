"""Gradebook exports: the choices on the gradebook page, refusals with their reason, the plain CSV and
the Excel workbook, the formula guard in every cell, the audit record, and who may export."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from lms.audit.models import AuditAction, AuditEvent
from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db
from tests.fixtures.app import page_text
from tests.grading.export_fixtures import csv_rows, csv_text, school  # noqa: F401  (fixture)

FORMULA_SIGNS = ("=", "+", "-", "@")


def _runnable_pieces(cell: str) -> list[str]:
    """Pieces of a cell a spreadsheet could run as formulas: the cell, and what follows any separator."""
    if cell.startswith("'") or re.fullmatch(r"-?[0-9]+(\.[0-9]+)?|-", cell):
        return []
    return [p.lstrip(" \u00a0") for p in re.split(r"[;,\t|\r\n]", cell)]


def test_export_form_on_the_gradebook(school, client_as):
    """Does the staff gradebook offer the four formats and the choices for blanks, matching and scale,
    and does a student's page have no export?"""
    html = client_as(school.klass.teacher).get(f"/circles/{school.circle.id}/grades").get_data(as_text=True)
    for name in ("format", "canvas_blanks", "canvas_match", "moodle_blanks", "moodle_match", "moodle_scale",
                 "canvas_released_only", "moodle_released_only", "plain_released_only", "canvas_current"):
        assert f'name="{name}"' in html
    for value in ("canvas", "moodle", "csv", "xlsx", "keep", "zero", "excused", "nograde", "login",
                  "sis_user_id", "email", "student_no", "percent", "points"):
        assert f'value="{value}"' in html
    assert f'action="/circles/{school.circle.id}/grades/export"' in html
    student = client_as(school.ada).get(f"/circles/{school.circle.id}/grades").get_data(as_text=True)
    assert "grades/export" not in student and 'name="canvas_blanks"' not in student


def test_canvas_leave_alone_is_refused_with_the_reason(school, client_as):
    """With "leave Canvas alone" (the default) and Ann's essay ungraded, is no file made (422), the
    gradebook shown with why and what to do, and nothing audited?"""
    response = client_as(school.klass.teacher).get(school.url(format="canvas"))
    assert response.status_code == 422
    text = page_text(response)
    assert "No file was made." in text and "Ann;=2+5 – Essay (2)" in text
    assert "An empty cell removes the grade in Canvas" in text and "add Canvas's current gradebook export" in text
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == AuditAction.grades_exported)) == 0


def test_canvas_file_layout(school, client_as):
    """Is the Canvas file the documented layout: identity columns, titles as headers, Points Possible,
    "Name <e-mail>" students, bare e-mail logins, 6.25 with a dot, EX and the chosen 0?"""
    rows = csv_rows(client_as(school.klass.teacher).get(school.url(format="canvas", canvas_blanks="zero")))
    assert rows[0] == ["Student", "ID", "SIS Login ID", "Section", "Homework 1 [1]", "Essay [2]",
                       "Final grade review"]
    assert rows[1] == ["Points Possible", "", "", "", "10", "20", "10"]
    body = {row[2]: row for row in rows[2:]}
    assert body[school.ada.email] == [f"Ada Lovelace <{school.ada.email}>", "", school.ada.email,
                                      school.circle.name, "6.25", "15", "EX"]
    assert body[school.ann.email][0] == f"'Ann;=2+5 <{school.ann.email}>"
    assert body[school.ann.email][4:] == ["8", "0", "9"]


def test_moodle_file_layout(school, client_as):
    """Is the Moodle file the documented layout: names split, ID number and e-mail on every row, scores
    as percentages by default, "-" for ungraded and excused work?"""
    rows = csv_rows(client_as(school.klass.owner).get(school.url(format="moodle")))
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "Homework 1 (1)", "Essay (2)",
                       "Final Grade review"]
    body = {row[3]: row for row in rows[1:]}
    assert body[school.ada.email] == ["Ada", "Lovelace", "00123", school.ada.email, "62.5", "75", "-"]
    assert body[school.bo.email] == ["Bo", "Yang", "", school.bo.email, "100", "100", "100"]


def test_moodle_names_are_given_and_family_names(school, client_as, make):
    """Does Moodle's file put the given name in "First name" and the family name in "Last name" for Chinese
    names written without spaces (张云妮: 云妮 / 张; the compound family name 欧阳娜娜: 娜娜 / 欧阳), the last
    word of spaced names (Ann Lee), all of a one-word name in "First name", and the real name when the
    circle has one rather than the display name?"""
    people = {}
    for name, email, display, real in (("Zhang Yunni", "yunni@school.example", "Yunni", "张云妮"),
                                       ("欧阳娜娜", "nana@school.example", "欧阳娜娜", ""),
                                       ("Ann Lee", "annlee@school.example", "Ann Lee", ""),
                                       ("Prince", "prince@school.example", "Prince", "")):
        people[email] = make.user(name, email)
        circle_ops.add_member(school.circle, people[email], Role.student, display_name=display)
        if real:
            db.session.flush()
            circle_ops.update_identity(school.circle.membership_of(people[email]), display_name=display,
                                       real_name=real)
    db.session.commit()
    rows = csv_rows(client_as(school.klass.teacher).get(school.url(format="moodle")))
    names = {row[3]: (row[0], row[1]) for row in rows[1:]}
    assert names["yunni@school.example"] == ("云妮", "张")
    assert names["nana@school.example"] == ("娜娜", "欧阳")
    assert names["annlee@school.example"] == ("Ann", "Lee")
    assert names["prince@school.example"] == ("Prince", "")
    assert names[school.ada.email] == ("Ada", "Lovelace")  # real name Ada Lovelace, display name Ada


def test_moodle_points_above_100_are_refused(school, client_as, hw, grading):
    """Is a points export refused when an assignment is worth more than Moodle's import accepts (100)?"""
    exam = hw.assignment(school.circle, accepts="text", title="Exam", points=150)
    grading.grade(exam, school.bo, school.klass.teacher, score=120, release=True)
    response = client_as(school.klass.teacher).get(school.url(format="moodle", moodle_scale="points"))
    assert response.status_code == 422 and "Export percentages instead" in page_text(response)
    rows = csv_rows(client_as(school.klass.teacher).get(school.url(format="moodle")))
    assert next(r for r in rows if r[3] == school.bo.email)[-1] == "80"


def test_plain_csv_for_people(school, client_as):
    """Does the plain CSV hold every column, numbers as numbers, and the student numbers in the ="…" form
    spreadsheets keep as text (so 00123 and 2023000100020003 survive opening)?"""
    rows = csv_rows(client_as(school.klass.teacher).get(school.url(format="csv")))
    assert rows[0] == ["Student", "Real name", "Student number", "E-mail", "Homework 1 (1)", "Essay (2)",
                       "Final Grade review", "Points", "Out of", "Percent", "Weighted percent"]
    assert rows[1][4:7] == ["10", "20", "10"]
    body = {row[3]: row for row in rows[2:]}
    assert body[school.ada.email][:7] == ["Ada", "Ada Lovelace", '="00123"', school.ada.email, "6.25", "15", "EX"]
    assert body[school.ann.email][:5] == ["'Ann;=2+5", "", '="2023000100020003"', school.ann.email, "8"]
    assert body[school.ann.email][5] == ""
    assert body[school.bo.email][2] == ""


def test_xlsx_keeps_numbers_as_text_and_scores_as_numbers(school, client_as, hw):
    """In the Excel workbook: are student numbers text cells ("00123", "2023000100020003"), scores numbers
    (6.25), the header row frozen, and a formula-like title or name text, never a formula?"""
    hw.assignment(school.circle, accepts="text", title="=SUM(A1:A9)", points=5)
    response = client_as(school.klass.teacher).get(school.url(format="xlsx"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="grades-' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    assert header[:4] == ["Student", "Real name", "Student number", "E-mail"]
    title = rows[0][header.index("'=SUM(A1:A9)")]
    assert title.data_type == "s"
    by_email = {row[3].value: row for row in rows[2:]}
    ada, ann = by_email[school.ada.email], by_email[school.ann.email]
    assert (ada[2].value, ada[2].data_type, ada[2].number_format) == ("00123", "s", "@")
    assert (ann[2].value, ann[2].data_type) == ("2023000100020003", "s")
    assert (ada[4].value, ada[4].data_type) == (6.25, "n")
    assert ada[6].value == "EX"
    assert (ann[0].value, ann[0].data_type) == ("'Ann;=2+5", "s")
    assert all(c.data_type != "f" for row in rows for c in row)


@pytest.mark.parametrize("params", [
    {"format": "canvas", "canvas_blanks": "zero"}, {"format": "canvas", "canvas_blanks": "excused",
                                                    "canvas_match": "sis_user_id"},
    {"format": "moodle"}, {"format": "moodle", "moodle_scale": "points", "moodle_blanks": "zero"},
    {"format": "csv"}])
def test_no_cell_can_run_as_a_formula(school, client_as, hw, params):
    """In every CSV, can no cell, nor any piece after a `;` `,` tab `|` or line break (`Ann;=2+5`), start a
    formula, other than the plain CSV's ="…" student numbers?"""
    hw.assignment(school.circle, accepts="text", title="+Arpeggios|@x", points=5)
    hw.assignment(school.circle, accepts="text", title="Lab；＝1+1", points=5)  # full-width ； and ＝
    from lms.circles import operations as circle_ops
    circle_ops.update_identity(school.circle.membership_of(school.bo), display_name='=HYPERLINK("http://x","y")')
    db.session.commit()
    rows = csv_rows(client_as(school.klass.teacher).get(school.url(**params)))
    guarded = [cell for row in rows for cell in row if cell.startswith("'")]
    assert any("Ann;=2+5" in c for c in guarded) and any("Arpeggios" in c for c in guarded)
    assert any("＝1+1" in c for c in guarded)
    for row in rows:
        for cell in row:
            if re.fullmatch(r'="[0-9A-Za-z_./-]+"', cell):
                continue
            for piece in _runnable_pieces(cell):
                assert not piece.startswith(FORMULA_SIGNS), (cell, piece)


def test_semicolon_spreadsheet_cannot_split_a_field(school, client_as):
    """Is every field quoted, so a spreadsheet whose separator is `;` keeps `Ann;=2+5` in one cell?"""
    text = csv_text(client_as(school.klass.teacher).get(school.url(format="csv")))
    for line in text[1:].splitlines():
        assert line.startswith('"') and line.endswith('"'), line


def test_export_is_audited(school, client_as):
    """Is each export recorded: who, the circle, the format, the choices and how many rows and columns?"""
    client_as(school.klass.assistant).get(school.url(format="moodle", moodle_scale="points"))
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == AuditAction.grades_exported)).one()
    assert event.actor_id == school.klass.assistant.id and event.circle_id == school.circle.id
    assert event.details == {"format": "moodle", "blanks": "nograde", "match": "email", "scale": "points",
                             "released_only": True, "students": 3, "assignments": 3}


def test_unreleased_grades_can_be_left_out(school, client_as):
    """With every grade hidden again but Bo's homework: is only Bo's homework sent to Moodle by default and
    every other grade "-" as if ungraded, while the teacher who unticks the box sends them all?"""
    from lms.grading import operations as grading_ops
    teacher = school.klass.teacher
    grading_ops.unrelease_grades(school.homework, teacher, [school.ada, school.ann])
    grading_ops.unrelease_grades(school.essay, teacher)
    grading_ops.unrelease_grades(school.review, teacher)
    db.session.commit()
    rows = csv_rows(client_as(teacher).get(school.url(format="moodle")))
    body = {row[3]: row[4:] for row in rows[1:]}
    assert body[school.bo.email] == ["100", "-", "-"]
    assert body[school.ada.email] == ["-", "-", "-"]
    rows = csv_rows(client_as(teacher).get(school.url(format="moodle", moodle_released_only="0")))
    assert {row[3]: row[4:] for row in rows[1:]}[school.ada.email] == ["62.5", "75", "-"]


@pytest.mark.parametrize("fmt, left_out", [("canvas", True), ("moodle", True), ("csv", False), ("xlsx", False)])
def test_unreleased_grades_are_left_out_by_default_for_other_systems_only(school, client_as, fmt, left_out):
    """Does the form tick "leave out grades not yet released" for Canvas and Moodle (they may show students
    every grade at once) and not for the plain CSV and workbook, and does an export without the box follow
    the same default (audited)?"""
    client = client_as(school.klass.teacher)
    html = client.get(f"/circles/{school.circle.id}/grades").get_data(as_text=True)
    group = {"canvas": "canvas", "moodle": "moodle", "csv": "plain", "xlsx": "plain"}[fmt]
    box = re.search(rf'<input type="checkbox" name="{group}_released_only"[^>]*>', html).group(0)
    assert ("checked" in box) is left_out
    assert f'<input type="hidden" name="{group}_released_only" value="0">' in html
    client.get(school.url(format=fmt, canvas_blanks="zero"))
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == AuditAction.grades_exported)).one()
    assert event.details["released_only"] is left_out


def test_the_form_shows_each_formats_settings_in_its_own_fieldset(school, client_as):
    """Are the Canvas, Moodle and plain-file settings each in a fieldset naming its formats (for the script
    that hides the others), with the script loaded from a file, and does the help say what ="00123" is?"""
    client = client_as(school.klass.teacher)
    response = client.get(f"/circles/{school.circle.id}/grades")
    html = response.get_data(as_text=True)
    assert re.findall(r'<fieldset data-formats="([^"]+)">', html) == ["canvas", "moodle", "csv xlsx"]
    assert 'src="/static/js/grading/export_form.js"' in html
    assert "<script>" not in html
    assert 'The plain CSV writes student numbers as ="00123" so that Excel keeps their leading zeros' in page_text(
        response)
    script = client.get("/static/js/grading/export_form.js")
    assert script.status_code == 200 and "data-formats" in script.get_data(as_text=True)
    script.close()


def test_unknown_format_is_refused(school, client_as):
    """Is a format other than canvas, moodle, csv or xlsx refused with 400?"""
    assert client_as(school.klass.teacher).get(school.url(format="ods")).status_code == 400


@pytest.mark.parametrize("path", ["/grades/export?format=xlsx", "/grades.csv?format=moodle"])
@pytest.mark.parametrize("role, status", [
    ("owner", 200), ("teacher", 200), ("assistant", 200), ("admin", 200), ("student", 403), ("stranger", 404)])
def test_who_may_export(klass, client_as, role, status, path):
    """Only staff export the gradebook; students get 403, strangers 404 (the old grades.csv address too)."""
    response = client_as(getattr(klass, role)).get(f"/circles/{klass.circle.id}{path}")
    assert response.status_code == status
