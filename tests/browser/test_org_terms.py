"""The school admin closes a term and starts the next from a copy (issue 19), and the classes at a glance
fit a 390 px phone (the wide table scrolls in its own box)."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import LINES

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _school(live_server) -> dict:
    """An org admin; a teacher owning "Dance 9" in Autumn (2 students, an assignment, a hand-in); an empty
    Spring term."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import CircleKind, JoinPolicy, Role
    from lms.extensions import db
    from lms.homework import operations as hw_ops
    from lms.homework.models import Accepts
    from lms.orgs import operations as org_ops
    from lms.orgs.console import terms as term_ops
    from lms.orgs.models import OrgRole

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        admin = account_ops.register_user(f"org-admin-{tag}@example.org", PASSWORD, "Olga Admin")
        teacher = account_ops.register_user(f"org-teacher-{tag}@example.org", PASSWORD, "Tom Teacher")
        org = org_ops.create_org(f"Hill School {tag}")
        org_ops.add_org_member(org, admin, OrgRole.admin)
        org_ops.add_org_member(org, teacher, OrgRole.teacher)
        autumn = term_ops.create_term(org, "Autumn 2026", date(2026, 9, 1), date(2026, 12, 20))
        spring = term_ops.create_term(org, "Spring 2027", date(2027, 1, 12), date(2027, 6, 30))
        [klass] = org_ops.create_classes(org, [f"Dance 9 {tag}"], teacher, CircleKind.teaching, JoinPolicy.code,
                                         actor=admin)
        klass.term_id = autumn.id
        students = []
        for n in range(2):
            student = account_ops.register_user(f"org-s{n}-{tag}@example.org", PASSWORD, f"Student {n}")
            circle_ops.add_member(klass, student, Role.student)
            students.append(student)
        assignment = hw_ops.create_assignment(klass, teacher, publish=True, title="Write a review",
                                              accepts=Accepts.text)
        hw_ops.submit_homework(assignment, students[0], media=None, text="My review")
        db.session.commit()
        found = {"admin": admin.email, "org": org.id, "autumn": autumn.id, "spring": spring.id,
                 "class": klass.id, "name": klass.name, "student": students[0].id}
        db.session.remove()
    return found


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_an_admin_closes_a_term_and_starts_the_next_from_a_copy(live_server, chromium, screenshots):
    """Does the admin archive Autumn's classes, copy Dance 9 into Spring, and find the copy in Spring (no
    students) and the original archived with its hand-in kept?"""
    case = _school(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)  # a loaded CI machine renders the first page slowly
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        with screenshots.on_failure(page, "terms"):
            _sign_in(page, case["admin"])
            page.goto(f"/orgs/{case['org']}/terms")
            page.get_by_role("link", name="Autumn 2026", exact=True).click()  # not its "term report" link
            page.get_by_role("button", name="Archive the classes of this term").click()
            page.wait_for_selector(".flash-success")
            assert "are archived" in page.inner_text(".flash-success") or "is archived" in page.inner_text(".flash-success")
            page.check(f"input[name=class_ids][value='{case['class']}']")
            page.select_option("select[name=term_id]", str(case["spring"]))
            page.get_by_role("button", name="Copy the ticked classes").click()
            page.wait_for_url(f"**/orgs/{case['org']}/terms/{case['spring']}")
            assert "copied into Spring 2027" in page.inner_text(".flash-success")
            copy_link = page.get_by_role("link", name=case["name"])
            copy_link.click()
            page.wait_for_url(lambda url: "/c/" in url and f"/c/{case['class']}" not in url)
            page.goto(f"/orgs/{case['org']}/console?sort=name")
            rows = page.locator(f"tr:has(a:text-is('{case['name']}'))")
            assert rows.count() == 2
            text = page.inner_text("table.console-table")
            assert "Archived" in text and "Spring 2027" in text and "Autumn 2026" in text
    finally:
        context.close()


def test_the_classes_at_a_glance_fit_a_phone(live_server, chromium, screenshots):
    """At 390 px, are the console, terms, term report, settings and people pages no wider than the screen, the console's wide table
    scrolling inside its own box?"""
    case = _school(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)  # a loaded CI machine renders the first page slowly
    page = context.new_page()
    try:
        with screenshots.on_failure(page, "console-phone"):
            _sign_in(page, case["admin"])
            for path in (f"/orgs/{case['org']}/console", f"/orgs/{case['org']}/terms",
                         f"/orgs/{case['org']}/terms/{case['autumn']}", f"/orgs/{case['org']}/people",
                         f"/orgs/{case['org']}/people/{case['student']}",
                         # the report's grade bars carry a visually-hidden label that once widened the page
                         f"/orgs/{case['org']}/terms/{case['autumn']}/report", f"/orgs/{case['org']}/settings"):
                page.goto(path)
                width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                assert width[0] <= width[1], f"{path}: the page is {width[0]} px wide on a {width[1]} px screen"
            page.goto(f"/orgs/{case['org']}/console")
            box = page.evaluate("() => { const w = document.querySelector('.table-wrap');"
                                " return [w.scrollWidth, w.clientWidth, getComputedStyle(w).overflowX]; }")
            assert box[0] > box[1] and box[2] == "auto"
            # the people list is a card a person: email and classes under their labels, nothing to scroll to
            page.goto(f"/orgs/{case['org']}/people")
            box = page.evaluate("() => { const w = document.querySelector('#people .table-wrap');"
                                " return [w.scrollWidth, w.clientWidth]; }")
            assert box[0] <= box[1], box
            expect(page.locator("#people td[data-label]").first).to_be_visible()
    finally:
        context.close()


def test_terms_and_flags_read_on_one_line_on_a_phone(live_server, chromium, screenshots):
    """At 390 px in Chinese, do the terms list's names and dates each keep to one line (the table scrolls in its box),
    and a quiet class's flag in the classes at a glance, in Chinese and in English on a laptop? Chinese breaks
    between any two characters: the list showed '20 / 27 / 秋季 / 学期' and '2027 / 年1月 / 15日'; 'Quiet for two
    weeks' wrapped inside its pill (fresh-eyes trial)."""
    from datetime import timedelta

    from lms.accounts.models import User
    from lms.circles.models import CircleKind, JoinPolicy
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.orgs import operations as org_ops
    from lms.orgs.console import terms as term_ops
    from lms.orgs.models import Organization

    case = _school(live_server)
    with live_server.app.app_context():
        term_ops.create_term(db.session.get(Organization, case["org"]), "2027 秋季学期", date(2027, 9, 1),
                             date(2028, 1, 15))
        org = db.session.get(Organization, case["org"])
        admin = db.session.scalar(db.select(User).where(User.email == case["admin"]))
        [quiet] = org_ops.create_classes(org, ["Quiet corner"], admin, CircleKind.teaching, JoinPolicy.code,
                                         actor=admin)
        quiet.created_at = utcnow() - timedelta(days=60)  # and nothing since
        db.session.commit()
        db.session.remove()
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)
    page = context.new_page()
    try:
        with screenshots.on_failure(page, "terms-phone-lines"):
            _sign_in(page, case["admin"])
            page.goto(f"/orgs/{case['org']}/terms")
            cells = page.evaluate(LINES, "#terms tbody td:nth-child(-n+3)")
            assert len(cells) == 9 and all(lines == 1 for _text, lines in cells), cells
            page.goto(f"/orgs/{case['org']}/console")
            flags = page.evaluate(LINES, ".console-table .badge-danger")
            assert flags and all(lines == 1 for _text, lines in flags), flags
    finally:
        context.close()
    # in English on a laptop, where "Quiet for two weeks" wrapped in a narrow class column
    context = chromium.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)
    page = context.new_page()
    try:
        with screenshots.on_failure(page, "console-laptop-flag"):
            _sign_in(page, case["admin"])
            page.goto(f"/orgs/{case['org']}/console")
            flags = page.evaluate(LINES, ".console-table .badge-danger")
            assert flags and all(lines == 1 for _text, lines in flags), flags
    finally:
        context.close()


def test_a_persons_classes_read_on_a_phone(live_server, chromium, screenshots):
    """At 390 px in Chinese, is the class column of a person's page and of their activity at least 9 rem wide, its
    cells unbroken but for the class name, the tables scrolling in their box? It was squeezed to two characters a
    line ('Jaz / z Da / nc / e'), and the student number and state were broken (fresh-eyes trial)."""
    case = _school(live_server)
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(3 * TIMEOUT_MS)
    page = context.new_page()
    try:
        with screenshots.on_failure(page, "person-phone"):
            _sign_in(page, case["admin"])
            for path, table in ((f"/orgs/{case['org']}/people/{case['student']}", "#person-classes table"),
                                (f"/orgs/{case['org']}/people/{case['student']}/activity", "main table")):
                page.goto(path)
                first = page.evaluate(f"() => document.querySelector('{table} tbody td').getBoundingClientRect().width")
                assert first >= 144, f"{path}: the class column is {first:.0f} px wide"
                cells = page.evaluate(LINES, f"{table} tbody td:not(:first-child)")
                assert cells and all(lines == 1 for _text, lines in cells), (path, cells)
                width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                assert width[0] <= width[1], f"{path}: the page is {width[0]} px wide on a {width[1]} px screen"
    finally:
        context.close()
