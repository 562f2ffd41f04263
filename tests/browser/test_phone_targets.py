"""Tap targets on a 390 px phone in Traditional Chinese: on the check-in and Files pages every link, button and
field a finger may tap is at least 44 px high and 24 px wide (WCAG 2.2's 24 px, with the height of a
fingertip), and no two targets touch (the board's "remind" button and its filter chips were joined), except
links inside running text."""
from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, PHONE

pytestmark = pytest.mark.browser

ZONE = "Asia/Taipei"

# Every target a finger taps: too small, or touching another one (closer than GAP px).
TARGETS_SCRIPT = """([minHeight, minWidth, gap]) => {
  const sel = 'main a[href], main button, main select, main input:not([type=hidden]), main summary, main textarea';
  const shown = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('.prose, p.hint, .checkin-text, .tabs-more-menu[hidden], [hidden]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.type === 'file' || el.closest('.visually-hidden')) continue;
    shown.push([el, box]);
  }
  const name = (el) => `<${el.tagName.toLowerCase()}> "${(el.innerText || el.value || el.name || el.getAttribute('aria-label') || '').trim().slice(0, 24)}"`;
  const small = [], touching = [];
  for (const [el, box] of shown) {
    const tiny = ['checkbox', 'radio'].includes(el.type);
    if (box.height < (tiny ? 24 : minHeight) - 0.5 || box.width < minWidth - 0.5)
      small.push(`${name(el)} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) {
    const [a, p] = shown[i], [b, q] = shown[j];
    if (a.contains(b) || b.contains(a) || a.closest('label') === b.closest('label') && a.closest('label')) continue;
    const apartX = Math.max(q.left - p.right, p.left - q.right), apartY = Math.max(q.top - p.bottom, p.top - q.bottom);
    if (Math.max(apartX, apartY) < gap) touching.push(`${name(a)} and ${name(b)}`);
  }
  return {small, touching: touching.slice(0, 12)};
}"""


@pytest.fixture(scope="module")
def world(live_server) -> dict:
    """A teaching circle in Taipei time with a daily text check-in (a student checked in, a classmate
    commented), a folder with a file, and members allowed to upload there."""
    from lms.accounts import operations as account_ops
    from lms.checkins import operations as checkin_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.files import operations as file_ops
    from lms.files.models import FileSettings
    from lms.storage import get_storage, new_key
    from lms.uploads.models import Media, MediaKind, MediaState

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"pt-{tag}@example.org", PASSWORD, "吳老師", timezone=ZONE)
        student = account_ops.register_user(f"ps-{tag}@example.org", PASSWORD, "林美", timezone=ZONE)
        other = account_ops.register_user(f"po-{tag}@example.org", PASSWORD, "趙磊", timezone=ZONE)
        circle = circle_ops.create_circle(teacher, f"舞蹈班 {tag}", owner_display_name="吳老師")
        circle.timezone = ZONE
        circle_ops.add_member(circle, student, Role.student, display_name="美美")
        circle_ops.add_member(circle, other, Role.student, display_name="磊磊")
        task = checkin_ops.create_task(circle, teacher, title="每日練習",
                                       starts_on=(utcnow().astimezone(circle.zone) - timedelta(days=3)).date(),
                                       makeup_allowance=2, makeup_days_back=3)
        entry = checkin_ops.submit_checkin(task, student, text="今天練了一小時，很開心")
        checkin_ops.add_comment(entry, other, "加油！")
        folder = file_ops.create_folder(file_ops.root_folder(circle), teacher, "講義")
        key = new_key("media") + "/original"
        get_storage().put(key, io.BytesIO(b"%PDF-1.4 handout"))
        media = Media(owner_id=teacher.id, kind=MediaKind.file, state=MediaState.ready, filename="第一週講義.pdf",
                      bytes=16, original_key=key, received_at=utcnow(), circle_id=circle.id)
        db.session.add(media)
        db.session.flush()
        file = file_ops.add_file(folder, teacher, media)
        db.session.add(FileSettings(circle_id=circle.id, members_may_upload=True, member_folder_id=folder.id))
        db.session.commit()
        base = f"/c/{circle.id}"
        world = {"teacher": teacher.email, "student": student.email, "pages": {
            "teacher": [f"{base}/checkins", f"{base}/checkins/{task.id}", f"{base}/checkins/{task.id}/board",
                        f"{base}/checkins/{task.id}/rates", f"{base}/checkins/{task.id}/entries/{entry.id}",
                        f"{base}/files", f"{base}/files/f/{folder.id}", f"{base}/files/{file.id}"],
            "student": [f"{base}/checkins", f"{base}/checkins/{task.id}", f"{base}/checkins/{task.id}/calendar",
                        f"{base}/checkins/{task.id}/entries/{entry.id}", f"{base}/files/f/{folder.id}",
                        f"{base}/files/{file.id}"]}}
        db.session.remove()
    return world


def _phone(chromium, live_server, email: str):
    context = chromium.new_context(base_url=live_server.url, locale="zh-TW", viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id=ZONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_every_target_on_the_checkin_and_files_pages_is_big_enough_and_apart(live_server, chromium, world,
                                                                              screenshots, role):
    """On each check-in and Files page (390 px, zh-TW), is every target at least 44 px high and 24 px wide,
    and apart from the next one?"""
    page = _phone(chromium, live_server, world[role])
    try:
        problems = {}
        for path in world["pages"][role]:
            with screenshots.on_failure(page, f"targets-{role}-{path.replace('/', '_')}"):
                response = page.goto(path)
                assert response is not None and response.ok, path
                page.wait_for_selector("nav.tabs.is-fitted")
                found = page.evaluate(TARGETS_SCRIPT, [44, 24, 4])
                if found["small"] or found["touching"]:
                    problems[path] = found
        assert not problems, "\n".join(f"{p}: {f}" for p, f in problems.items())
    finally:
        page.context.close()
