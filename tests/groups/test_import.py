"""Groups from a CSV of "student number or email, group name": groups made as needed, people moved, all or
nothing."""
from __future__ import annotations

import io

from lms.circles import operations as circle_ops
from lms.extensions import db
from lms.groups import queries as q
from tests.fixtures.app import page_text


def _send(client, g, text: str, encoding: str = "utf-8"):
    return client.post(f"{g.base}/import", data={"file": (io.BytesIO(text.encode(encoding)), "groups.csv")},
                       content_type="multipart/form-data")


def _groups(g) -> dict[str, list[str]]:
    db.session.expire_all()
    members = q.members_by_group(g.klass.circle)
    return {group.name: sorted(m.display_name for m in members.get(group.id, []))
            for group in q.groups_of(g.klass.circle)}


def _number(g, user, number: str) -> None:
    circle_ops.update_identity(g.membership(user), display_name=g.membership(user).display_name, real_name=None,
                               student_no=number, actor=g.klass.teacher)
    db.session.commit()


def test_import_makes_groups_and_moves_people(grouped, client_as):
    """With a heading, an email and a number typed differently from the roster, does the import make the new
    group, move the classmate out of Blue, and leave everyone else as they were?"""
    _number(grouped, grouped.extra[0], "SR2026-001")
    response = _send(client_as(grouped.klass.teacher), grouped,
                     "学号,小组\nsr2026 001,Green\n" + f"{grouped.klass.classmate.email.upper()},green\n"
                     + f"{grouped.klass.student.email},Red\n")
    assert response.status_code == 200, page_text(response)
    assert "1 group made" in page_text(response)
    groups = _groups(grouped)
    assert groups["Green"] == ["Classmate In Class", "Dancer 0"]
    assert groups["Blue"] == ["Dancer 3"]
    assert groups["Red"] == ["Dancer 2", "Student In Class"]


def test_a_bad_line_changes_nothing(grouped, client_as):
    """Does a file with an unknown person, a staff member, a repeated person and a line without a group change
    nothing and say which lines are wrong?"""
    before = _groups(grouped)
    k = grouped.klass
    response = _send(client_as(k.teacher), grouped,
                     f"{grouped.extra[0].email},New\nnobody@example.org,New\n{k.assistant.email},New\n"
                     f"{grouped.extra[1].email},New\n{grouped.extra[1].email},Red\n{grouped.extra[2].email}\n")
    assert response.status_code == 422
    text = page_text(response)
    assert "Nothing was imported" in text
    assert "Line 2: nobody@example.org is not a member of this circle." in text
    assert "Line 3:" in text and "is staff" in text
    assert "Line 5:" in text and "is also on line 4." in text
    assert "Line 6: Give a student number or email, then a group name." in text
    assert _groups(grouped) == before


def test_someone_who_left_is_not_a_member(grouped, client_as):
    """Is a student who left refused like a stranger?"""
    circle_ops.leave_circle(grouped.membership(grouped.extra[0]))
    db.session.commit()
    response = _send(client_as(grouped.klass.teacher), grouped, f"{grouped.extra[0].email},Red\n")
    assert response.status_code == 422
    assert "is not a member of this circle." in page_text(response)


def test_gb18030_and_semicolons(grouped, client_as):
    """Does a file saved by a Chinese spreadsheet (GB18030, semicolons) import?"""
    response = _send(client_as(grouped.klass.teacher), grouped, f"{grouped.extra[1].email};第三组\n", "gb18030")
    assert response.status_code == 200
    assert _groups(grouped)["第三组"] == ["Dancer 1"]


def test_students_cannot_import(grouped, client_as):
    response = _send(client_as(grouped.klass.student), grouped, f"{grouped.extra[1].email},Red\n")
    assert response.status_code == 403
