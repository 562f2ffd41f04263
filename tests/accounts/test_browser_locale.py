"""Mail follows the browser's language when the profile says "same as my browser": the account keeps the
browser's best-matching shipped locale (users.browser_locale), seen at sign-in and on later requests."""
from __future__ import annotations

from email.header import decode_header, make_header

from lms.extensions import db
from tests.fixtures.factories import PASSWORD, sign_in
from tests.fixtures.queries import QueryCounter


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _release(klass, client_as, assignment) -> None:
    teacher = client_as(klass.teacher)  # the teacher's own browser reads English
    response = teacher.post(f"/circles/{klass.circle.id}/assignments/{assignment.id}/release",
                            data={"student_id": klass.student.id}, headers={"Accept-Language": "en-US,en"})
    assert response.status_code == 302


def test_grade_mail_follows_the_browser_a_zh_cn_student_signed_in_with(app, klass, hw, grading, mailbox, client_as):
    """A student who signed in on a zh-CN phone and never chose a language: is their grade mail Chinese
    (simplified), though the teacher who released it reads English?"""
    assignment = hw.assignment(klass.circle, points=10, title="Scales")
    hw.submission(assignment, klass.student)
    grading.grade(assignment, klass.student, klass.teacher, score=7)
    assert klass.student.locale is None
    phone = app.test_client()
    response = phone.post("/login", data={"email": klass.student.email, "password": PASSWORD},
                          headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 302
    db.session.expire_all()
    assert klass.student.browser_locale == "zh_Hans"

    _release(klass, client_as, assignment)
    [message] = mailbox.to(klass.student.email)
    assert _subject(message) == "你的“Scales”成绩已发布"
    assert "你好" in _body(message) and "Hello" not in _body(message)


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_a_zh_tw_browser_seen_on_a_request_gives_traditional_mail(app, klass, hw, grading, mailbox, client_as):
    """A student already signed in whose browser now reads zh-TW: does a page request remember zh_Hant,
    and is the grade mail in traditional characters?"""
    assignment = hw.assignment(klass.circle, points=10, title="Scales")
    hw.submission(assignment, klass.student)
    grading.grade(assignment, klass.student, klass.teacher, score=7)
    student = _client(app, klass.student)
    assert student.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.8,en;q=0.5"}).status_code == 200
    db.session.expire_all()
    assert klass.student.browser_locale == "zh_Hant"

    _release(klass, client_as, assignment)
    [message] = mailbox.to(klass.student.email)
    assert _subject(message) == "你的「Scales」成績已發布"


def test_the_profile_language_wins_over_the_browser(app, klass, hw, grading, mailbox):
    """A student who chose English in their profile but browses in zh-CN: is the mail English?"""
    klass.student.locale = "en"
    db.session.commit()
    assignment = hw.assignment(klass.circle, points=10, title="Scales")
    hw.submission(assignment, klass.student)
    grading.grade(assignment, klass.student, klass.teacher, score=7)
    student = _client(app, klass.student)
    student.get("/", headers={"Accept-Language": "zh-CN"})
    db.session.expire_all()
    assert klass.student.browser_locale == "zh_Hans"

    teacher = _client(app, klass.teacher)
    teacher.post(f"/circles/{klass.circle.id}/assignments/{assignment.id}/release",
                 data={"student_id": klass.student.id}, headers={"Accept-Language": "zh-TW"})
    [message] = mailbox.to(klass.student.email)
    assert _subject(message) == "Your grade for “Scales” is ready"


def test_the_browser_language_is_written_only_when_it_changes(app, klass):
    """Does a page request with the same browser language write nothing to users, and a new one write once?"""
    student = _client(app, klass.student)
    student.get("/", headers={"Accept-Language": "zh-CN"})

    def updates() -> list[str]:
        return [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE USERS")]

    with QueryCounter() as counter:
        student.get("/", headers={"Accept-Language": "zh-CN"})
        student.get("/", headers={"Accept-Language": "zh-Hans-SG"})
        assert updates() == []
        student.get("/", headers={"Accept-Language": "en-GB"})
        assert len(updates()) == 1
    db.session.expire_all()
    assert klass.student.browser_locale == "en"


def test_password_reset_mail_follows_the_remembered_browser(app, klass, mailbox):
    """Someone asks for a reset from a browser reading English: does the student, whose account was last seen
    on a zh-TW browser, get the reset mail in traditional Chinese?"""
    student = _client(app, klass.student)
    student.get("/", headers={"Accept-Language": "zh-TW"})
    app.test_client().post("/password/forgot", data={"email": klass.student.email},
                           headers={"Accept-Language": "en"})
    [message] = mailbox.to(klass.student.email)
    assert "Reset your Circles password" not in _subject(message)
