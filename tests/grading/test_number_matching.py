"""Student numbers in exports: written as the school writes them, matched by their comparison key."""
from __future__ import annotations

from lms.grading.exports.canvas import _canvas_user, read_canvas_export
from lms.grading.exports.table import Student


def _student(number: str, email: str) -> Student:
    return Student(name="Ann", display_name="Ann", real_name="", student_no=number, email=email, marks=(),
                   points=0, possible=0, percent=None, weighted=None)


def test_canvas_export_finds_a_number_written_without_its_dash():
    """Does a Canvas export whose SIS User ID reads `sr2026 002` give Circles' `SR2026-002` its Canvas
    user id (the file then carries that id, which Canvas matches first), while a login still matches?"""
    export = ("Student,ID,SIS User ID,SIS Login ID,Section\n"
              "\"Lee, Ann\",201,sr2026 002,ann@canvas.example,Class\n"
              "\"Wu, Bo\",202,,bo@example.org,Class\n").encode()
    book = read_canvas_export(export)
    assert _canvas_user(_student("SR2026-002", "ann@example.org"), book, use_sis=True) == "201"
    assert _canvas_user(_student("SR2026-003", "BO@example.org"), book, use_sis=True) == "202"
    assert _canvas_user(_student("SR2026-002", "ann@example.org"), book, use_sis=False) == ""
