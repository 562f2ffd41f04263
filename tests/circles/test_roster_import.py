"""Roster import: a CSV of people with accounts, enrolled or updated by the staff, all or nothing."""
from __future__ import annotations

import io

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.circles import operations as ops
from lms.circles.models import MembershipStatus, Role
from lms.extensions import db
from tests.circles.helpers import membership, reload
from tests.fixtures.app import page_text


@pytest.fixture
def school(make):
    """A teaching circle (owner Olga, student Amy S-1, Rex whom Olga removed), and accounts for
    Nia and Max who are not in it."""
    olga = make.user(name="Olga", email="olga@example.org")
    circle = make.circle(olga, owner_display_name="Ms Olga")
    amy = make.user(name="Amy", email="amy@example.org")
    make.member(circle, amy, display_name="Amy", student_no="S-1")
    rex = make.user(name="Rex", email="rex@example.org")
    rex_m = make.member(circle, rex, display_name="Rex")
    ops.remove_member(rex_m, olga)
    db.session.commit()
    nia = make.user(name="Nia", email="nia@example.org")
    max_ = make.user(name="Max", email="max@example.org")
    return {"circle": reload(circle), "olga": olga, "amy": amy, "rex": rex, "nia": nia, "max": max_}


def _post(client, circle, text: str | bytes, *, readmit: bool = False):
    data = text.encode() if isinstance(text, str) else text
    form = {"file": (io.BytesIO(data), "roster.csv")}
    if readmit:
        form["readmit"] = "y"
    return client.post(f"/c/{circle.id}/members/import", data=form, content_type="multipart/form-data")


def test_import_enrols_people_by_email(school, as_user):
    """Are listed accounts enrolled as students with the names and normalized numbers given (locked
    against their own edits), addresses without an account listed, and the count right?"""
    csv_text = ("Email,Name,Real name,Student number\n"
                "NIA@example.org,Nia,Nia Nakamura,ｓ－３\n"
                "max@example.org,,,\n"
                "ghost@example.org,Ghost,,\n")
    response = _post(as_user(school["olga"]), school["circle"], csv_text)
    assert response.status_code == 200
    text = page_text(response)
    assert "2 people added" in text and "ghost@example.org" in text
    nia = membership(school["circle"], school["nia"])
    assert (nia.role, nia.display_name, nia.real_name, nia.student_no) == (Role.student, "Nia", "Nia Nakamura", "S-3")
    assert nia.joined_via == "roster" and nia.is_identity_locked
    assert membership(school["circle"], school["max"]).display_name == "Max"
    assert reload(school["circle"]).member_count == 4


def test_import_matches_numbers_by_key(school, as_user):
    """Is a file giving Nia `s 1` refused (Amy holds `S-1`), and two lines with `SR-9` and `sr9` named
    as the same number?"""
    response = _post(as_user(school["olga"]), school["circle"], "Email,Name,Student number\nnia@example.org,Nia,s 1\n")
    assert response.status_code == 422 and "belongs to someone else" in page_text(response)
    response = _post(as_user(school["olga"]), school["circle"],
                     "Email,Name,Student number\nnia@example.org,Nia,SR-9\nmax@example.org,Max,sr9\n")
    assert response.status_code == 422 and "is also on line 2" in page_text(response)
    assert membership(school["circle"], school["nia"]) is None


def test_a_bad_line_imports_nothing(school, as_user):
    """With one line at fault (a right-to-left override in a name), is nothing imported and the line named?"""
    csv_text = "email,name\nnia@example.org,Nia\nmax@example.org,Ma\u202ex\n"
    response = _post(as_user(school["olga"]), school["circle"], csv_text)
    assert response.status_code == 422
    text = page_text(response)
    assert "Line 3" in text and "reverse the direction" in text and "Nothing was imported" in text
    assert school["circle"].membership_of(school["nia"]) is None


@pytest.mark.parametrize("csv_text, message", [
    ("email,student number\nnia@example.org,S-1\n", "This student number belongs to someone else in this circle."),
    ("email,student number\nnia@example.org,S-7\nmax@example.org,ｓ－7\n", "The student number S-7 is also on line 2."),
    ("email,name\nnia@example.org,AMY\n", "Someone in this circle already goes by this name."),
    ("email\nnia@example.org\nNia@example.org\n", "nia@example.org is also on line 2."),
    ("name,number\nNia,1\n", "The first line must name the columns, with one called “email”."),
    ("email,name\nrex@example.org,Rex\n", "Rex was removed from this circle. Tick “Readmit people in the file whom the staff removed” to let them back in."),
])
def test_conflicts_are_refused_by_line(school, as_user, csv_text, message):
    """Are a taken number, a number twice in the file, a taken name, a person twice, a file without an
    email column and a removed member (without "Readmit") each refused with the reason?"""
    response = _post(as_user(school["olga"]), school["circle"], csv_text)
    assert response.status_code == 422
    assert message in page_text(response)
    assert school["circle"].membership_of(school["nia"]) is None
    assert membership(school["circle"], school["rex"]).status == MembershipStatus.removed


def test_readmit_through_the_import_is_audited(school, as_user):
    """With "Readmit" ticked, does a removed member listed by the teacher come back, audited?"""
    response = _post(as_user(school["olga"]), school["circle"], "email\nrex@example.org\n", readmit=True)
    assert response.status_code == 200 and "1 readmitted" in page_text(response)
    rex = membership(school["circle"], school["rex"])
    assert rex.is_active and rex.joined_via == "roster"
    [event] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_readmitted.value))
    assert event.actor_id == school["olga"].id and event.details["via"] == "roster"


def test_updating_a_members_number_is_audited(school, as_user):
    """Does a row for someone already in the circle update their number, audited as an identity change?"""
    response = _post(as_user(school["olga"]), school["circle"], "email,student number\namy@example.org,S-01\n")
    assert response.status_code == 200 and "1 updated" in page_text(response)
    assert membership(school["circle"], school["amy"]).student_no == "S-01"
    [event] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == AuditAction.identity_changed.value))
    assert event.details == {"student_no": {"from": "S-1", "to": "S-01"}}


def test_gb18030_and_semicolons(school, as_user):
    """Is a file saved by a spreadsheet in China (GB18030, semicolons) read right?"""
    data = "邮箱;名字;学号\nnia@example.org;妮娅;２０２３００１\n".encode("gb18030")
    response = _post(as_user(school["olga"]), school["circle"], data)
    assert response.status_code == 200
    nia = membership(school["circle"], school["nia"])
    assert (nia.display_name, nia.student_no) == ("妮娅", "2023001")


def test_the_roster_export_imports_again(school, as_user):
    """Does the roster CSV the page exports import again unchanged (nothing new, nobody duplicated)?"""
    teacher = as_user(school["olga"])
    exported = teacher.get(f"/c/{school['circle'].id}/members.csv").get_data()
    response = _post(teacher, school["circle"], exported)
    assert response.status_code == 200
    assert "0 people added" in page_text(response)
    assert reload(school["circle"]).member_count == 2


@pytest.mark.parametrize("role, status", [(Role.teacher, 200), (Role.assistant, 200), (Role.student, 403),
                                          (None, 404)])
def test_who_may_import(school, make, as_user, role, status):
    """Import matrix: staff may (GET and POST), students 403, strangers 404."""
    actor = make.user()
    if role is not None:
        make.member(school["circle"], actor, role)
    client = as_user(actor)
    assert client.get(f"/c/{school['circle'].id}/members/import").status_code == status
    response = _post(client, school["circle"], "email\nnia@example.org\n")
    assert response.status_code == status
    assert (school["circle"].membership_of(school["nia"]) is not None) == (status == 200)
