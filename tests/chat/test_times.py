"""One way of writing times on a chat page, in the reader's zone and language: a message's time of day, a day
line above each day's first message, the date with the time where there are no day lines (search results, until
when someone is muted). static/js/chat.js writes the same formats (tests/browser/test_chat_times.py)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from lms.chat import operations as ops
from lms.chat import queries as q
from lms.circles import operations as circle_ops
from lms.core.types import utcnow
from lms.extensions import db

#: 2026-11-30 23:30 and 2026-12-01 00:30 in Shanghai (UTC+8), and a message of 01:10 the next day
MOMENTS = [datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc), datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc),
           datetime(2026, 11, 30, 17, 10, tzinfo=timezone.utc)]


def _said(world, bodies_and_moments):
    reader = q.reader_of(world.circle, world.user("student"))
    made = []
    for body, moment in bodies_and_moments:
        message = ops.send_message(world.main, reader, body=body)
        message.created_at = moment
        made.append(message)
    db.session.commit()
    return made


def _times(html: str, kind: str) -> list[str]:
    return [" ".join(t.split()) for t in re.findall(rf'data-chat-time="{kind}">([^<]*)</time>', html)]


def _days(html: str) -> list[str]:
    return re.findall(r'data-chat-day="([\d-]+)"', html)


@pytest.fixture
def reader(world):
    teacher = world.user("teacher")
    teacher.timezone = "Asia/Shanghai"
    db.session.commit()
    return teacher


@pytest.mark.parametrize("locale, times, days", [
    ("en", ["11:30 PM", "12:30 AM", "1:10 AM"], ["Monday, November 30, 2026", "Tuesday, December 1, 2026"]),
    ("zh_Hans", ["23:30", "00:30", "01:10"], ["2026年11月30日星期一", "2026年12月1日星期二"]),
])
def test_a_channel_writes_times_of_day_under_day_lines_in_the_readers_zone(locale, times, days, world, reader,
                                                                            client_as):
    """Messages either side of midnight in Shanghai (not in UTC: all three are on the 30th there): does each read
    its time of day, with a day line above the first message of each Shanghai day?"""
    reader.locale = locale
    db.session.commit()
    _said(world, zip(("before midnight", "after midnight", "later that night"), MOMENTS))
    html = client_as(reader).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    assert _times(html, "time") == times
    assert _days(html) == ["2026-11-30", "2026-12-01"]
    assert _times(html, "day") == days
    assert 'data-chat-time="datetime"' not in html  # no message written with its date beside the day lines


def test_a_reader_in_another_zone_has_other_day_lines(world, client_as):
    """In UTC the same three messages are of one day: one day line."""
    _said(world, zip(("a", "b", "c"), MOMENTS))
    html = client_as(world.user("teacher")).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    assert _days(html) == ["2026-11-30"] and _times(html, "time") == ["3:30 PM", "4:30 PM", "5:10 PM"]


def test_search_results_carry_their_date(world, reader, client_as):
    _said(world, zip(("homework one", "homework two", "other"), MOMENTS))
    html = client_as(reader).get(f"/c/{world.circle.id}/chat/{world.main.id}/search?q=homework").get_data(
        as_text=True)
    assert _times(html, "datetime") == ["12/1/26, 12:30 AM", "11/30/26, 11:30 PM"]
    assert 'data-chat-time="time"' not in html and "data-chat-day" not in html


def test_the_muted_list_writes_the_date_and_time_as_search_results_do(world, reader, client_as):
    student = world.circle.membership_of(world.user("student"))
    until = utcnow().replace(microsecond=0) + timedelta(days=3)
    circle_ops.mute_member(student, until=until, actor=world.user("owner"), reason="calm down")
    db.session.commit()
    html = client_as(reader).get(f"/c/{world.circle.id}/chat/{world.main.id}").get_data(as_text=True)
    local = until.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    expected = f"{local.month}/{local.day}/{local.year % 100:02d}, {local.strftime('%I').lstrip('0')}:{local:%M}"
    item = " ".join(re.search(r'data-muted-user="\d+"><span>([^<]*)</span>', html).group(1).split())
    assert item.startswith(f"Sam in class, until {expected}") and item.endswith(": calm down")


def test_a_stranger_reads_no_times(world, client_as):
    _said(world, zip(("a",), MOMENTS))
    assert client_as(world.user("stranger")).get(f"/c/{world.circle.id}/chat/{world.main.id}").status_code == 404
