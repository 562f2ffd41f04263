"""Single-use course codes: generating a batch, the CSV, redeeming, used and expired codes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lms.circles import operations as ops
from lms.circles.codes import ALPHABET, COURSE_CODE_LENGTH, format_code
from lms.circles.models import CourseCode, JoinPolicy, Role
from lms.extensions import db
from tests.circles.helpers import membership, read_csv, reload
from tests.fixtures.app import page_text

HEADER = ["Code", "Batch", "Expires (UTC)", "Redeemed by", "Redeemed at (UTC)"]


def _codes(circle) -> list[CourseCode]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(CourseCode).where(CourseCode.circle_id == circle.id)
                                   .order_by(CourseCode.id)))


def _batch(circle, count=3, batch="Spring", expires_at=None) -> list[str]:
    codes = ops.generate_course_codes(circle, count, batch=batch, expires_at=expires_at)
    db.session.commit()
    return [c.code for c in codes]


def _redeem(client, code: str, display_name="Pat"):
    first = client.post("/join", data={"code": code})
    if first.status_code != 302:
        return first
    return client.post(first.headers["Location"], data={"display_name": display_name})


@pytest.mark.parametrize("count", [1, 7, 500])
def test_generate_codes_and_download_them(client, make, login, count):
    """Does generating N codes make N distinct codes, downloadable as a CSV with a BOM and a header?"""
    owner = make.user()
    circle = make.circle(owner)
    login(owner)
    response = client.post(f"/c/{circle.id}/course-codes", data={"count": str(count), "batch": " Spring 2027 "})
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}/enrol"
    enrol = page_text(client.get(f"/c/{circle.id}/enrol"))
    expected = "1 course code created." if count == 1 else f"{count} course codes created."
    assert expected in enrol and "Spring 2027" in enrol
    download = client.get(f"/c/{circle.id}/course-codes.csv?batch=Spring 2027")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = read_csv(download)
    assert rows[0] == HEADER
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == count == len(set(codes))
    # grouped for reading aloud, as the enrol page and the demo write codes: ABCDE-FGHJK
    assert all(len(c) == COURSE_CODE_LENGTH + 1 and c[5] == "-" and set(c.replace("-", "")) <= set(ALPHABET)
               for c in codes)
    assert all(row[1] == "Spring 2027" and row[3] == "" for row in rows[1:])
    assert sorted(codes) == sorted(format_code(c.code) for c in _codes(circle))


@pytest.mark.parametrize("count, message", [
    ("0", "Number must be between 1 and 500."),
    ("501", "Number must be between 1 and 500."),
    ("-3", "Number must be between 1 and 500."),
    ("", "This field is required."),
    ("ten", "Not a valid integer value."),
])
def test_generate_refuses_bad_counts(client, make, login, count, message):
    """Are 0, 501, negative, empty and non-numeric counts refused with 422 and a message?"""
    owner = make.user()
    circle = make.circle(owner)
    login(owner)
    response = client.post(f"/c/{circle.id}/course-codes", data={"count": count, "batch": "Spring"})
    assert response.status_code == 422
    assert message in page_text(response)
    assert _codes(circle) == []


def test_generate_needs_a_batch_name(client, make, login):
    """Is a batch without a name refused?"""
    owner = make.user()
    circle = make.circle(owner)
    login(owner)
    assert client.post(f"/c/{circle.id}/course-codes", data={"count": "3", "batch": " "}).status_code == 422
    assert _codes(circle) == []


def test_generate_refuses_a_past_expiry(client, make, login):
    """Are codes that would already be expired refused with a message?"""
    owner = make.user()
    circle = make.circle(owner)
    login(owner)
    response = client.post(f"/c/{circle.id}/course-codes",
                           data={"count": "3", "batch": "Old", "expires_at": "2001-01-01T10:00"})
    assert response.status_code == 422
    assert "Choose a time in the future, or leave it empty." in page_text(response)
    assert _codes(circle) == []


def test_student_redeems_a_code(client, make, login):
    """Does a student who types a course code (any case, with a dash) become a student of the circle?"""
    owner = make.user()
    circle = make.circle(owner)
    code = _batch(circle)[0]
    student = make.user(email="pat@example.org")
    login(student)
    response = _redeem(client, format_code(code).lower())
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    m = membership(circle, student)
    assert m.is_active and m.role == Role.student and m.joined_via == "course_code"
    [used] = [c for c in _codes(circle) if c.code == code]
    assert used.redeemed_by_id == student.id and used.redeemed_at is not None
    assert reload(circle).member_count == 2
    login(owner)
    rows = read_csv(client.get(f"/c/{circle.id}/course-codes.csv?batch=Spring"))
    assert [row[3] for row in rows[1:] if row[0] == format_code(code)] == ["pat@example.org"]
    assert "1" in page_text(client.get(f"/c/{circle.id}/enrol"))


def test_code_works_once(client, make, as_user):
    """Is a code already redeemed by one student refused to the next with 410 and a message?"""
    circle = make.circle()
    code = _batch(circle)[0]
    first, second = make.user(), make.user()
    assert _redeem(as_user(first), code).status_code == 302
    other = as_user(second)
    for response in (other.get(f"/join/{code}"), other.post(f"/join/{code}", data={"display_name": "x"})):
        assert response.status_code == 410
        assert "This course code has already been used." in page_text(response)
    assert membership(circle, second) is None
    assert reload(circle).member_count == 2


def test_redeemer_opening_their_code_again_goes_to_the_circle(client, make, login):
    """Is the student who redeemed a code sent to the circle when they open it again?"""
    circle = make.circle()
    code = _batch(circle)[0]
    student = make.user()
    login(student)
    _redeem(client, code)
    response = client.get(f"/join/{code}")
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"


def test_member_typing_a_code_does_not_use_it_up(client, make, login):
    """Is a member who types a fresh course code of their own circle sent to it, leaving the code unused?"""
    circle = make.circle()
    code = _batch(circle)[0]
    student = make.user()
    make.member(circle, student)
    login(student)
    response = _redeem(client, code)
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    assert all(c.redeemed_at is None for c in _codes(circle))


def test_expired_code(client, make, login):
    """Is an expired course code refused with 410 and the "expired" message?"""
    circle = make.circle()
    code = _batch(circle, expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))[0]
    student = make.user()
    login(student)
    response = client.get(f"/join/{code}")
    assert response.status_code == 410
    assert "This course code has expired." in page_text(response)
    assert membership(circle, student) is None


def test_code_works_in_an_invite_only_circle(client, make, login):
    """Does a course code enrol even where the join code is refused (policy "invite")?"""
    circle = make.circle(join_policy=JoinPolicy.invite)
    code = _batch(circle)[0]
    student = make.user()
    login(student)
    assert _redeem(client, code).status_code == 302
    assert membership(circle, student).is_active


def test_code_in_an_archived_circle(client, make, login, as_user):
    """Is a course code of an archived circle refused with the archived message?"""
    owner = make.user()
    circle = make.circle(owner)
    code = _batch(circle)[0]
    as_user(owner).post(f"/c/{circle.id}/archive")
    login(make.user())
    response = client.get(f"/join/{code}")
    assert response.status_code == 410
    assert "archived" in page_text(response)
    assert _codes(circle)[0].redeemed_at is None


def test_csv_of_another_circles_batch(client, make, login):
    """Can a teacher of another circle download this circle's codes, directly or through their own? (404)"""
    circle = make.circle()
    _batch(circle, batch="Secret")
    teacher = make.user()
    other = make.circle()
    make.member(other, teacher, Role.teacher)
    login(teacher)
    assert client.get(f"/c/{circle.id}/course-codes.csv?batch=Secret").status_code == 404
    assert client.get(f"/c/{other.id}/course-codes.csv?batch=Secret").status_code == 404


def test_csv_of_an_unknown_batch(client, make, login):
    """Is a batch name that does not exist a 404?"""
    owner = make.user()
    circle = make.circle(owner)
    _batch(circle, batch="Spring")
    login(owner)
    assert client.get(f"/c/{circle.id}/course-codes.csv?batch=Autumn").status_code == 404
    assert client.get(f"/c/{circle.id}/course-codes.csv").status_code == 404
