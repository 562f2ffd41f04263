"""The notifications page (keyset pages, mark one read by opening it, mark all read, nobody else's), the bell on
the top bar (its count read with the session: no query of its own), the preferences page, and escaping."""
from __future__ import annotations

import sqlalchemy as sa

from lms.extensions import db
from lms.notifications import Channel, notify
from lms.notifications import operations as ops
from lms.notifications import queries as q
from lms.notifications.kinds import registered_kinds
from lms.notifications.models import Notification, NotificationSettings
from tests.fixtures.app import page_text as text_of
from tests.notifications.conftest import PING, mail_html, received

SCRIPT = "<script>alert(1)</script>"


def _ping(user, title="Essay", url="/circles/1/things/2"):
    notify(PING, [user.id], url=url, params={"actor": "Tom", "title": title})
    db.session.commit()


def _mine(user):
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_the_page_lists_mine_newest_first_and_opening_one_marks_it_read(make, login):
    ann = make.user()
    _ping(ann, "First")
    _ping(ann, "Second", url="/circles/9/x")
    client = login(ann)
    text = text_of(client.get("/notifications"))
    assert text.index("Tom pinged you about “Second”") < text.index("Tom pinged you about “First”")
    second = _mine(ann)[1]
    response = client.get(f"/notifications/{second.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/circles/9/x"
    assert [n.is_read for n in _mine(ann)] == [False, True]


def test_mark_one_and_mark_all_read(make, login):
    ann = make.user()
    for title in ("A", "B", "C"):
        _ping(ann, title)
    client = login(ann)
    first = _mine(ann)[0]
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert [n.is_read for n in _mine(ann)] == [True, False, False]
    assert client.post("/notifications/read-all").status_code == 302
    assert all(n.is_read for n in _mine(ann))


def test_someone_elses_notification_is_404(make, login):
    """Opening or marking another person's notification: 404 (no existence leak), and it stays unread?"""
    ann, bo = make.user(), make.user()
    _ping(ann)
    [theirs] = _mine(ann)
    client = login(bo)
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post("/notifications/read-all").status_code == 302
    assert not _mine(ann)[0].is_read
    assert "pinged" not in text_of(client.get("/notifications"))


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/notifications").status_code == 302


def test_pages_by_keyset(make, login, monkeypatch):
    """Seven notifications, three a page: newest three, then the next three (ids below the last shown, no
    OFFSET), then the oldest one and no link further?"""
    monkeypatch.setattr(q, "PAGE_SIZE", 3)
    ann = make.user()
    for n in range(7):
        _ping(ann, f"Title number {n}.")
    client = login(ann)
    ids = [n.id for n in reversed(_mine(ann))]
    # titles are looked for in the page's text: in its HTML a random token may hold "T4"
    first = client.get("/notifications")
    assert [f"Title number {n}." in text_of(first) for n in (6, 5, 4, 3)] == [True, True, True, False]
    assert f'href="/notifications?before={ids[2]}"' in first.get_data(as_text=True)
    second = client.get(f"/notifications?before={ids[2]}")
    shown = text_of(second)
    assert "Title number 3." in shown and "Title number 1." in shown and "Title number 4." not in shown
    assert f'href="/notifications?before={ids[5]}"' in second.get_data(as_text=True)
    last = client.get(f"/notifications?before={ids[5]}")
    assert "Title number 0." in text_of(last) and 'href="/notifications?before=' not in last.get_data(as_text=True)


def test_the_bell_shows_the_unread_count_without_a_query_of_its_own(make, login, count_queries):
    """The same page for a person with no notification and with three unread: as many queries both times
    (the count is read in the session's query), the bell hidden at 0 and showing 3?"""
    counts, pages = [], []
    for unread in (0, 3):
        person = make.user()
        for n in range(unread):
            _ping(person, f"T{n}")
        client = login(person)
        client.get("/profile")  # the session's first request also records that it was seen
        with count_queries:
            response = client.get("/profile")
        assert response.status_code == 200
        counts.append(count_queries.count)
        pages.append(response.get_data(as_text=True))
    assert counts[0] == counts[1]
    assert 'data-bell-count hidden>0</span>' in pages[0]
    assert 'data-bell-count>3</span>' in pages[1] and 'href="/notifications"' in pages[1]
    assert "js/core/bell.js" in pages[1]


def test_the_unread_count_endpoint_for_a_reconnecting_bell(make, login):
    ann = make.user()
    _ping(ann)
    assert login(ann).get("/notifications/unread").get_json() == {"unread": 1}


def test_preferences_page_saves_channels_and_hours(make, login):
    """A student: the staff-only kind (join requests) is not offered; choosing "daily digest" for pings,
    digest at 7:00 and quiet hours 22-6 is saved and shown again."""
    ann = make.user()
    client = login(ann)
    client.set_cookie("tz", "Asia/Tokyo")  # the browser's zone (static/js/core/app.js): the profile names none
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Hours are in Asia/Tokyo" in page
    assert 'name="kind-test_ping"' in page and 'name="kind-join_requested"' not in page
    form = {f"kind-{kind.name}": str(kind.default) for kind in registered_kinds()
            if not kind.staff_only}
    form.update({"kind-test_ping": "digest", "digest_hour": "7", "quiet_start": "22", "quiet_end": "6"})
    assert client.post("/notifications/preferences", data=form).status_code == 302
    assert ops.channels_of(ann, [PING]) == {"test_ping": Channel.digest}
    settings = db.session.get(NotificationSettings, ann.id)
    assert (settings.digest_hour, settings.quiet_start, settings.quiet_end) == (7, 22, 6)
    assert settings.timezone == "Asia/Tokyo"  # what the page said; jobs count the hours in it
    form["kind-test_ping"] = "sometimes"
    assert client.post("/notifications/preferences", data=form).status_code == 400


def test_a_teacher_is_offered_the_staff_only_kinds(make, login):
    owner = make.user()
    make.circle(owner)
    assert 'name="kind-join_requested"' in login(owner).get("/notifications/preferences").get_data(as_text=True)


def test_a_title_with_script_is_text_everywhere(make, login, mailbox, socket_as):
    """A title "<script>…": escaped on the page and in the HTML mail, pushed as plain text (the bell writes
    it with textContent, never as markup)?"""
    from pathlib import Path

    ann = make.user()
    sock = socket_as(ann)
    _ping(ann, SCRIPT)
    html = login(ann).get("/notifications").get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    [message] = mailbox.to(ann.email)
    mail = mail_html(message)
    assert SCRIPT not in mail and "&lt;script&gt;" in mail
    [push] = received(sock)
    assert push["message"] == f"Tom pinged you about “{SCRIPT}”"
    bell = (Path(__file__).resolve().parents[2] / "static/js/core/bell.js").read_text()
    assert "textContent" in bell and "innerHTML" not in bell and "insertAdjacentHTML" not in bell
