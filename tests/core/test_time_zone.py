"""One time zone per viewer, named on every page: the profile's, else the browser's (the `tz` cookie),
else the circle's, else the site's; the same zone is handed to scripts and named beside date fields."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from lms.extensions import db
from lms.homework import operations as hw_ops
from tests.fixtures.app import page_text
from tests.fixtures.homework import later


def _zone_attribute(response) -> str:
    found = re.search(r'<meta name="time-zone" content="([^"]*)"', response.get_data(as_text=True))
    assert found, "the page does not hand its zone to scripts"
    return found.group(1)


@pytest.mark.parametrize("profile, cookie, shown", [
    ("Asia/Shanghai", "America/New_York", "Asia/Shanghai"),  # the profile wins over the browser
    (None, "America/New_York", "America/New_York"),  # no profile zone: the browser's
    (None, "Not/AZone", "UTC"),  # a cookie naming no zone is ignored: the site's default
])
def test_one_zone_per_viewer_named_in_the_footer(make, client, profile, cookie, shown):
    """Is every page's zone (given to scripts and named in the footer) the profile's, else the browser's?"""
    from tests.fixtures.factories import sign_in

    user = make.user(timezone=profile)
    sign_in(client, user)
    client.set_cookie("tz", cookie)
    response = client.get("/")
    assert _zone_attribute(response) == shown
    text = page_text(response)
    assert f"Times are shown in {shown}" in text
    if shown != "UTC":
        assert re.search(rf"Times are shown in {re.escape(shown)} \(GMT[+-]\d\d:\d\d\)\. Change", text)


def test_the_footers_link_follows_its_sentence_as_the_language_writes_sentences(make, client):
    """In Chinese the footer's "Change" follows "…（GMT+08:00）。" with no space (English keeps one)."""
    from tests.fixtures.factories import sign_in

    sign_in(client, make.user(timezone="Asia/Shanghai", locale="zh_Hans"))
    html = client.get("/").get_data(as_text=True)
    assert re.search(r"中国（上海）时间（GMT\+08:00）。<a href=\"/profile#timezone\">更改</a>", html), html[-1500:]


def test_a_profile_zone_this_server_does_not_know_never_breaks_a_page(make, client):
    """Does a stored zone name the server cannot read fall back to the browser's instead of failing?"""
    from tests.fixtures.factories import sign_in

    user = make.user(timezone="Mars/Olympus_Mons")
    sign_in(client, user)
    client.set_cookie("tz", "Asia/Taipei")
    response = client.get("/")
    assert response.status_code == 200 and _zone_attribute(response) == "Asia/Taipei"


def test_without_profile_or_browser_zone_the_circle_zone_applies(make, client):
    """Does a viewer with no zone of their own see a circle's pages in the circle's zone?"""
    from tests.fixtures.factories import sign_in

    owner = make.user(timezone=None)
    circle = make.circle(owner)
    circle.timezone = "Asia/Taipei"
    db.session.commit()
    sign_in(client, owner)
    assert _zone_attribute(client.get(f"/c/{circle.id}")) == "Asia/Taipei"
    assert _zone_attribute(client.get("/")) == "UTC"  # a page about no circle: the site's


def test_server_times_are_written_in_the_named_zone(klass, hw, client_as):
    """Is a comment posted at 12:00 UTC shown as 20:00 to a Shanghai profile, whatever the browser's zone?"""
    klass.teacher.timezone = "Asia/Shanghai"
    assignment = hw.assignment(klass.circle, due_at=later(days=1), max_video_seconds=60)
    submission = hw.submission(assignment, klass.student)
    comment = hw_ops.add_video_comment(submission, klass.teacher, "Good bow")
    comment.created_at = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
    db.session.commit()
    client = client_as(klass.teacher)
    client.set_cookie("tz", "America/New_York")
    response = client.get(f"/circles/{klass.circle.id}/assignments/{assignment.id}/submissions/{submission.id}")
    text = page_text(response).replace("\u202f", " ")
    assert "1/15/26, 8:00 PM" in text and "7:00 AM" not in text
    assert _zone_attribute(response) == "Asia/Shanghai"


@pytest.mark.parametrize("who, path", [
    ("owner", "/circles/{circle}/assignments/new"),  # opens, due and closes times
    ("owner", "/circles/{circle}/assignments/{assignment}"),  # extensions
    ("owner", "/c/{circle}/enrol"),  # invite and course code expiry
    ("admin", "/admin/audit"),  # the audit log's day filters
])
def test_date_fields_say_which_zone_they_are_read_in(klass, hw, client_as, who, path):
    """Does every form that takes a date or time name the zone it is read in?"""
    klass.users[who].timezone = "Asia/Shanghai"
    assignment = hw.assignment(klass.circle, due_at=later(days=1), max_video_seconds=60)
    db.session.commit()
    response = client_as(klass.users[who]).get(path.format(circle=klass.circle.id, assignment=assignment.id))
    assert response.status_code == 200
    assert re.search(r"Time zone: Asia/Shanghai \(GMT\+08:00\)", page_text(response))


@pytest.mark.parametrize("zone, locale, name", [
    ("America/Argentina/Buenos_Aires", "zh_Hans", "阿根廷（布宜诺斯艾利斯）时间"),  # CLDR keeps it as America/Buenos_Aires
    ("America/Indiana/Indianapolis", "zh_Hant", "美國（印第安那波里斯）時間"),
    ("Europe/Kyiv", "zh_Hans", "乌克兰（基辅）时间"),  # CLDR: Europe/Kiev
    ("Asia/Shanghai", "zh_Hans", "中国（上海）时间"),
    ("America/Argentina/Buenos_Aires", "en", "America/Argentina/Buenos_Aires"),
])
def test_a_zone_renamed_in_iana_keeps_its_cities_chinese_name(app, zone, locale, name):
    """Does a zone whose IANA id changed (so Babel finds no city under it) still read in Chinese, not
    阿根廷（Argentina/Buenos Aires）时间?"""
    from lms.core.i18n import zone_name

    with app.test_request_context():
        assert zone_name(zone, locale) == name
