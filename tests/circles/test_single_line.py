"""Single-line text: every one-line field refuses invisible-only names, bidi overrides and control
characters through its real route, says why, and keeps what was typed."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pytest

from lms.circles import operations as circle_ops
from lms.circles.models import Circle, Membership, Role
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from tests.circles.helpers import elements
from tests.fixtures.app import page_text
from tests.fixtures.factories import PASSWORD

INVISIBLE = "Type at least one visible letter, digit or sign: invisible characters alone show blank."
REVERSING = "Characters that reverse the direction of text are not allowed here."
CONTROL = "Line breaks, tabs and control characters are not allowed here."

#: What people (or scripts) type, and what each field must answer. The first three are the issue's.
BAD_INPUTS = [
    pytest.param("\u200b", INVISIBLE, id="zero-width-space"),
    pytest.param("\u3164", INVISIBLE, id="hangul-filler"),
    pytest.param("Ann\u202eevil.exe", REVERSING, id="right-to-left-override"),
    pytest.param("\u200c\u200d\u2060\ufeff", INVISIBLE, id="joiners-and-bom"),
    pytest.param("\u115f\u1160\uffa0 \u2800", INVISIBLE, id="fillers-and-braille-blank"),
    pytest.param("a\u2066b\u2069", REVERSING, id="isolate"),
    pytest.param("Title\r\nBcc: all@example.org", CONTROL, id="cr-lf"),
    pytest.param("tab\there", CONTROL, id="tab"),
    pytest.param("bell\x07", CONTROL, id="control"),
]


@dataclass
class World:
    owner: object
    admin: object
    circle: Circle
    student: Membership
    org_id: int


@pytest.fixture
def world(make) -> World:
    """A site admin, a teacher owning a code circle with one student Pat, and an organization the admin runs."""
    admin = make.user(is_admin=True)
    owner = make.user()
    circle = make.circle(owner, owner_display_name="Ms Owner")
    student = make.member(circle, display_name="Pat")
    org = org_ops.create_org("School")
    org_ops.add_org_member(org, owner, OrgRole.teacher)
    db.session.commit()
    return World(owner, admin, circle, student, org.id)


def _assignment(w, value):
    return (w.owner, f"/circles/{w.circle.id}/assignments/new",
            {"title": value, "accepts": "video", "late_policy": "accept", "points": "100", "rubric_id": "0",
             "category_id": "0", "peer_visibility": "hidden", "status": "draft"}, "title")


def _rubric(field):
    def case(w, value):
        data = {"title": "Rubric", "criteria-0-title": "Tone", "criteria-0-levels-0-title": "Good",
                "criteria-0-levels-0-points": "2"}
        data[field] = value
        return w.owner, f"/circles/{w.circle.id}/rubrics/new", data, field
    return case


def _member(field):
    def case(w, value):
        data = {"display_name": "Pat", "real_name": "", "student_no": ""}
        data[field] = value
        return w.owner, f"/c/{w.circle.id}/members/{w.student.id}/edit", data, field
    return case


#: Each one-line field of the app: (who posts, where, the form, the field under test).
FIELDS = {
    "profile name": lambda w, v: (w.owner, "/profile", {"name": v, "locale": "", "timezone": ""}, "name"),
    "circle name": lambda w, v: (w.owner, "/circles/new",
                                 {"name": v, "kind": "teaching", "join_policy": "code"}, "name"),
    "circle name in settings": lambda w, v: (w.owner, f"/c/{w.circle.id}/settings",
                                             {"name": v, "kind": "teaching", "join_policy": "code"}, "name"),
    "display name": _member("display_name"),
    "real name": _member("real_name"),
    "student number": _member("student_no"),
    "course code batch": lambda w, v: (w.owner, f"/c/{w.circle.id}/course-codes", {"count": "1", "batch": v},
                                       "batch"),
    "assignment title": _assignment,
    "rubric title": _rubric("title"),
    "criterion title": _rubric("criteria-0-title"),
    "level title": _rubric("criteria-0-levels-0-title"),
    "category name": lambda w, v: (w.owner, f"/circles/{w.circle.id}/grades/categories",
                                   {"name": v, "weight": "10"}, "name"),
    "organization name": lambda w, v: (w.admin, "/admin/orgs", {"name": v, "description": ""}, "name"),
}


def _typed_back(html: str, name: str) -> str | None:
    for tag, attrs in elements(html):
        if tag == "input" and attrs.get("name") == name:
            return attrs.get("value")
    return None


@pytest.mark.parametrize("value, message", BAD_INPUTS)
@pytest.mark.parametrize("kind", FIELDS)
def test_single_line_field_refuses(world, as_user, kind, value, message):
    """Is this input refused in this field with its reason shown, the typed text kept in the form, and
    nothing saved?"""
    actor, url, data, field = FIELDS[kind](world, value)
    before = (db.session.scalar(db.select(db.func.count()).select_from(Circle)),
              db.session.get(Membership, world.student.id).display_name)
    response = as_user(actor).post(url, data=data)
    assert response.status_code == 422, kind
    assert message in page_text(response), kind
    typed = unicodedata.normalize("NFC", value).strip()
    assert _typed_back(response.get_data(as_text=True), field) == typed, kind
    assert (db.session.scalar(db.select(db.func.count()).select_from(Circle)),
            db.session.get(Membership, world.student.id).display_name) == before


@pytest.mark.parametrize("value, message", BAD_INPUTS[:3])
def test_join_form_refuses_invisible_or_reversing_names(world, make, as_user, value, message):
    """Is someone joining with the code refused such a display name, with the reason, and left outside?"""
    newcomer = make.user()
    response = as_user(newcomer).post(f"/join/{world.circle.join_code}", data={"display_name": value})
    assert response.status_code == 422
    assert message in page_text(response)
    assert world.circle.membership_of(newcomer) is None


@pytest.mark.parametrize("value, message", BAD_INPUTS)
def test_register_refuses_such_names(client, make, value, message):
    """Does registration refuse such a name with its reason?"""
    make.user()  # the site is set up (otherwise /register leads to the first-run page)
    response = client.post("/register", data={"name": value, "email": "new@example.org", "password": PASSWORD + "x!",
                                               "confirm": PASSWORD + "x!"})
    assert response.status_code == 422
    assert message in page_text(response)


def test_bulk_class_names_refuse_invisible_and_reversing_lines(world, as_user):
    """Are bulk class names checked line by line, naming the line at fault?"""
    response = as_user(world.admin).post(f"/orgs/{world.org_id}/classes", data={
        "names": "Art\nMus\u202eic\n", "teacher_id": str(world.owner.id), "kind": "teaching",
        "join_policy": "code"})
    assert response.status_code == 422
    assert REVERSING in page_text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Circle).where(Circle.name == "Art")) == 0


@pytest.mark.parametrize("good", ["Zoë", "王小明", "محمد", "👩🏽‍🏫 Ms K", "O’Brien-Smith", "Ａｎｎ", "n\u0303"])
def test_real_names_still_pass(world, as_user, good):
    """Do ordinary names of every script (with joiners inside emoji, combining marks) still save?"""
    response = as_user(world.owner).post(f"/c/{world.circle.id}/members/{world.student.id}/edit",
                                         data={"display_name": good, "real_name": good, "student_no": ""})
    assert response.status_code == 302
    m = db.session.get(Membership, world.student.id)
    assert m.display_name == unicodedata.normalize("NFC", good) == m.real_name


def test_operations_refuse_what_forms_would(world):
    """Do the operations (CSV imports, the API, scripts) apply the same rule as the forms?"""
    with pytest.raises(circle_ops.CircleError):
        circle_ops.create_circle(world.owner, "\u3164")
    with pytest.raises(circle_ops.IdentityError) as refused:
        circle_ops.add_member(world.circle, world.admin, Role.student, display_name="x\u202e")
    assert refused.value.field == "display_name"
    with pytest.raises(org_ops.OrgError):
        org_ops.create_org("\u200b")
