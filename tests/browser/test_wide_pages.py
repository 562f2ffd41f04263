"""Tables of many columns use a wide screen: the gradebook, the school's console and its term report fill a
1680 px window (up to 1800 px) instead of the 1100 px column every other page keeps for reading; on a wide screen
a teacher saw a third of the window empty beside a gradebook scrolling sideways."""
from __future__ import annotations

import pytest

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_org_terms import _school, _sign_in

pytestmark = pytest.mark.browser

WIDE = {"width": 1680, "height": 1000}
#: the content box of the page's <main> and of its first table's scrolling box, in CSS px
BOXES = """() => ({main: document.querySelector('main.page').getBoundingClientRect().width,
                  table: (document.querySelector('main .table-wrap') || {clientWidth: 0}).clientWidth})"""


def _teacher_with_assignments(live_server, case: dict, count: int) -> str:
    """`count` more published assignments in the school's class, so the gradebook has columns to spread; the
    teacher's email."""
    from lms.circles.models import Circle, Membership, Role
    from lms.extensions import db
    from lms.homework import operations as hw_ops
    from lms.homework.models import Accepts

    with live_server.app.app_context():
        klass = db.session.get(Circle, case["class"])
        teacher = db.session.scalar(db.select(Membership).where(Membership.circle_id == klass.id,
                                                                Membership.role == Role.owner)).user
        for n in range(count):
            hw_ops.create_assignment(klass, teacher, publish=True, title=f"Weekly practice {n + 1}",
                                     accepts=Accepts.text, points=10)
        db.session.commit()
        email = teacher.email
        db.session.remove()
    return email


def test_tables_of_many_columns_use_a_wide_screen(live_server, chromium, screenshots):
    """At 1680 px, do the gradebook, the console and the term report use the window's width (more than 1500 px),
    while a circle's home page keeps its 1100 px reading column?"""
    case = _school(live_server)
    teacher_email = _teacher_with_assignments(live_server, case, 24)
    for email, paths in ((case["admin"], [f"/orgs/{case['org']}/console",
                                          f"/orgs/{case['org']}/terms/{case['autumn']}/report"]),
                         (teacher_email, [f"/circles/{case['class']}/grades"])):
        context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=WIDE)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            _sign_in(page, email)
            for path in paths:
                with screenshots.on_failure(page, path.rsplit("/", 1)[-1]):
                    page.goto(path)
                    boxes = page.evaluate(BOXES)
                    assert boxes["main"] > 1500 and boxes["table"] > 1400, (path, boxes)
                    screenshots.take(page, path.rsplit("/", 1)[-1])
            with screenshots.on_failure(page, "home"):
                page.goto(f"/c/{case['class']}")
                assert page.evaluate(BOXES)["main"] <= 1100
        finally:
            context.close()
