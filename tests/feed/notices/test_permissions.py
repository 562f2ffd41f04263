"""Every notice route × every role: strangers 404, members without the role 403."""
from __future__ import annotations

import pytest

ROLES = ("owner", "teacher", "assistant", "student", "classmate", "stranger", "admin")
EVERYONE = {"owner", "teacher", "assistant", "student", "classmate", "admin"}
STAFF = {"owner", "teacher", "assistant", "admin"}
TEACHERS = {"owner", "teacher", "admin"}


def _expect(ok: set, ok_status: int = 200, denied: int = 403) -> dict:
    return {role: ok_status if role in ok else 404 if role == "stranger" else denied for role in ROLES}


FORM = {"title": "Changed", "body_md": "New text", "when": "now", "receipt_level": "opened"}

CASES = [
    ("index", "GET", "/circles/{c}/notices", _expect(EVERYONE)),
    ("show", "GET", "/circles/{c}/notices/{n}", _expect(EVERYONE)),
    ("show scheduled", "GET", "/circles/{c}/notices/{s}", _expect(STAFF, denied=404)),
    ("new", "GET", "/circles/{c}/notices/new", _expect(TEACHERS)),
    ("create", "POST", "/circles/{c}/notices/new", _expect(TEACHERS, 302)),
    ("edit", "GET", "/circles/{c}/notices/{n}/edit", _expect(TEACHERS)),
    ("update", "POST", "/circles/{c}/notices/{n}/edit", _expect(TEACHERS, 302)),
    ("pin", "POST", "/circles/{c}/notices/{n}/pin", _expect(TEACHERS, 302)),
    ("delete", "POST", "/circles/{c}/notices/{d}/delete", _expect(TEACHERS, 302)),
    ("history", "GET", "/circles/{c}/notices/{n}/history", _expect(STAFF)),
    ("receipts", "GET", "/circles/{c}/notices/{n}/receipts", _expect(STAFF)),
    ("receipt counts", "GET", "/circles/{c}/notices/{n}/receipts/counts", _expect(STAFF)),
    ("export", "GET", "/circles/{c}/notices/{n}/receipts.csv", _expect(STAFF)),
    ("remind", "POST", "/circles/{c}/notices/{n}/remind", _expect(STAFF, 302)),
    ("confirm", "POST", "/circles/{c}/notices/{m}/confirm", _expect({"student", "classmate"}, 302)
     | {"admin": 403, "owner": 403, "assistant": 403}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, method, template, expected", CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(klass, notices, client_as, role, name, method, template, expected):
    """Does `role` get the expected status on each notice endpoint?"""
    from tests.fixtures.homework import later

    notice = notices.notice(klass.circle, klass.teacher, title="Open")
    must = notices.notice(klass.circle, klass.teacher, title="Must", is_must_read=True)
    scheduled = notices.notice(klass.circle, klass.teacher, when=later(days=1), title="Later")
    doomed = notices.notice(klass.circle, klass.teacher, title="Doomed")
    url = template.format(c=klass.circle.id, n=notice.id, m=must.id, s=scheduled.id, d=doomed.id)
    client = client_as(klass.users[role])
    response = client.get(url) if method == "GET" else client.post(url, data=FORM if "edit" in url or "new" in url else {})
    assert response.status_code == expected[role]


def test_another_circles_notice_is_not_found_through_this_circle(klass, notices, make, client_as):
    """Does a notice id from another circle 404 under this circle, even for its staff?"""
    other = make.circle(klass.teacher)
    theirs = notices.notice(other, klass.teacher)
    client = client_as(klass.teacher)
    assert client.get(f"/circles/{klass.circle.id}/notices/{theirs.id}").status_code == 404
    assert client.get(f"/circles/{klass.circle.id}/notices/{theirs.id}/receipts").status_code == 404


def test_a_removed_member_loses_the_notices(klass, notices, client_as):
    """Once removed from the circle, does a former student get 404 for its notices?"""
    from lms.circles import operations as circle_ops
    from lms.extensions import db

    notice = notices.notice(klass.circle, klass.teacher)
    client = client_as(klass.student)
    assert client.get(f"/circles/{klass.circle.id}/notices/{notice.id}").status_code == 200
    circle_ops.remove_member(klass.circle.membership_of(klass.student), klass.owner)
    db.session.commit()
    assert client.get(f"/circles/{klass.circle.id}/notices/{notice.id}").status_code == 404
