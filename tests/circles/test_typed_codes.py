"""Codes and numbers as people type them (full width from a Chinese IME, any dash, any space) work."""
from __future__ import annotations

import pytest

from lms.accounts.models import User
from lms.circles import operations as ops
from lms.circles.models import CourseCode, Role
from lms.extensions import db
from tests.circles.helpers import membership
from tests.fixtures.app import page_text

JOIN_CODE = "AB0CD1EF"


@pytest.fixture
def circle(make):
    """A code circle whose join code is AB0CD1EF."""
    circle = make.circle(name="Physics")
    circle.join_code = JOIN_CODE
    db.session.commit()
    return circle


@pytest.mark.parametrize("typed", [
    "ＡＢ０ＣＤ１ＥＦ",  # the case: a Chinese input method in full-width mode
    "ａｂ０ｃ－ｄ１ｅｆ",  # full-width lower case and hyphen-minus
    "AB0C\u3000D1EF",  # ideographic space
    "AB0C\u2014D1EF", "AB0C\u2013D1EF", "AB0C\u2212D1EF", "AB0C\u2010D1EF", "AB0C\u30fcD1EF",
    "AB0C\u2011D1EF", "AB0C\u2015D1EF", "AB0C\ufe63D1EF",
    "\u200bAB0C D1EF\u00a0",  # zero-width and no-break spaces pasted from a document
])
def test_join_code_typed_any_way_joins(client, make, login, circle, typed):
    """Does the join code typed in full width, with any dash or space, find and join the circle?"""
    student = make.user()
    login(student)
    first = client.post("/join", data={"code": typed})
    assert first.status_code == 302 and first.headers["Location"] == f"/join/{JOIN_CODE}"
    assert client.post(first.headers["Location"], data={"display_name": "Pat"}).status_code == 302
    assert membership(circle, student).is_active


def test_join_code_in_the_address_typed_in_full_width(client, make, login, circle):
    """Does /join/<code> accept the full-width code in the address too?"""
    student = make.user()
    login(student)
    response = client.post("/join/ＡＢ０ＣＤ－１ＥＦ", data={"display_name": "Pat"})
    assert response.status_code == 302
    assert membership(circle, student).is_active


@pytest.mark.parametrize("dash", ["－", "—", "ー", "‐", " "])
def test_course_code_typed_with_any_dash(client, make, login, circle, dash):
    """Does a course code typed with a full-width (or other) dash between its halves redeem?"""
    code = ops.generate_course_codes(circle, 1, batch="B", expires_at=None)[0]
    db.session.commit()
    value = code.code
    typed = "".join(chr(ord(c) + 0xFEE0) for c in value[:5]) + dash + value[5:].lower()
    student = make.user()
    login(student)
    first = client.post("/join", data={"code": typed})
    assert first.status_code == 302 and first.headers["Location"] == f"/join/{value}"
    assert client.post(first.headers["Location"], data={"display_name": "Pat"}).status_code == 302
    assert db.session.get(CourseCode, code.id).redeemed_by_id == student.id


def test_invite_token_typed_with_odd_dashes_and_spaces(client, make, login, circle):
    """Does an invite link's token with its hyphen turned into a long dash or full-width, and stray
    spaces, still open the invite (case is kept: the token's alphabet has both)?"""
    owner = db.session.get(User, circle.created_by_id)
    invite = ops.create_invite(circle, owner, role=Role.student, max_uses=None, expires_at=None)
    invite.token = "Ab3-xY_9"
    db.session.commit()
    student = make.user()
    login(student)
    assert client.get("/i/Ab3—xY_9").status_code == 200
    assert client.get("/i/Ａｂ３－ｘＹ＿９").status_code == 200
    assert client.get("/i/ab3-xy_9").status_code == 404  # a different token


def test_invite_link_pasted_into_the_code_box(client, make, login, circle):
    """Does pasting a whole invite link into "Join with a code" lead to the invite?"""
    owner = db.session.get(User, circle.created_by_id)
    invite = ops.create_invite(circle, owner, role=Role.student, max_uses=None, expires_at=None)
    db.session.commit()
    login(make.user())
    response = client.post("/join", data={"code": f"https://school.example/i/{invite.token}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/i/{invite.token}"


# -- student numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("２０２３－０００１", "2023-0001"), ("s 123", "S 123"), ("S—123", "S-123"), ("  00123 ", "00123"),
    ("ｓ１２３", "S123"), ("s\u3000\u3000123", "S 123"),
])
def test_student_number_is_stored_normalized(make, as_user, typed, stored):
    """Is a student number typed on joining stored as the school writes it (NFKC, one kind of dash, one
    space, upper case), with its comparison key beside it?"""
    circle = make.circle(require_student_no=True)
    student = make.user()
    response = as_user(student).post(f"/join/{circle.join_code}", data={"display_name": "Pat", "student_no": typed})
    assert response.status_code == 302
    m = membership(circle, student)
    assert (m.student_no, m.student_no_key) == (stored, stored.replace("-", "").replace(" ", ""))


def test_roster_search_finds_a_number_typed_in_full_width(make, login, client):
    """Does the staff's roster search find S-100 typed as ｓ－１００ or "S 100"?"""
    owner = make.user()
    circle = make.circle(owner, owner_display_name="Teacher")
    make.member(circle, display_name="Amy", student_no="S-100")
    make.member(circle, display_name="Ben", student_no="S-200")
    login(owner)
    for typed in ("ｓ－１００", "s-100", "S‐100", "S 100", "s100"):
        text = page_text(client.get(f"/c/{circle.id}/members", query_string={"q": typed}))
        assert "Amy" in text and "Ben" not in text, typed
