"""Who may see and change a circle's groups: every group route × every role; another circle's ids; an
archived circle."""
from __future__ import annotations

import pytest

from lms.circles import operations as circle_ops
from lms.extensions import db
from lms.groups.models import CircleGroup, GroupMember

ROLES = ("owner", "teacher", "assistant", "student", "stranger", "admin")
STAFF = {"owner", "teacher", "assistant", "admin"}


def _routes(g):
    red, member = g.red.id, g.membership(g.klass.student).id
    return [
        ("GET", g.base, {}),
        ("POST", g.base, {"name": "Green"}),
        ("POST", f"{g.base}/split", {"count": "1", "name_start": "Team"}),
        ("GET", f"{g.base}/import", {}),
        ("GET", f"{g.base}/{red}/edit", {}),
        ("POST", f"{g.base}/{red}/edit", {"name": "Crimson"}),
        ("GET", f"{g.base}/{red}/add", {}),
        ("POST", f"{g.base}/{red}/add", {"user_ids": [str(g.extra[0].id)]}),
        ("GET", f"{g.base}/{red}/members/{member}/move", {}),
        ("POST", f"{g.base}/{red}/members/{member}/move", {"group_id": str(g.blue.id)}),
        ("POST", f"{g.base}/{red}/members/{member}/remove", {}),
        ("POST", f"{g.base}/{red}/delete", {}),
    ]


def _state(g) -> tuple:
    db.session.expire_all()
    groups = db.session.execute(db.select(CircleGroup.id, CircleGroup.name).order_by(CircleGroup.id)).all()
    rows = db.session.execute(db.select(GroupMember.group_id, GroupMember.user_id).order_by(GroupMember.id)).all()
    return groups, rows


@pytest.mark.parametrize("role", ROLES)
def test_group_routes_by_role(grouped, client_as, role):
    """Does a stranger get 404 on every group route, a student 403 on all but their own group's page, and
    the staff (and a site admin) through?"""
    client = client_as(grouped.klass.users[role])
    for method, url, data in _routes(grouped):
        before = _state(grouped)
        response = client.open(url, method=method, data=data if method == "POST" else None)
        if role == "stranger":
            assert response.status_code == 404, (method, url)
        elif role == "student":
            assert response.status_code == (200 if (method, url) == ("GET", grouped.base) else 403), (method, url)
        else:
            assert response.status_code in (200, 302), (method, url, response.status_code)
        if role not in STAFF:
            assert _state(grouped) == before, (method, url)


def test_student_sees_only_their_own_group(grouped, client_as):
    """Does a student's groups page show their group and its members, and nothing of the other group?"""
    text = client_as(grouped.klass.student).get(grouped.base).get_data(as_text=True)
    assert "Red" in text and "Dancer 2" in text and "Student In Class" in text
    assert "Blue" not in text and "Classmate In Class" not in text and "Dancer 0" not in text


def test_another_circles_group_is_404(grouped, make, client_as):
    """Is a group of another circle, reached through this circle's URL, 404 even for this circle's teacher?"""
    other = make.circle(grouped.klass.teacher)
    url = f"/c/{other.id}/groups/{grouped.red.id}"
    teacher = client_as(grouped.klass.teacher)
    assert teacher.get(url + "/edit").status_code == 404
    assert teacher.post(url + "/delete").status_code == 404
    assert db.session.get(CircleGroup, grouped.red.id) is not None


def test_a_membership_of_another_circle_is_404(grouped, make, client_as):
    """Can a teacher move or remove someone by the membership id of another circle? (404)"""
    other = make.circle(grouped.klass.teacher)
    foreign = make.member(other, grouped.klass.student)
    teacher = client_as(grouped.klass.teacher)
    url = f"{grouped.base}/{grouped.red.id}/members/{foreign.id}"
    assert teacher.post(url + "/remove").status_code == 404
    assert teacher.get(url + "/move").status_code == 404


def test_archived_circle_is_read_only(grouped, client_as):
    """In an archived circle, do the staff still see the groups, without forms, and is every change 403?"""
    circle_ops.set_archived(grouped.klass.circle, True)
    db.session.commit()
    teacher = client_as(grouped.klass.teacher)
    page = teacher.get(grouped.base)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Red" in text and "Dancer 2" in text
    assert "Create group" not in text and "Add members" not in text and "/remove" not in text
    before = _state(grouped)
    for method, url, data in _routes(grouped)[1:]:
        assert teacher.open(url, method=method, data=data if method == "POST" else None).status_code == 403, url
    assert _state(grouped) == before

