"""The circle's home page: what it lists, the tokens its buttons carry, and a bounded query count."""
from __future__ import annotations

import re

from lms.circles.models import MembershipStatus, Role
from lms.extensions import db
from tests.fixtures.app import page_text


def _token(html: str, action: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, flags=re.S)
    assert form, f"no form posting to {action}"
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.group(0)).group(1)


def test_home_buttons_carry_a_token_the_server_accepts(client, make, login):
    """Do the leave button and the language switcher (written without building forms) carry a CSRF
    token that the server accepts, with the page's own path to come back to?"""
    circle = make.circle(make.user())
    student = make.user()
    membership = make.member(circle, student)
    login(student)
    html = client.get(f"/c/{circle.id}").get_data(as_text=True)
    assert f'<input id="next" name="next" type="hidden" value="/c/{circle.id}">' in html
    language = client.post("/language", data={"locale": "zh_Hans", "next": f"/c/{circle.id}",
                                              "csrf_token": _token(html, "/language")}, csrf=False)
    assert language.status_code == 302 and language.headers["Location"].endswith(f"/c/{circle.id}")
    assert db.session.get(type(student), student.id).locale == "zh_Hans"
    leave = client.post(f"/c/{circle.id}/leave", data={"csrf_token": _token(html, f"/c/{circle.id}/leave")},
                        csrf=False)
    assert leave.status_code == 302
    assert db.session.get(type(membership), membership.id).status != MembershipStatus.active


def test_home_refuses_a_leave_without_the_token(client, make, login):
    """Is leaving from the home page still refused without the page's CSRF token?"""
    circle = make.circle(make.user())
    student = make.user()
    membership = make.member(circle, student)
    login(student)
    assert client.post(f"/c/{circle.id}/leave", csrf=False).status_code == 400
    assert db.session.get(type(membership), membership.id).status == MembershipStatus.active


def test_home_lists_staff_by_rank_and_the_newest_members_first(client, make, login):
    """Does the home page list staff owner first with their roles, the newest members first, each by
    their name in the circle and with their picture?"""
    owner = make.user(name="Olga Owner")
    circle = make.circle(owner)
    make.member(circle, make.user(name="Ada"), Role.assistant, display_name="Ada Assistant")
    make.member(circle, make.user(name="Tom"), Role.teacher, display_name="Tom Teacher")
    pictured = make.user(name="Pia")
    pictured.avatar_key = "avatars/pia.png"
    for name in ("First", "Second", "Third"):
        make.member(circle, make.user(name=f"{name} account name"), display_name=f"{name} student")
    make.member(circle, pictured, display_name="Pia newest")
    db.session.commit()
    login(owner)
    response = client.get(f"/c/{circle.id}")
    text = page_text(response)
    # a letter stands for each person without a picture
    assert ("Teachers and staff O Olga Owner Owner T Tom Teacher Teacher A Ada Assistant Assistant "
            "Newest members Pia newest T Third student S Second student F First student") in text
    assert "account name" not in text
    assert f'<img class="avatar" src="/users/{pictured.id}/avatar" alt="">' in response.get_data(as_text=True)


def test_home_query_count_does_not_grow_with_the_circle(app, client, make, login, count_queries, monkeypatch):
    """Does the home page send as many queries for a circle of 40 as for a circle of 2, three in all
    (the session with its user, the circle with the viewer's membership, the staff and the newest)?
    The sections other domains register (lms.circles.home) are left out here; tests/feed/posts/test_home.py
    counts the whole page."""
    monkeypatch.setitem(app.extensions, "lms.circles.home", {})
    counts = []
    for size in (2, 40):
        owner = make.user()
        circle = make.circle(owner)
        student = make.user()
        make.member(circle, student)
        for _ in range(size - 2):
            make.member(circle, make.user())
        db.session.commit()
        login(student)
        url = f"/c/{circle.id}"
        client.get(url)  # the first request of a session also records that it was seen
        with count_queries:
            assert client.get(url).status_code == 200
        counts.append(count_queries.count)
    assert counts == [3, 3]


def test_a_section_whose_probe_says_nothing_costs_no_load(app, client, make, login, monkeypatch):
    """Does a home section whose probe (read with the circle) is false show what its when_empty answers, or
    nothing without one, never calling its load; and is a section whose probe is true loaded as ever?"""
    import sqlalchemy as sa

    from lms.circles.home import HomeSection, register_home_section

    monkeypatch.setitem(app.extensions, "lms.circles.home", {})
    loaded = []

    def load(name):
        def answer(circle, viewer, membership):
            loaded.append(name)
            return {"items": [], "thumbs": {}}
        return answer

    def empty(circle, viewer, membership):
        return {"items": [], "thumbs": {}}

    never, always = (lambda circle_id, viewer_id: sa.literal(False)), (lambda circle_id, viewer_id: sa.literal(True))
    # the feed's partial renders whatever context it is given: an empty feed says "No posts yet."
    register_home_section(app, HomeSection("a_yes", "main", 1, "feed/posts/_home.html", load("a_yes"), probe=always))
    register_home_section(app, HomeSection("b_empty", "main", 2, "feed/posts/_home.html", load("b_empty"),
                                           probe=never, when_empty=empty))
    register_home_section(app, HomeSection("c_hidden", "main", 3, "feed/posts/_home.html", load("c_hidden"),
                                           probe=never))
    register_home_section(app, HomeSection("d_plain", "main", 4, "feed/posts/_home.html", load("d_plain")))
    circle = make.circle(make.user())
    student = make.user()
    make.member(circle, student)
    db.session.commit()
    login(student)
    html = client.get(f"/c/{circle.id}").get_data(as_text=True)
    assert loaded == ["a_yes", "d_plain"]
    assert html.count('data-home-section="feed"') == 3


def test_member_markup_is_one_and_escaped(app):
    """Is a member drawn the same whether a template imports member_name and avatar from the partials or
    calls the globals, with names escaped, the letter or the picture, and real name and number only when
    asked (staff pages)?"""
    from flask import render_template_string

    from lms.circles.queries import ShownMember, ShownUser

    plain = ShownMember(7, "<b>Ann</b> & co", "Real <i>", "S&1", Role.student, ShownUser(3, "éva", None))
    pictured = plain._replace(real_name=None, user=ShownUser(4, "Pia", "avatars/pia.png"))
    imported = ('{% from "_partials/member.html" import member_name %}{% from "_partials/avatar.html" import avatar %}'
                '{{ member_name(m) }}|{{ member_name(m, show_real=True) }}|{{ avatar(m.user) }}')
    direct = '{{ member_name(m) }}|{{ member_name(m, show_real=True) }}|{{ avatar(m.user) }}'
    with app.test_request_context():
        first = render_template_string(imported, m=plain)
        assert first == render_template_string(direct, m=plain)
        # in a circle the letter is the circle name's (never the account's, which may be the real name)
        assert first == (
            '<span class="member" data-member-id="7"><span class="avatar avatar-letter" aria-hidden="true">&lt;</span>'
            '<span class="member-name">&lt;b&gt;Ann&lt;/b&gt; &amp; co</span></span>|'
            '<span class="member" data-member-id="7"><span class="avatar avatar-letter" aria-hidden="true">&lt;</span>'
            '<span class="member-name">&lt;b&gt;Ann&lt;/b&gt; &amp; co</span>'
            '<span class="member-real"> (Real &lt;i&gt; · <span class="nowrap">S&amp;1</span>)</span></span>|'
            '<span class="avatar avatar-letter" aria-hidden="true">É</span>')
        second = render_template_string(direct, m=pictured).split("|")
        assert second[1] == ('<span class="member" data-member-id="7"><img class="avatar" src="/users/4/avatar" alt="">'
                             '<span class="member-name">&lt;b&gt;Ann&lt;/b&gt; &amp; co</span>'
                             '<span class="member-real"> (<span class="nowrap">S&amp;1</span>)</span></span>')


def test_staff_card_reads_the_staff_by_role_not_every_member(app, tmp_path):
    """Does the home page's staff-and-newest statement find the staff through the role index, even where the
    planner's statistics say a role holds half the circle (one big circle: SQLite knows only the average rows
    per role)? Under one OR of the three roles SQLite read every membership of a 5,000-member circle on
    each view. Its own SQLite file, analysed as a database that has been running a while."""
    from datetime import datetime, timedelta, timezone

    import sqlalchemy as sa

    from lms.circles.queries import _STAFF_AND_RECENT

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    db.metadata.create_all(engine)
    students = 600
    with engine.begin() as conn:
        conn.execute(sa.insert(db.metadata.tables["users"]), [
            {"id": n, "email": f"u{n}@example.org", "password_hash": "x", "name": f"User {n}"}
            for n in range(1, students + 2)])
        conn.execute(sa.insert(db.metadata.tables["circles"]), [{"id": 1, "name": "Big", "created_by_id": 1}])
        conn.execute(sa.insert(db.metadata.tables["memberships"]), [
            {"circle_id": 1, "user_id": n, "role": Role.owner if n == 1 else Role.student,
             "status": MembershipStatus.active, "display_name": f"Member {n}",
             "joined_at": datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n)}
            for n in range(1, students + 2)])
        conn.exec_driver_sql("ANALYZE")
    seen = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, params, *_a: seen.append((sql, params)))
    with engine.connect() as conn:
        rows = conn.execute(_STAFF_AND_RECENT, {"circle_id": 1, "limit": 3}).all()
        sql, params = seen[-1]
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
    engine.dispose()
    assert [(row.display_name, row.sort_part) for row in rows] == [
        ("Member 1", 0), (f"Member {students + 1}", 1), (f"Member {students}", 1), (f"Member {students - 1}", 1)]
    assert not [step for step in plan if step.startswith("SCAN memberships")], plan


def test_a_members_letter_never_gives_away_the_account_name(app):
    """Is 王梓涵, in the circle as 梓涵, drawn with 梓 (not 王, the first letter of her real name)?"""
    from flask import render_template_string

    from lms.circles.queries import ShownMember, ShownUser

    member = ShownMember(9, "梓涵", None, None, Role.student, ShownUser(5, "王梓涵", None))
    with app.test_request_context():
        drawn = render_template_string("{{ member_name(m) }}", m=member)
    assert 'aria-hidden="true">梓</span>' in drawn and "王" not in drawn
