"""What a fresh-eyes trial of the school console found left over (issue 19): the terms list names every term's
state and links its report; date-only fields (a term's first and last day) carry no time-zone note; the time
zone lists offer each zone once."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from html import unescape

import pytest

from lms.extensions import db
from lms.orgs.console import terms as term_ops
from tests.fixtures.app import page_text


def _row(page: str, term_id: int) -> str:
    """The HTML of the terms table's row of the term."""
    match = re.search(rf'<tr id="term-{term_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for term {term_id}"
    return match.group(1)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture
def terms(school):
    """Four terms of the school, as of today: one ended a month ago, one under way, one starting next month,
    and an old one whose classes were archived."""
    def term(name: str, first: int, last: int):  # days from today
        today = date.today()
        return term_ops.create_term(school.org, name, today + timedelta(days=first), today + timedelta(days=last))

    made = {"ended": term("Last spring", -120, -30), "current": term("This term", -10, 10),
            "upcoming": term("Next term", 30, 90), "archived": term("Long ago", -400, -300)}
    school.klass.term_id = made["current"].id
    term_ops.archive_term(made["archived"], school.admin)
    db.session.commit()
    return made


def test_every_term_shows_its_state(client, login, school, terms):
    """Does the terms list say of each term whether it is upcoming, current, ended or archived (the current
    term's State cell was empty)?"""
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/terms").get_data(as_text=True)
    expected = {"ended": "Ended", "current": "Current", "upcoming": "Upcoming", "archived": "Archived"}
    for key, state in expected.items():
        cells = re.findall(r"<td[^>]*>(.*?)</td>", _row(page, terms[key].id), re.S)
        assert _text(cells[4]).startswith(state), (key, _text(cells[4]))


def test_each_term_links_its_report(client, login, school, terms):
    """Does each term's row link the term's report, and does the link open it?"""
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/terms").get_data(as_text=True)
    for term in terms.values():
        url = f"/orgs/{school.org.id}/terms/{term.id}/report"
        row = _row(page, term.id)
        assert f'href="{url}"' in row and f'aria-label="{term.name}: term report"' in row, term.name
        assert client.get(url).status_code == 200


def test_date_only_fields_carry_no_time_zone_note(client, login, school, make):
    """A date has no time zone: do the term form's first and last day (and a check-in task's) go without the
    note that date-and-time fields carry?"""
    school.admin.timezone = school.teacher.timezone = "Asia/Shanghai"
    db.session.commit()
    login(school.admin)
    page = page_text(client.get(f"/orgs/{school.org.id}/terms"))
    assert "First day" in page and "Time zone:" not in page
    login(school.teacher)
    response = client.get(f"/c/{school.klass.id}/checkins/new")
    assert response.status_code == 200
    page = page_text(response)
    assert "First day" in page and "Time zone:" not in page


def _zone_options(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select[^>]*name="timezone"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no time zone list"
    return [(value, _text(label)) for value, label in
            re.findall(r'<option[^>]*value="([^"]*)"[^>]*>(.*?)</option>', select.group(1), re.S)]


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_time_zone_lists_offer_each_zone_once(client, login, school, locale):
    """Do the profile's and a class's time zone lists offer each zone once, by its canonical IANA name (not
    "PRC", "Asia/Chongqing" and "Asia/Shanghai" all as "中国（上海）时间")?"""
    school.teacher.locale = locale
    db.session.commit()
    login(school.teacher)
    for url in ("/profile", f"/c/{school.klass.id}/settings"):
        options = _zone_options(client.get(url).get_data(as_text=True))
        values = [value for value, _label in options if value]
        labels = Counter(label for value, label in options if value)
        assert len(values) == len(set(values)), url
        assert [label for label, n in labels.items() if n > 1] == [], url
        assert "Asia/Shanghai" in values and "UTC" in values and "Europe/London" in values
        assert not {"PRC", "Asia/Chongqing", "US/Eastern", "GB", "Etc/UTC", "Zulu"} & set(values), url


def test_a_saved_alias_stays_chosen(client, login, school):
    """Someone whose time zone was saved under an alias (Asia/Chongqing) still finds it chosen in the list."""
    school.teacher.timezone = "Asia/Chongqing"
    db.session.commit()
    login(school.teacher)
    html = client.get("/profile").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="Asia/Chongqing"|<option[^>]*value="Asia/Chongqing"[^>]*selected',
                     html)
