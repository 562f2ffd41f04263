"""Every homework route × every role: strangers 404 (HTML and JSON), members without the role 403."""
from __future__ import annotations

import pytest

from lms.homework.models import Accepts

ROLES = ("owner", "teacher", "assistant", "student", "classmate", "stranger", "admin")


def _expect(ok: set, ok_status: int = 200, *, denied: int = 403, hidden: int = 404) -> dict:
    """`ok` roles get ok_status, other members `denied`, strangers `hidden`; the site admin counts as staff."""
    out = {}
    for role in ROLES:
        if role == "stranger":
            out[role] = hidden
        else:
            out[role] = ok_status if role in ok or (role == "admin" and "owner" in ok) else denied
    return out


EVERYONE = {"owner", "teacher", "assistant", "student", "classmate"}
STAFF = {"owner", "teacher", "assistant"}
TEACHERS = {"owner", "teacher"}

CASES = [
    # (name, method, url template, expected, json)
    ("index", "GET", "/circles/{c}/assignments", _expect(EVERYONE), False),
    ("show", "GET", "/circles/{c}/assignments/{a}", _expect(EVERYONE), False),
    ("show draft", "GET", "/circles/{c}/assignments/{d}", _expect(STAFF, denied=404), False),
    ("new", "GET", "/circles/{c}/assignments/new", _expect(TEACHERS), False),
    ("create", "POST", "/circles/{c}/assignments/new", _expect(TEACHERS, 302), False),
    ("edit", "GET", "/circles/{c}/assignments/{a}/edit", _expect(TEACHERS), False),
    ("edit draft", "GET", "/circles/{c}/assignments/{d}/edit", _expect(TEACHERS, denied=403) | {
        "student": 404, "classmate": 404}, False),
    ("update", "POST", "/circles/{c}/assignments/{a}/edit", _expect(TEACHERS, 302), False),
    ("publish", "POST", "/circles/{c}/assignments/{d}/publish", _expect(TEACHERS, 302) | {
        "student": 404, "classmate": 404, "assistant": 403}, False),
    ("delete", "POST", "/circles/{c}/assignments/{e}/delete", _expect(TEACHERS, 302), False),
    ("gallery (hidden)", "GET", "/circles/{c}/assignments/{a}/gallery", _expect(STAFF), False),
    ("a student's submission", "GET", "/circles/{c}/assignments/{a}/submissions/{s}",
     _expect(STAFF | {"student"}), False),
    ("comments JSON", "GET", "/circles/{c}/assignments/{a}/submissions/{s}/comments",
     _expect(STAFF | {"student"}), True),
    ("add comment JSON", "POST", "/circles/{c}/assignments/{a}/submissions/{s}/comments",
     _expect(STAFF | {"student"}, 201), True),
]

FORM = {"title": "T", "accepts": "text", "late_policy": "accept", "points": "5", "rubric_id": "0",
        "category_id": "0", "peer_visibility": "hidden", "status": "published", "late_penalty_cap": "100"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, method, template, expected, is_json", CASES, ids=[c[0] for c in CASES])
def test_permission_matrix(klass, hw, client_as, role, name, method, template, expected, is_json):
    """Does `role` get the expected status on each homework endpoint (and a JSON error on JSON ones)?"""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text)
    draft = hw.assignment(klass.circle, accepts=Accepts.text, publish=False)
    empty = hw.assignment(klass.circle, accepts=Accepts.text)
    submission = hw.submission(assignment, klass.student, text="Mine")
    url = template.format(c=klass.circle.id, a=assignment.id, d=draft.id, e=empty.id, s=submission.id)
    client = client_as(klass.users[role])
    if is_json:
        token = client.csrf_token()
        kwargs = {"json": {"body": "Nice", "at_seconds": None}} if method == "POST" else {}
        response = client.open(url, method=method, headers={"X-CSRFToken": token, "Accept": "application/json"},
                               **kwargs)
        if response.status_code >= 400:
            assert response.is_json and response.get_json()["error"]["code"] == response.status_code
    else:
        response = client.open(url, method=method, data=FORM if method == "POST" else None)
    assert response.status_code == expected[role], f"{name} as {role}"


def test_stranger_cannot_learn_an_assignment_exists_through_another_circle(klass, hw, client_as, make):
    """Does an assignment id reached through another circle (where the user is staff) 404?"""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text)
    mine = make.circle(klass.stranger)
    response = client_as(klass.stranger).get(f"/circles/{mine.id}/assignments/{assignment.id}")
    assert response.status_code == 404


def test_assistant_sees_edit_controls_only_where_allowed(klass, hw, client_as):
    """Does the assistant see the assignment without the teacher's edit link, and the teacher with it?"""
    assignment = hw.assignment(klass.circle, accepts=Accepts.text)
    edit = f"/circles/{klass.circle.id}/assignments/{assignment.id}/edit"
    show = f"/circles/{klass.circle.id}/assignments/{assignment.id}"
    assert edit not in client_as(klass.assistant).get(show).get_data(as_text=True)
    assert edit in client_as(klass.teacher).get(show).get_data(as_text=True)


def test_assignments_tab_in_the_circle_header(klass, client_as):
    """Does the circle's home page link to its assignments?"""
    html = client_as(klass.student).get(f"/c/{klass.circle.id}").get_data(as_text=True)
    assert f'href="/circles/{klass.circle.id}/assignments"' in html
