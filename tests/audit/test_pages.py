"""The audit log pages: who may read which events, the filters, paging with a fixed number of queries,
the CSV download, and that nothing in the app edits or deletes a record."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from lms.accounts.models import User
from lms.audit.models import AuditAction, AuditEvent
from lms.audit.operations import record_event
from lms.extensions import db
from tests.fixtures.app import page_text
from tests.orgs.school import build_school

UTC = timezone.utc


@pytest.fixture
def school(make):
    return build_school(make)


@pytest.fixture
def log(school, make):
    """Five events at fixed times.

    - `org_grant`   2026-03-01 12:00 UTC: Sita (site admin) makes Tom an admin of Hill School (org_id set).
    - `class_role`  2026-03-08 04:30 UTC (Sat 7 March 23:30 in New York): Olga changes a role in Hill
                    School's class; recorded with its circle only (no org_id), as events of a class
                    that joined the organization later are.
    - `other_org`   2026-03-09 10:00 UTC: a role change in a class of Far School, another organization.
    - `site`        2026-03-10 10:00 UTC: Sita grants site admin to Otto (no circle, no org).
    - `formula`     2026-03-11 10:00 UTC: a removal whose target label is "Ann;=2+5" in Hill's class.
    """
    other = build_school(make, "Far School")
    rows = {
        "org_grant": AuditEvent(at=datetime(2026, 3, 1, 12, tzinfo=UTC), action="org_admin_granted",
                                actor_id=school.site_admin.id, actor_label=_label(school.site_admin),
                                target_type="users", target_id=school.teacher.id, target_label=_label(school.teacher),
                                org_id=school.org.id, details={"from": "teacher", "to": "admin"}),
        "class_role": AuditEvent(at=datetime(2026, 3, 8, 4, 30, tzinfo=UTC), action="member_role_changed",
                                 actor_id=school.admin.id, actor_label=_label(school.admin), target_type="memberships",
                                 target_id=1, target_label="Sam", circle_id=school.klass.id,
                                 details={"from": "student", "to": "assistant"}),
        "other_org": AuditEvent(at=datetime(2026, 3, 9, 10, tzinfo=UTC), action="member_role_changed",
                                actor_id=other.admin.id, actor_label=_label(other.admin), target_type="memberships",
                                target_id=2, target_label="Far pupil", circle_id=other.klass.id, org_id=other.org.id,
                                details={"from": "student", "to": "teacher"}),
        "site": AuditEvent(at=datetime(2026, 3, 10, 10, tzinfo=UTC), action="admin_granted",
                           actor_id=school.site_admin.id, actor_label=_label(school.site_admin), target_type="users",
                           target_id=school.outsider.id, target_label=_label(school.outsider), ip="192.0.2.1"),
        "formula": AuditEvent(at=datetime(2026, 3, 11, 10, tzinfo=UTC), action="member_removed",
                              actor_id=school.teacher.id, actor_label="=HYPERLINK(\"http://x\")",
                              target_type="memberships", target_id=3, target_label="Ann;=2+5",
                              circle_id=school.klass.id, org_id=school.org.id, details={"role": "student"}),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: event.id for name, event in rows.items()}


def _label(user) -> str:
    return f"{user.name} <{user.email}>"


def _rows(response) -> list[int]:
    """Ids of the events listed on a page, in order, from their row ids."""
    import re

    return [int(i) for i in re.findall(r'id="event-(\d+)"', response.get_data(as_text=True))]


def _shown(response, log=None) -> set[int]:
    """Ids of the events listed; with `log`, only those of the scenario (building the schools
    recorded events of its own)."""
    shown = set(_rows(response))
    return shown & set(log.values()) if log is not None else shown


def _ids(log, *names) -> set[int]:
    return {log[name] for name in names}


# -- who may read ----------------------------------------------------------------------------

PAGES = [
    ("site", lambda s: "/admin/audit"),
    ("site_csv", lambda s: "/admin/audit.csv"),
    ("org", lambda s: f"/orgs/{s.org.id}/audit"),
    ("org_csv", lambda s: f"/orgs/{s.org.id}/audit.csv"),
]
EXPECTED = {  # who → status on (site pages, org pages)
    "site_admin": (200, 200),
    "admin": (404, 200),  # an org admin: not a site admin (the admin area is not advertised)
    "teacher": (404, 403),
    "student": (404, 403),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("who", [*EXPECTED, "anonymous"])
@pytest.mark.parametrize("name, url", PAGES, ids=[p[0] for p in PAGES])
def test_who_may_read_the_log(client, login, school, log, who, name, url):
    """Do site admins read every log, org admins their organization's, org teachers and students get
    403 there, everyone else 404, and visitors the sign-in page?"""
    user = school.by_role(who)
    if user is not None:
        login(user)
    response = client.get(url(school))
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == EXPECTED[who][0 if name.startswith("site") else 1]


def test_another_orgs_log_is_not_found_for_an_org_admin(client, login, school, log, make):
    """Does an org admin get 404 for another organization's log, even by guessing its id?"""
    other = build_school(make, "Third School")
    login(school.admin)
    assert client.get(f"/orgs/{other.org.id}/audit").status_code == 404
    assert client.get(f"/orgs/{other.org.id}/audit.csv").status_code == 404


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit.csv", "/orgs/{org}/audit", "/orgs/{org}/audit.csv"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_route_changes_the_log(client, login, school, log, url, method):
    """Is there no way, even for a site admin, to change or delete records through the app?"""
    login(school.site_admin)
    assert client.open(url.format(org=school.org.id), method=method, data={}).status_code == 405
    assert {frozenset(r.methods - {"HEAD", "OPTIONS"}) for r in client.application.url_map.iter_rules()
            if r.endpoint.startswith("audit.")} == {frozenset({"GET"})}


# -- what each admin sees --------------------------------------------------------------------

def test_site_admin_sees_every_event_newest_first(client, login, school, log):
    """Does the site log list all five events, newest first, with actor, action and change?"""
    login(school.site_admin)
    response = client.get("/admin/audit")
    html = response.get_data(as_text=True)
    assert _shown(response, log) == set(log.values())
    positions = [html.index(f'id="event-{log[n]}"') for n in ("formula", "site", "other_org", "class_role", "org_grant")]
    assert positions == sorted(positions)
    text = page_text(response)
    assert "Organization admin granted" in text and "Teacher → Organization admin" in text and "192.0.2.1" in text


def test_org_admin_sees_her_orgs_events_only(client, login, school, log):
    """Does an org admin see the events of her organization and of its classes (even those recorded
    without the organization), and neither another organization's nor site-wide ones?"""
    login(school.admin)
    response = client.get(f"/orgs/{school.org.id}/audit")
    assert _shown(response, log) == _ids(log, "org_grant", "class_role", "formula")
    for event in db.session.scalars(db.select(AuditEvent).where(AuditEvent.id.in_(_shown(response)))):
        assert event.org_id == school.org.id or event.circle_id == school.klass.id
    far_school_events = db.session.scalars(db.select(AuditEvent.id).where(AuditEvent.org_id != school.org.id)).all()
    assert far_school_events and not set(far_school_events) & _shown(response)
    csv_ids = {int(r["id"]) for r in _csv(client.get(f"/orgs/{school.org.id}/audit.csv"))}
    assert csv_ids == set(_rows(response))


def test_org_page_links_to_the_log_for_its_admins_only(client_as, school):
    """Does the organization's page link to its audit log for org admins, and not for its teachers?"""
    link = f'href="/orgs/{school.org.id}/audit"'
    assert link in client_as(school.admin).get(f"/orgs/{school.org.id}").get_data(as_text=True)
    assert link not in client_as(school.teacher).get(f"/orgs/{school.org.id}").get_data(as_text=True)


def test_admin_nav_links_to_the_log(client, login, school):
    """Does the administration area's navigation link to the audit log?"""
    login(school.site_admin)
    assert 'href="/admin/audit"' in client.get("/admin/").get_data(as_text=True)


# -- filters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("actor=olga", {"class_role", "other_org"}),  # part of the name frozen in the record (both schools' admins)
    ("actor=SITA", {"org_grant", "site"}),  # case does not matter
    ("action=member_role_changed", {"class_role", "other_org"}),
    ("action=admin_granted&actor=sita", {"site"}),
    ("circle=existing", {"class_role", "other_org", "formula"}),  # both schools' classes are "Existing class"
    ("actor=100%25", set()),  # a % typed is a character, not a wildcard
], ids=["actor", "actor-case", "action", "action-and-actor", "circle-name", "literal-percent"])
def test_filters(client, login, school, log, query, expected):
    """Does each filter keep exactly the matching events?"""
    login(school.site_admin)
    assert _shown(client.get(f"/admin/audit?{query}"), log) == _ids(log, *expected)


def test_filter_by_actor_email(client, login, school, log):
    """Does a full email find only that person's events, not a namesake's?"""
    login(school.site_admin)
    assert _shown(client.get(f"/admin/audit?actor={school.admin.email}"), log) == _ids(log, "class_role")


def test_filter_by_circle_number(client, login, school, log):
    """Does giving the circle's number keep only that circle's events?"""
    login(school.site_admin)
    assert _shown(client.get(f"/admin/audit?circle={school.klass.id}"), log) == _ids(log, "class_role", "formula")


def test_actor_search_also_finds_the_current_email(client, login, school, log):
    """Does searching by an actor's current email find their events after the account's email changed?"""
    admin = db.session.get(User, school.admin.id)
    admin.email = "olga.new@example.org"
    db.session.commit()
    login(school.site_admin)
    assert _shown(client.get("/admin/audit?actor=olga.new"), log) == _ids(log, "class_role")


@pytest.mark.parametrize("zone, day, expected", [
    ("America/New_York", "2026-03-07", {"class_role"}),  # 04:30 UTC on the 8th is 23:30 on the 7th there
    ("America/New_York", "2026-03-08", set()),
    ("UTC", "2026-03-08", {"class_role"}),
    ("Asia/Shanghai", "2026-03-08", {"class_role"}),
])
def test_dates_are_days_in_the_viewers_zone(client, login, school, log, zone, day, expected):
    """Is a from/to date a whole calendar day in the viewer's time zone (both ends included)?"""
    db.session.get(User, school.site_admin.id).timezone = zone
    db.session.commit()
    login(school.site_admin)
    assert _shown(client.get(f"/admin/audit?date_from={day}&date_to={day}"), log) == _ids(log, *expected)


def test_date_range(client, login, school, log):
    """Does a range keep the events from its first day to its last, inclusive?"""
    login(school.site_admin)
    shown = _shown(client.get("/admin/audit?date_from=2026-03-09&date_to=2026-03-10"), log)
    assert shown == _ids(log, "other_org", "site")


def test_a_bad_filter_is_refused_with_a_reason(client, login, school, log):
    """Is an end date before the start date (or an unknown action) refused with a message, not a crash?"""
    login(school.site_admin)
    response = client.get("/admin/audit?date_from=2026-03-10&date_to=2026-03-01")
    assert response.status_code == 422 and "The end date is before the start date." in page_text(response)
    assert client.get("/admin/audit?action=drop_tables").status_code == 422
    assert client.get("/admin/audit.csv?action=drop_tables").status_code == 422


# -- paging ----------------------------------------------------------------------------------

def _add_events(n: int, school) -> None:
    for i in range(n):
        record_event(AuditAction.member_role_changed, school.admin, circle_id=school.klass.id,
                     details={"from": "student", "to": "assistant", "i": i})
    db.session.commit()


@pytest.mark.parametrize("url", ["/admin/audit?page={page}", "/orgs/{org}/audit?page={page}&actor=olga"])
def test_query_count_does_not_grow_with_the_log(client, login, school, count_queries, url):
    """Does a page of the log take the same number of queries with 110 events as with 310, on the
    first page and a later one?"""
    login(school.site_admin)
    client.get("/admin/")  # the client's first request may do one-off work (its session)
    counts = []
    for total in (110, 200):
        _add_events(total, school)
        for page in (1, 2):
            with count_queries:
                response = client.get(url.format(org=school.org.id, page=page))
            assert response.status_code == 200 and len(_shown(response)) == 50
            counts.append(count_queries.count)
    assert len(set(counts)) == 1, counts


def test_csv_query_count_does_not_grow_with_the_log(client, login, school, count_queries):
    """Does the CSV download take the same number of queries for 20 events as for 220 (no query per row)?"""
    login(school.site_admin)
    client.get("/admin/")
    counts = []
    for total in (20, 200):
        _add_events(total, school)
        with count_queries:
            rows = _csv(client.get("/admin/audit.csv?actor=olga"))
        assert len(rows) == sum((20, 200)[:len(counts) + 1])
        counts.append(count_queries.count)
    assert counts[0] == counts[1], counts


def test_pages_keep_the_filter(client, login, school):
    """Do the pager links carry the filter, and the second page hold the older events?"""
    _add_events(55, school)
    login(school.site_admin)
    first = client.get("/admin/audit?actor=olga")
    assert "/admin/audit?actor=olga&amp;page=2" in first.get_data(as_text=True)
    second = client.get("/admin/audit?actor=olga&page=2")
    assert len(_shown(first)) == 50 and len(_shown(second)) == 5
    assert max(_shown(second)) < min(_shown(first))


# -- CSV -------------------------------------------------------------------------------------

def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_holds_the_filtered_events(client, login, school, log):
    """Does the CSV hold the filtered events with UTC times, actor, address and details?"""
    login(school.site_admin)
    rows = _csv(client.get("/admin/audit.csv?actor=sita"))
    assert [int(r["id"]) for r in rows if int(r["id"]) in log.values()] == [log["site"], log["org_grant"]]
    rows = [r for r in rows if int(r["id"]) in log.values()]
    site = rows[0]
    assert site["time_utc"] == "2026-03-10T10:00:00+00:00" and site["ip"] == "192.0.2.1"
    assert site["actor"] == _label(school.site_admin) and site["target_id"] == str(school.outsider.id)
    assert rows[1]["details"] == '{"from": "teacher", "to": "admin"}'


def test_csv_cells_never_run_as_formulas(client, login, school, log):
    """Is a cell that starts with "=" or holds ";=" (split by spreadsheets whose separator is ";") kept as text?"""
    login(school.site_admin)
    [row] = [r for r in _csv(client.get("/admin/audit.csv")) if r["action"] == "member_removed"]
    assert row["actor"] == "'=HYPERLINK(\"http://x\")"
    assert row["target"] == "Ann;'=2+5"
    assert row["circle"] == "Existing class"


def test_recent_events_recorded_by_routes_show_up(client_as, school):
    """Does an action done through the app appear on the org admin's page at once, with its address?"""
    site_admin = client_as(school.site_admin)
    site_admin.post(f"/orgs/{school.org.id}/members", data={"email": school.teacher2.email, "role": "admin"},
                    environ_base={"REMOTE_ADDR": "203.0.113.50"})
    text = page_text(client_as(school.admin).get(f"/orgs/{school.org.id}/audit"))
    assert "Organization admin granted" in text and "Tina Teacher" in text and "203.0.113.50" in text
    assert datetime.now(UTC) - timedelta(minutes=1) < db.session.scalar(db.select(db.func.max(AuditEvent.at))).replace(
        tzinfo=UTC)
