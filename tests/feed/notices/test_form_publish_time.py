"""The notice form's publish time: a time in the past is refused on its field, nothing typed is lost."""
from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from lms.extensions import db
from lms.feed.notices.models import Notice
from lms.core.types import utcnow


def _typed(moment) -> str:
    """What a datetime-local input sends for `moment` (tests' users are in UTC unless set)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")


def _post(client, circle_id, publish_at: str):
    return client.post(f"/circles/{circle_id}/notices/new",
                       data={"title": "Exam rules", "body_md": "Bring a pencil and your card.", "when": "later",
                             "publish_at": publish_at, "receipt_level": "opened"})


def _count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Notice))


def test_a_publish_time_in_the_past_is_refused_on_its_field(klass, client_as):
    """Does "Publish at a set time" with 2020-01-01 come back (422) with a message at the field, the title,
    text and time still there, and no notice made (nobody told)?"""
    klass.teacher.timezone = "UTC"
    db.session.commit()
    response = _post(client_as(klass.teacher), klass.circle.id, "2020-01-01T09:00")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That time has passed" in page
    assert 'value="Exam rules"' in page and "Bring a pencil and your card." in page and "2020-01-01T09:00" in page
    assert _count() == 0


def test_a_time_a_minute_ago_counts_as_now(klass, client_as):
    """Is a time a minute ago (the time it took to type) published at once, at the present time?"""
    klass.teacher.timezone = "UTC"
    db.session.commit()
    before = utcnow().replace(second=0, microsecond=0)
    response = _post(client_as(klass.teacher), klass.circle.id, _typed(utcnow() - timedelta(minutes=1)))
    assert response.status_code == 302
    notice = db.session.scalar(db.select(Notice))
    assert notice.is_published() and notice.publish_at >= before


def test_a_future_time_in_the_writer_zone_is_scheduled(klass, client_as):
    """Is a time tomorrow, typed in Shanghai, kept as scheduled?"""
    klass.teacher.timezone = "Asia/Shanghai"
    db.session.commit()
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    assert _post(client_as(klass.teacher), klass.circle.id, tomorrow).status_code == 302
    assert db.session.scalar(db.select(Notice)).is_scheduled()
