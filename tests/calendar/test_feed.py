"""The personal iCalendar feed: parsed back with `icalendar`, its secret address, what it shows whom."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from lms.calendar.models import CalendarToken
from lms.extensions import db
from lms.homework import operations as hw_ops
from tests.fixtures.homework import later

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def feed_of(app, client_as):
    """(user) -> (client signed in as them, the path of their feed)."""
    def _feed_of(user):
        client = client_as(user)
        assert client.get("/calendar/subscribe").status_code == 200
        token = db.session.scalar(db.select(CalendarToken).where(CalendarToken.user_id == user.id))
        return client, f"/calendar/feed/{token.token}.ics"

    return _feed_of


def parse(response) -> list:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"])
    return list(calendar.walk("VEVENT"))


def by_uid(events) -> dict:
    return {str(e["UID"]): e for e in events}


def test_feed_parses_with_stable_uids_utc_times_summary_url_and_description(klass, hw, feed_of, app):
    """Does the feed hold one VEVENT per due and close time, each with a stable UID, DTSTAMP, a UTC
    DTSTART, the circle's name in SUMMARY, an absolute URL and a DESCRIPTION?"""
    due, closes = later(days=3).replace(microsecond=0), later(days=5).replace(microsecond=0)
    essay = hw.assignment(klass.circle, title="Essay", due_at=due, closes_at=closes)
    _client, path = feed_of(klass.student)
    stranger = app.test_client()  # no session: the address is the key
    events = by_uid(parse(stranger.get(path)))
    assert set(events) == {f"assignment-{essay.id}-due@circles", f"assignment-{essay.id}-close@circles"}
    event = events[f"assignment-{essay.id}-due@circles"]
    start = event.decoded("DTSTART")
    assert start == due and start.utcoffset() == timedelta(0)
    assert b"DTSTART:" in event.to_ical() and event.to_ical().split(b"DTSTART:")[1][:16].endswith(b"Z")
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert "Essay" in str(event["SUMMARY"]) and klass.circle.name in str(event["SUMMARY"])
    assert str(event["URL"]).startswith("http") and str(event["URL"]).endswith(
        f"/circles/{klass.circle.id}/assignments/{essay.id}")
    assert str(event["URL"]) in str(event["DESCRIPTION"])
    assert events[f"assignment-{essay.id}-close@circles"].decoded("DTSTART") == closes
    # fetched again: the same UIDs (a phone updates its copies instead of adding new ones)
    assert set(by_uid(parse(stranger.get(path)))) == set(events)


def test_due_times_across_the_daylight_saving_change_are_right_in_utc(make, hw, feed_of, client_as):
    """A New York class due at 23:59 the evening before and after the March change: the feed's UTC times
    are 04:59Z and then 03:59Z, and the calendar page (in New York time) shows 11:59 PM both days."""
    teacher = make.user(timezone="America/New_York")
    circle = make.circle(teacher)
    student = make.user(timezone="America/New_York", locale="en")
    make.member(circle, student)
    now = datetime.now(timezone.utc)
    for year in (now.year, now.year + 1):  # the next March change (always within the feed's year ahead)
        sunday = [d for d in range(8, 15) if datetime(year, 3, d).weekday() == 6][0]  # the second Sunday
        before = datetime(year, 3, sunday - 1, 23, 59, tzinfo=NEW_YORK).astimezone(timezone.utc)
        after = datetime(year, 3, sunday + 1, 23, 59, tzinfo=NEW_YORK).astimezone(timezone.utc)
        if before > now:
            break
    first = hw.assignment(circle, title="Before", due_at=before)
    second = hw.assignment(circle, title="After", due_at=after)
    _client, path = feed_of(student)
    events = by_uid(parse(_client.get(path)))
    start_before = events[f"assignment-{first.id}-due@circles"].decoded("DTSTART")
    start_after = events[f"assignment-{second.id}-due@circles"].decoded("DTSTART")
    assert (start_before.hour, start_before.minute, start_before.tzinfo.utcoffset(None)) == (4, 59, timedelta(0))
    assert (start_after.hour, start_after.minute) == (3, 59)
    assert start_before.astimezone(NEW_YORK).hour == start_after.astimezone(NEW_YORK).hour == 23

    page = client_as(student).get(f"/c/{circle.id}/calendar?month={year}-03&view=agenda")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "America/New_York" in text
    assert text.count("11:59\u202fPM") + text.count("11:59 PM") >= 2


def test_a_reset_address_answers_404_and_the_new_one_works(klass, hw, feed_of, app):
    """After "Make a new address", does the old address answer 404 and the new one the feed?"""
    hw.assignment(klass.circle, title="Essay", due_at=later(days=2))
    client, old = feed_of(klass.student)
    assert app.test_client().get(old).status_code == 200
    assert client.post("/calendar/subscribe/reset").status_code == 302
    assert app.test_client().get(old).status_code == 404
    token = db.session.scalar(db.select(CalendarToken).where(CalendarToken.user_id == klass.student.id))
    new = f"/calendar/feed/{token.token}.ics"
    assert new != old and len(parse(app.test_client().get(new))) == 1


def test_reset_needs_the_form_token(klass, feed_of, app):
    """A cross-site POST without the CSRF token does not change the address."""
    client, path = feed_of(klass.student)
    client.post("/calendar/subscribe/reset", csrf=False)
    assert app.test_client().get(path).status_code == 200


@pytest.mark.parametrize("path", ["/calendar/feed/not-a-token.ics", "/calendar/feed/" + "x" * 43 + ".ics",
                                  "/calendar/feed/.ics"])
def test_an_unknown_address_answers_404(klass, feed_of, app, path):
    """Does a guessed or malformed address answer 404 (as a reset one does), while a real one works?"""
    feed_of(klass.student)
    assert app.test_client().get(path).status_code == 404


def test_a_disabled_account_feed_answers_404(klass, feed_of, app):
    """Does the feed of a disabled account stop answering?"""
    _client, path = feed_of(klass.student)
    klass.student.is_disabled = True
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_a_feed_holds_only_its_owner_circles(make, hw, feed_of, app):
    """A student's feed shows their circles' due times, never those of a circle they are not in."""
    mine, other = make.circle(), make.circle()
    student = make.user()
    make.member(mine, student)
    ours = hw.assignment(mine, title="Ours", due_at=later(days=1))
    hw.assignment(other, title="Theirs", due_at=later(days=1))
    _client, path = feed_of(student)
    events = parse(app.test_client().get(path))
    assert set(by_uid(events)) == {f"assignment-{ours.id}-due@circles"}
    assert b"Theirs" not in app.test_client().get(path).data


def test_a_student_who_left_no_longer_sees_the_circle_in_the_feed(klass, hw, feed_of, app):
    """Leaving a circle takes its due times out of the person's feed."""
    from lms.circles import operations as circle_ops

    hw.assignment(klass.circle, title="Essay", due_at=later(days=1))
    _client, path = feed_of(klass.student)
    assert len(parse(app.test_client().get(path))) == 1
    circle_ops.leave_circle(klass.circle.membership_of(klass.student))
    db.session.commit()
    assert parse(app.test_client().get(path)) == []


def test_a_draft_is_never_in_a_student_feed_and_is_in_the_teacher_one(klass, hw, feed_of, app):
    """Is an unpublished assignment absent from a student's feed and present in the teacher's?"""
    draft = hw.assignment(klass.circle, title="Secret draft", due_at=later(days=2), publish=False)
    _c, student_path = feed_of(klass.student)
    _c, teacher_path = feed_of(klass.teacher)
    assert b"Secret draft" not in app.test_client().get(student_path).data
    assert parse(app.test_client().get(student_path)) == []
    assert f"assignment-{draft.id}-due@circles" in by_uid(parse(app.test_client().get(teacher_path)))


def test_an_extension_moves_the_student_own_due_time_only(klass, hw, feed_of, app):
    """Granted two more days, does the student's feed show their own due time, and the classmate's the
    assignment's?"""
    due = later(days=2).replace(microsecond=0)
    essay = hw.assignment(klass.circle, title="Essay", due_at=due)
    hw_ops.grant_extension(essay, [klass.student], klass.owner, due_at=due + timedelta(days=2))
    db.session.commit()
    uid = f"assignment-{essay.id}-due@circles"
    _c, own = feed_of(klass.student)
    _c, classmate = feed_of(klass.classmate)
    _c, teacher = feed_of(klass.teacher)
    assert by_uid(parse(app.test_client().get(own)))[uid].decoded("DTSTART") == due + timedelta(days=2)
    assert by_uid(parse(app.test_client().get(classmate)))[uid].decoded("DTSTART") == due
    assert by_uid(parse(app.test_client().get(teacher)))[uid].decoded("DTSTART") == due


def test_the_feed_window(klass, hw, feed_of, app):
    """Due times from 60 days back to 365 ahead are in the feed; older and further ones are not."""
    inside = [hw.assignment(klass.circle, due_at=later(days=d)) for d in (-59, 364)]
    for d in (-61, 366):
        hw.assignment(klass.circle, due_at=later(days=d))
    _c, path = feed_of(klass.student)
    assert set(by_uid(parse(app.test_client().get(path)))) == {f"assignment-{a.id}-due@circles" for a in inside}


def test_each_person_gets_their_own_address(klass, feed_of):
    """Is the address made once per person, shown again on later visits, and different for each person?"""
    _c, one = feed_of(klass.student)
    _c, two = feed_of(klass.classmate)
    assert one != two
    _c, again = feed_of(klass.student)
    assert again == one  # made once, shown again



def test_a_scheduled_notice_is_absent_from_a_member_feed_until_its_time(klass, feed_of, app):
    """Notices register their own source (lms/feed/notices): a notice set to publish tomorrow is on the
    teacher's feed (as scheduled) and on no member's; once published, its confirm-by deadline is on theirs."""
    from lms.feed.notices import operations as notice_ops

    notice = notice_ops.create_notice(klass.circle, klass.teacher, title="Trip next week", body_md="Bring a coat.",
                                      publish_at=later(days=1), is_must_read=True, confirm_by=later(days=3))
    db.session.commit()
    _c, student = feed_of(klass.student)
    _c, teacher = feed_of(klass.teacher)
    assert b"Trip next week" not in app.test_client().get(student).data
    assert parse(app.test_client().get(student)) == []
    assert f"notice-{notice.id}-publish@circles" in by_uid(parse(app.test_client().get(teacher)))

    notice.publish_at = later(minutes=-1)  # its time has come
    db.session.commit()
    uids = set(by_uid(parse(app.test_client().get(student))))
    assert uids == {f"notice-{notice.id}-confirm-by@circles"}


def test_fetches_are_limited_per_address_not_per_network(klass, feed_of, app, monkeypatch):
    """Past 60 fetches in an hour one feed address answers 429, while another person's address, fetched
    from the same network (a school's phones share one public address), still answers."""
    monkeypatch.setitem(app.config, "RATE_LIMITING", True)
    _c, busy = feed_of(klass.student)
    _c, other = feed_of(klass.classmate)
    phone = app.test_client()
    assert all(phone.get(busy).status_code == 200 for _ in range(60))
    assert phone.get(busy).status_code == 429
    assert phone.get(other).status_code == 200
