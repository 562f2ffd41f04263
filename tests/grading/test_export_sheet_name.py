"""The Excel workbook's sheet is named in the teacher's language; the files importers read keep their English
headers."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from lms.extensions import db
from lms.core.spreadsheet import sheet_title
from tests.grading.export_fixtures import csv_rows, school  # noqa: F401  (fixture)


def test_xlsx_sheet_is_named_in_the_teachers_language(school, client_as):
    """A teacher reading Chinese: is the sheet "成绩" (not "Grades"), while Canvas's file keeps "Student", "ID"?"""
    teacher = school.klass.teacher
    teacher.locale = "zh_Hans"
    db.session.commit()
    client = client_as(teacher)
    response = client.get(school.url(format="xlsx"))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.get_data())).sheetnames == ["成绩"]
    canvas = csv_rows(client.get(school.url(format="canvas", canvas_blanks="zero")))
    assert canvas[0][:2] == ["Student", "ID"] and canvas[1][0] == "Points Possible"


def test_sheet_title_keeps_to_what_excel_accepts():
    """Are Excel's forbidden characters, end apostrophes and length over 31 taken out, and empty names replaced?"""
    assert sheet_title("Grades: term 1/2 [draft]?") == "Grades term 1 2 draft"
    assert sheet_title("'成绩'") == "成绩"
    assert len(sheet_title("x" * 40)) == 31
    assert sheet_title(" *?: ") == "Sheet1" and sheet_title(" *?: ", "Grades") == "Grades"
