"""Times inside notification texts: the pages' short format in the reader's zone, with the zone named as the
reader's language names it, offset as at that time."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import lazy_gettext as _l

from lms.extensions import db
from lms.notifications import Kind, notify, register_kind
from lms.notifications.messages import notification_time, render_message
from tests.fixtures.app import page_text as text_of

MOMENT = datetime(2026, 12, 2, 1, 21, tzinfo=timezone.utc)  # 9:21 in Taipei
TIMED = register_kind(Kind("test_time_in_text", _l("Timed things"), _l("Confirm by %(confirm_by_at)s")))


def test_a_time_in_a_text_is_short_in_the_zone_with_its_label(app):
    with app.test_request_context():
        text = notification_time(MOMENT, ZoneInfo("Asia/Taipei"), "zh_Hant")
    assert text == "2026/12/2 上午9:21 台灣時間（GMT+08:00）"


def test_the_notifications_page_writes_the_time_as_pages_do_in_the_viewers_zone(make, login):
    ann = make.user()
    ann.timezone = "Asia/Taipei"
    notify(TIMED, [ann.id], url="/x", params={"confirm_by_at": MOMENT.isoformat()})
    db.session.commit()
    text = text_of(login(ann).get("/notifications"))
    short = format_datetime(MOMENT, "short", tzinfo=ZoneInfo("Asia/Taipei"), locale="en")
    assert f"Confirm by {short} Asia/Taipei (GMT+08:00)".replace("\u202f", " ") in text.replace("\u202f", " ")
    assert "9:21:00" not in text


def test_mail_and_pushes_use_the_same_short_form(app):
    with app.test_request_context():
        text = render_message("test_time_in_text", {"confirm_by_at": MOMENT.isoformat()}, "zh_Hant", ZoneInfo("Asia/Taipei"))
    assert text.endswith("2026/12/2 上午9:21 台灣時間（GMT+08:00）") and "9:21:00" not in text


def test_a_summer_time_names_the_summer_offset_whenever_it_is_read(app):
    """A July time in New York says GMT-04:00 (summer time) and a December one GMT-05:00, in whichever season
    they are read: the offset is that of the time shown, not of now."""
    july = datetime(2031, 7, 1, 0, 0, tzinfo=timezone.utc)  # 8:00 PM on 30 June in New York
    with app.test_request_context():
        summer = notification_time(july, ZoneInfo("America/New_York"), "en")
        winter = notification_time(MOMENT, ZoneInfo("America/New_York"), "en")
    assert summer.replace("\u202f", " ") == "6/30/31, 8:00 PM America/New_York (GMT-04:00)"
    assert winter.replace("\u202f", " ") == "12/1/26, 8:21 PM America/New_York (GMT-05:00)"
