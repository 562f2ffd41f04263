"""A must-read notice's confirm-by deadline on the calendars: there until the member confirms it."""
from __future__ import annotations

from icalendar import Calendar

from lms.calendar.models import CalendarToken
from lms.extensions import db
from lms.feed.notices import operations as notice_ops
from tests.fixtures.homework import later


def _feed_uids(app, client, user) -> set[str]:
    assert client.get("/calendar/subscribe").status_code == 200
    token = db.session.scalar(db.select(CalendarToken).where(CalendarToken.user_id == user.id))
    response = app.test_client().get(f"/calendar/feed/{token.token}.ics")
    assert response.status_code == 200
    return {str(e["UID"]) for e in Calendar.from_ical(response.data).walk("VEVENT")}


def test_a_member_who_confirmed_no_longer_sees_the_deadline(klass, app, client_as):
    """Once the student has pressed "I have read this", is "Confirm you have read" gone from their feed and
    their circle calendar, while a classmate who has not confirmed still has it?"""
    notice = notice_ops.create_notice(klass.circle, klass.teacher, title="Trip rules", body_md="Read.",
                                      publish_at=later(minutes=-5), is_must_read=True, confirm_by=later(days=2))
    db.session.commit()
    uid = f"notice-{notice.id}-confirm-by@circles"
    student, classmate = client_as(klass.student), client_as(klass.classmate)
    assert uid in _feed_uids(app, student, klass.student)

    notice_ops.confirm_notice(notice, klass.student)
    db.session.commit()
    assert uid not in _feed_uids(app, student, klass.student)
    assert uid in _feed_uids(app, classmate, klass.classmate)
    for view in ("month", "agenda"):
        page = student.get(f"/c/{klass.circle.id}/calendar?view={view}&month={later(days=2):%Y-%m}").get_data(as_text=True)
        assert "Confirm you have read: Trip rules" not in page
        other = classmate.get(f"/c/{klass.circle.id}/calendar?view={view}&month={later(days=2):%Y-%m}").get_data(as_text=True)
        assert "Confirm you have read: Trip rules" in other
