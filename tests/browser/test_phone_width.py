"""Every page on a phone (390 × 844), in Chinese and in English, with the long content real classes have:
no page is wider than the screen, and no link, button or field sits off screen sideways except inside a
strip meant to scroll (a .table-wrap, the circle's tabs). The circle's tabs can each be reached and tapped."""
from __future__ import annotations

from contextlib import contextmanager

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
LOCALES = ("zh-CN", "en-US")
LONG_URL = ("https://www.example-school-district.edu.cn/resources/dance/2026/spring/choreography-notes/"
            "week-07/warm-up-and-stretching-routine-for-contemporary-dance-students-full-version.pdf")
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
LONG_ZH = "请同学们在截止时间之前提交完整的舞蹈视频并附上书面反思报告不少于八百字否则将按迟交处理谢谢配合" * 2

# Where each person goes: (role, page name, path with {placeholders} filled from the world below).
PAGES = [
    ("teacher", "circles", "/"),
    ("teacher", "new-circle", "/circles/new"),
    ("teacher", "circle-home", "/c/{circle}"),
    ("teacher", "members", "/c/{circle}/members"),
    ("teacher", "join-requests", "/c/{circle}/members?status=pending"),
    ("teacher", "members-removed", "/c/{circle}/members?status=removed"),
    ("teacher", "member-edit", "/c/{circle}/members/{student_membership}/edit"),
    ("teacher", "roster-import", "/c/{circle}/members/import"),
    ("teacher", "enrol", "/c/{circle}/enrol"),
    ("teacher", "settings", "/c/{circle}/settings"),
    ("teacher", "assignments", "/circles/{circle}/assignments"),
    ("teacher", "assignment-new", "/circles/{circle}/assignments/new"),
    ("teacher", "assignment-edit", "/circles/{circle}/assignments/{assignment}/edit"),
    ("teacher", "assignment-show", "/circles/{circle}/assignments/{assignment}"),
    ("teacher", "submission", "/circles/{circle}/assignments/{assignment}/submissions/{submission}"),
    ("teacher", "speedgrader", "/circles/{circle}/assignments/{assignment}/grade/{student}"),
    ("teacher", "gallery", "/circles/{circle}/assignments/{assignment}/gallery"),
    ("teacher", "gradebook", "/circles/{circle}/grades"),
    ("teacher", "grade-categories", "/circles/{circle}/grades/categories"),
    ("teacher", "rubrics", "/circles/{circle}/rubrics"),
    ("teacher", "rubric-new", "/circles/{circle}/rubrics/new"),
    ("teacher", "rubric-edit", "/circles/{circle}/rubrics/{rubric}"),
    ("teacher", "notices", "/circles/{circle}/notices"),
    ("teacher", "notice", "/circles/{circle}/notices/{notice}"),
    ("teacher", "notice-new", "/circles/{circle}/notices/new"),
    ("teacher", "notice-edit", "/circles/{circle}/notices/{notice}/edit"),
    ("teacher", "notice-history", "/circles/{circle}/notices/{notice}/history"),
    ("teacher", "receipts", "/circles/{circle}/notices/{notice}/receipts"),
    ("teacher", "scheduled-notice", "/circles/{circle}/notices/{scheduled_notice}"),
    ("teacher", "feed", "/circles/{circle}/feed"),
    ("teacher", "feed-essentials", "/circles/{circle}/feed?tab=essentials"),
    ("teacher", "feed-entries", "/circles/{circle}/feed?tab=entries"),
    ("teacher", "post", "/circles/{circle}/feed/{post}"),
    ("teacher", "feed-settings", "/circles/{circle}/feed/settings"),
    ("teacher", "feed-queue", "/circles/{circle}/feed/queue"),
    ("teacher", "contest", "/circles/{circle}/feed/contest"),
    ("teacher", "search", "/circles/{circle}/search?q=Pneumono"),
    ("teacher", "circle-calendar", "/c/{circle}/calendar"),
    ("teacher", "calendar", "/calendar"),
    ("teacher", "calendar-subscribe", "/calendar/subscribe"),
    ("teacher", "notifications", "/notifications"),
    ("teacher", "notification-preferences", "/notifications/preferences"),
    ("teacher", "uploads", "/media/"),
    ("teacher", "profile", "/profile"),
    ("teacher", "sessions", "/profile/sessions"),
    ("teacher", "join", "/join"),
    ("teacher", "orgs", "/orgs/"),
    ("teacher", "org", "/orgs/{org}"),
    ("student", "circles", "/"),
    ("student", "circle-home", "/c/{circle}"),
    ("student", "members", "/c/{circle}/members"),
    ("student", "assignments", "/circles/{circle}/assignments"),
    ("student", "assignment-show", "/circles/{circle}/assignments/{assignment}"),
    ("student", "submission", "/circles/{circle}/assignments/{assignment}/submissions/{submission}"),
    ("student", "member-edit", "/c/{circle}/members/{student_membership}/edit"),
    ("student", "new-circle", "/circles/new"),
    ("student", "feedback", "/circles/{circle}/assignments/{assignment}/feedback"),
    ("student", "gallery", "/circles/{circle}/assignments/{assignment}/gallery"),
    ("student", "grades", "/circles/{circle}/grades"),
    ("student", "notices", "/circles/{circle}/notices"),
    ("student", "notice", "/circles/{circle}/notices/{notice}"),
    ("student", "feed", "/circles/{circle}/feed"),
    ("student", "post", "/circles/{circle}/feed/{post}"),
    ("student", "post-edit", "/circles/{circle}/feed/{post}/edit"),
    ("student", "search", "/circles/{circle}/search?q=Pneumono"),
    ("student", "circle-calendar", "/c/{circle}/calendar"),
    ("student", "calendar", "/calendar"),
    ("student", "calendar-subscribe", "/calendar/subscribe"),
    ("student", "notifications", "/notifications"),
    ("student", "notification-preferences", "/notifications/preferences"),
    ("student", "uploads", "/media/"),
    ("student", "profile", "/profile"),
    ("student", "sessions", "/profile/sessions"),
    ("student", "join", "/join"),
    ("student", "join-code", "/join/{other_code}"),
    ("student", "invite", "/i/{other_invite}"),
    ("student", "orgs", "/orgs/"),
    ("org-admin", "circles", "/"),
    ("org-admin", "orgs", "/orgs/"),
    ("org-admin", "org", "/orgs/{org}"),
    ("org-admin", "org-audit", "/orgs/{org}/audit"),
    ("org-admin", "org-circle-home", "/c/{other}"),
    ("org-admin", "org-circle-members", "/c/{other}/members"),
    ("org-admin", "profile", "/profile"),
    ("site-admin", "admin", "/admin/"),
    ("site-admin", "admin-users", "/admin/users"),
    ("site-admin", "admin-orgs", "/admin/orgs"),
    ("site-admin", "admin-audit", "/admin/audit"),
    ("site-admin", "org", "/orgs/{org}"),
    ("site-admin", "org-audit", "/orgs/{org}/audit"),
    ("site-admin", "circles", "/"),
    ("site-admin", "profile", "/profile"),
    ("site-admin", "sessions", "/profile/sessions"),
    ("nobody", "login", "/login"),
    ("nobody", "register", "/register"),
    ("nobody", "forgot-password", "/password/forgot"),
    ("nobody", "invite", "/i/{other_invite}"),
]

# What scrolls sideways on purpose; everything else stays on screen.
SCROLLERS = ".table-wrap, .tabs"


def resize(page, size: dict) -> None:
    """Set `page`'s viewport to `size` ({"width", "height"} in CSS px) and return once the page has refitted to it:
    the tab bars refit on the first animation frame after the resize (static/js/core/app.js), so a page measured
    right away still had the old width's tab row, 619 px wide at 390 (CI, a loaded machine)."""
    page.set_viewport_size(size)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")

# A mobile browser zooms out to show a page wider than its layout viewport (window.innerWidth then grows with
# the page), so the page is measured against the layout viewport: the 390 px the page was laid out for.
OVERFLOW_SCRIPT = """(scrollers) => {
  const width = document.documentElement.clientWidth;
  const offScreen = [];
  const interactive = 'a[href], button, input:not([type=hidden]), select, textarea, summary, label, video, [tabindex]';
  for (const el of document.querySelectorAll(interactive)) {
    if (el.closest(scrollers)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered (a closed <details>, display: none)
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (box.left < -0.5 || box.right > width + 0.5) {
      const text = (el.innerText || el.value || el.name || el.getAttribute('aria-label') || '').trim().slice(0, 40);
      offScreen.push(`<${el.tagName.toLowerCase()} class="${el.className}"> "${text}" at ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  for (const el of document.querySelectorAll(scrollers)) {  // a scroller itself fits the screen
    const box = el.getBoundingClientRect();
    if (box.width && (box.left < -0.5 || box.right > width + 0.5))
      offScreen.push(`scroller .${el.className} at ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  const wide = [];  // the outermost boxes that reach past the screen: what to fix
  const past = (el) => { const box = el.getBoundingClientRect(); return box.width && box.right > width + 0.5; };
  for (const el of document.body.querySelectorAll('*')) {
    if (wide.length < 8 && past(el) && !past(el.parentElement) && !el.parentElement.closest(scrollers))
      wide.push(`<${el.tagName.toLowerCase()} class="${el.className}"> ${Math.round(el.getBoundingClientRect().right)} px`);
  }
  return {page: document.scrollingElement.scrollWidth, screen: width, inner: window.innerWidth, offScreen, wide};
}"""


def _long_content(live_server) -> dict:
    """A class as a real school fills it: long Chinese and English names, long unbroken emails, URLs and
    file names, a rubric of four criteria with long descriptions, an assignment with long instructions,
    attachments, a graded and released hand-in with an extension and a regrade request, an organization
    with its admin, a second class the student may join, uploads and devices signed in; a must-read notice
    with a deadline, a table and long lines (opened by the student), a scheduled one, feed posts with
    comments, a reply, likes and a photo-contest entry, and the notifications all this sends."""
    from lms.accounts import operations as account_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import JoinPolicy, Role
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.grading import operations as grading_ops
    from lms.homework import operations as hw_ops
    from lms.homework.models import Accepts, PeerVisibility
    from lms.orgs import operations as org_ops
    from lms.orgs.models import OrgRole
    from lms.uploads.models import Media, MediaKind, MediaState

    tag = uuid.uuid4().hex[:8]
    domain = "students.experimental-secondary-school-attached-to-beijing-normal-university.example.org"

    def person(who: str, name: str):
        user = account_ops.register_user(f"{who}-averyveryverylongmailboxname-{tag}@{domain}", PASSWORD, name)
        for agent in (IPHONE, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                              "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87 MicroMessenger/8.0.49.2600"):
            account_ops.start_session(user, user_agent=agent, ip="2001:db8:85a3:0:0:8a2e:370:7334")
        return user

    def upload(owner, filename: str, kind=MediaKind.file):
        media = Media(owner_id=owner.id, kind=kind, state=MediaState.ready, filename=filename, bytes=7_340_032,
                      received_at=utcnow(), duration=42.0 if kind == MediaKind.video else None)
        db.session.add(media)
        db.session.flush()
        return media

    with live_server.app.app_context():
        teacher = person("teacher", "欧阳司马慕容诸葛长孙宇文端木上官老师（现代舞与芭蕾基础训练教研组组长）")
        student = person("student", "Maximilian Alexander Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausen")
        org_admin = person("orgadmin", "北京师范大学附属实验中学教务处信息化管理办公室主任王晓明")
        site_admin = person("siteadmin", "Site Administrator of the Whole District Learning Platform Team")
        org = org_ops.create_org(f"北京师范大学附属实验中学国际部艺术与体育教育中心 International Arts Centre {tag}",
                                 description=f"{LONG_ZH} {LONG_URL}")
        org_ops.add_org_member(org, org_admin, OrgRole.admin)
        org_ops.add_org_member(org, teacher, OrgRole.teacher)
        org_ops.add_org_member(org, student, OrgRole.student)
        circle = circle_ops.create_circle(
            teacher, f"高一（3）班 现代舞与芭蕾基础训练 Contemporary Dance and Ballet Foundations {tag}",
            description=f"{LONG_ZH}\n\n{LONG_URL}\n\n{LONG_WORD}", require_real_name=True, require_student_no=True,
            owner_display_name="欧阳司马慕容诸葛长孙宇文端木上官老师")
        membership = circle_ops.add_member(circle, student, Role.student, display_name=student.name[:60],
                                           real_name="Maximilian Featherstonehaugh-Cholmondeley",
                                           student_no="SR2026-000000000000000001", actor=teacher)
        classmates = []
        for n in range(8):
            name = f"欧阳娜娜{n}号同学（国际部交换生 exchange student from Wolfeschlegelsteinhausen）"
            mate = account_ops.register_user(f"mate{n}-averyveryverylongmailboxname-{tag}@{domain}", PASSWORD, name)
            classmates.append(circle_ops.add_member(circle, mate, Role.student, display_name=name[:60],
                                                    real_name=f"欧阳娜娜娜娜{n}", student_no=f"SR2026-0000000000{n}",
                                                    actor=teacher))
        circle_ops.remove_member(classmates[0], teacher)
        circle_ops.create_invite(circle, teacher, role=Role.student, max_uses=40, expires_at=None)
        circle_ops.generate_course_codes(circle, 3, batch="高一三班第二学期补录 2026 spring late", expires_at=None)
        other = org_ops.create_classes(org, [f"高二（7）班 街舞选修 Hip-hop elective with a rather long name {tag}"],
                                       teacher, circle.kind, JoinPolicy.approval, org_admin)[0]
        other.require_real_name = True
        other_invite = circle_ops.create_invite(other, teacher, role=Role.student, max_uses=None, expires_at=None)
        asker = account_ops.register_user(f"asker-averyveryverylongmailboxname-{tag}@{domain}", PASSWORD,
                                          "申请加入的同学上官婉儿" * 3)
        circle.join_policy = JoinPolicy.approval
        circle_ops.request_to_join(circle, asker, display_name="申请加入的同学上官婉儿", real_name="上官婉儿",
                                   student_no="SR2026-REQUEST-0000000000001",
                                   message=f"老师您好，{LONG_ZH} {LONG_URL}")
        circle.join_policy = JoinPolicy.code

        levels = [
            {"title": "优秀 Excellent, beyond the expected level", "points": 10,
             "description": f"{LONG_ZH} {LONG_WORD}"},
            {"title": "良好 Good", "points": 8, "description": "Clear and mostly accurate; " * 8},
            {"title": "合格 Fair", "points": 6, "description": LONG_URL},
            {"title": "需努力 Needs work", "points": 2, "description": "动作不完整，节奏不稳定。" * 6},
        ]
        rubric = grading_ops.create_rubric(circle, teacher, "期末舞蹈展示评分标准 Final performance rubric " + "（详细版）" * 5, [
            {"title": f"{topic}：{LONG_ZH[:30]}", "description": f"{LONG_ZH} {LONG_URL}", "levels": levels}
            for topic in ("技术技巧 Technique", "音乐性 Musicality", "表现力 Expression", "编排 Choreography")])
        category = grading_ops.save_category(circle, teacher, "期末展示与平时作业综合评价 Final showcase " * 2, 60)
        assignment = hw_ops.create_assignment(
            circle, teacher, publish=True, accepts=Accepts.text, allow_attachments=True, rubric_id=rubric.id,
            category_id=category.id, points=100, peer_visibility=PeerVisibility.after_submit,
            title=("第七周作业：现代舞基础组合练习视频与书面反思报告 Week 7: contemporary combination "
                   "with a written reflection")[:200],
            instructions_md=(f"{LONG_ZH}\n\n* 参考资料 reference: {LONG_URL}\n* 联系 {teacher.email}\n\n"
                             f"`{LONG_WORD}`\n\n    {LONG_URL}{LONG_URL}\n\n| 项目 | 要求 | 分值 | 备注 |\n"
                             f"|---|---|---|---|\n| 技术技巧 | {LONG_ZH[:40]} | 40 | {LONG_URL} |\n"),
            due_at=utcnow() + timedelta(days=7))
        hw_ops.create_assignment(circle, teacher, title="草稿：第八周作业 Draft for week eight " + LONG_WORD[:60],
                                 instructions_md=LONG_ZH)
        files = [upload(student, f"期末作业_最终版_真的最终版_请老师查收_高一三班_{n}_final_final_v1234567890abcdef.pdf")
                 for n in range(3)]
        submission = hw_ops.submit_homework(assignment, student, text=f"{LONG_ZH}\n\n{LONG_URL}\n\n{LONG_WORD}",
                                            files=files)
        hw_ops.grant_extension(assignment, [student], teacher, due_at=utcnow() + timedelta(days=14),
                               closes_at=utcnow() + timedelta(days=21), reason=f"病假 sick leave {LONG_ZH[:60]}")
        criteria = {str(c.id): 8 for c in rubric.criteria}
        grade = grading_ops.grade_submission(assignment, student, teacher, criterion_scores=criteria,
                                             feedback=f"{LONG_ZH}\n\n{LONG_URL}\n\n{LONG_WORD}")
        grading_ops.release_grades(assignment, teacher)
        grading_ops.request_regrade(grade, student, f"老师您好，{LONG_ZH} {LONG_URL}")
        upload(teacher, "示范视频_现代舞基础组合_完整版_正面与侧面两个机位_2026年春季学期_第七周.mp4", MediaKind.video)
        upload(teacher, f"{LONG_WORD}.docx")
        upload(student, "我的练习视频_第一次尝试_有点紧张_请老师多多指教_谢谢.mov", MediaKind.video)
        notice, scheduled_notice, post = _notices_and_posts(circle, teacher, student, membership)
        db.session.commit()
        world = {
            "people": {"teacher": teacher.email, "student": student.email, "org-admin": org_admin.email,
                       "site-admin": site_admin.email},
            "circle": circle.id, "student_membership": membership.id, "assignment": assignment.id,
            "submission": submission.id, "student": student.id, "rubric": rubric.id, "org": org.id,
            "other": other.id, "other_code": other.join_code, "other_invite": other_invite.token,
            "notice": notice.id, "scheduled_notice": scheduled_notice.id, "post": post.id,
        }
        site_admin.is_admin = True
        db.session.commit()
        db.session.remove()
    return world


def _notices_and_posts(circle, teacher, student, membership):
    """The circle's notices and feed with long content; returns (must-read notice, scheduled notice, post)."""
    import io

    from PIL import Image

    from lms.core.types import utcnow
    from lms.feed.notices import operations as notice_ops
    from lms.feed.posts import operations as post_ops
    from lms.feed.posts.models import PostKind, WhoMayPost
    from lms.feed.posts.queries import feed_settings

    now = utcnow()
    long_md = (f"{LONG_ZH}\n\n* {LONG_URL}\n* `{LONG_WORD}`\n\n{LONG_WORD}\n\n| 周次 Week | 内容 Content | 链接 Link |\n"
               f"|---|---|---|\n| 第七周 | {LONG_ZH[:40]} | {LONG_URL} |\n")
    notice = notice_ops.create_notice(
        circle, teacher, publish_at=now - timedelta(hours=1), is_pinned=True, is_must_read=True,
        confirm_by=now + timedelta(days=3), remind_hours=24, escalate_hours=12, body_md=long_md,
        title=("必读：期末汇演拍照与录像同意书以及彩排时间安排 Must read: consent form and rehearsal times "
               + LONG_WORD)[:200])
    notice_ops.update_notice(notice, teacher, body_md=long_md + f"\n\n{LONG_ZH}")
    notice_ops.open_notice(notice, student)
    scheduled = notice_ops.create_notice(circle, teacher, publish_at=now + timedelta(days=5),
                                         title=f"下周家长开放课 Open class next week {LONG_WORD}"[:200], body_md=long_md)
    settings = post_ops.update_settings(circle, teacher, feed_settings(circle), who_may_post=WhoMayPost.everyone,
                                        needs_approval=False, has_contest=True)
    post = post_ops.create_post(circle, student, settings, body_md=long_md)
    teacher_post = post_ops.create_post(circle, teacher, settings, body_md=f"{LONG_WORD} {LONG_URL}")
    post_ops.set_essential(post, teacher, True)
    comment = post_ops.add_comment(post, teacher, f"{LONG_ZH} {LONG_URL} {LONG_WORD}",
                                   author_name="欧阳司马慕容诸葛长孙宇文端木上官老师")
    post_ops.add_comment(post, student, f"{LONG_WORD} {LONG_ZH}", reply_to=comment,
                         author_name=membership.display_name)
    post_ops.add_comment(teacher_post, student, LONG_URL, author_name=membership.display_name)
    photo = io.BytesIO()
    Image.new("RGB", (1600, 400), "#5a7d3a").save(photo, "PNG")
    photo.seek(0)
    entry = post_ops.create_post(circle, student, settings, kind=PostKind.entry, body_md=LONG_ZH, images=[photo])
    for liked in (post, teacher_post, entry):
        post_ops.set_like(liked, teacher, True)
    post_ops.set_like(teacher_post, student, True)
    return notice, scheduled, post


@pytest.fixture(scope="module")
def world(live_server):
    return _long_content(live_server)


@contextmanager
def signed_in_phones(chromium, live_server, people: dict[str, str]):
    """`phone(role, locale)`: a 390 px iPhone page in `locale`, signed in as `people[role]` (the e-mail;
    role "nobody": not signed in), opened on first use and kept for the block; all closed at its end."""
    opened = {}

    def _phone(role: str, locale: str):
        if (role, locale) not in opened:
            context = chromium.new_context(base_url=live_server.url, locale=locale, viewport=PHONE,
                                           user_agent=IPHONE, is_mobile=True, has_touch=True,
                                           timezone_id="Asia/Shanghai")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            if role != "nobody":
                page.goto("/login")
                page.fill("input[name=email]", people[role])
                page.fill("input[name=password]", PASSWORD)
                page.locator("main form button[type=submit]").first.click()
                page.wait_for_url(lambda url: "/login" not in url)
            opened[(role, locale)] = page
        return opened[(role, locale)]

    try:
        yield _phone
    finally:
        for page in opened.values():
            page.context.close()


@pytest.fixture(scope="module")
def phones(chromium, live_server, world):
    """One phone per person and language, signed in once for the whole module."""
    with signed_in_phones(chromium, live_server, world["people"]) as phone:
        yield phone


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role, name, path", PAGES, ids=[f"{role}-{name}" for role, name, _ in PAGES])
def test_page_fits_a_phone(world, phones, screenshots, locale, role, name, path):
    """At 390 px, with long names, URLs, file names and wide tables, is the page no wider than the screen,
    with every link, button and field on screen (or inside a strip that scrolls on purpose)?"""
    page = phones(role, locale)
    response = page.goto(path.format(**world))
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    with screenshots.on_failure(page, f"{role}-{name}-{locale}"):
        found = page.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
        assert found["screen"] == PHONE["width"], found
        too_wide = "; reaching past the screen: " + ", ".join(found["wide"])
        assert found["inner"] <= PHONE["width"], f"the phone zoomed out to show {found['inner']} px{too_wide}"
        assert found["page"] <= found["screen"], f"the page is {found['page']} px wide{too_wide}"
        assert not found["offScreen"], "off screen sideways:\n" + "\n".join(found["offScreen"])


TAB_BAR_SCRIPT = """() => {
  const nav = document.querySelector('nav.tabs');
  const edge = nav.getBoundingClientRect().right + 0.5;
  const shown = [...nav.querySelectorAll(':scope > a, :scope > [data-tabs-more]:not([hidden]) > button')];
  return {scroll: nav.scrollWidth, client: nav.clientWidth, page: document.scrollingElement.scrollWidth,
          clipped: shown.filter(e => e.getBoundingClientRect().right > edge).map(e => e.textContent.trim())};
}"""


def _open_tab(page, href: str, width: int) -> None:
    """Reach the tab to `href` as a person would: in the row, or else through the row's "More" menu; either
    way it is whole on screen when tapped."""
    tab = page.locator(f"nav.tabs a[href='{href}']")
    if not tab.is_visible():
        more = page.locator("nav.tabs [data-tabs-more] > button")
        expect(more).to_be_visible()
        more.click()
        expect(more).to_have_attribute("aria-expanded", "true")
    expect(tab).to_be_visible()
    box = tab.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"tab {href} at {box}"
    assert box["height"] >= 44, f"tab {href} is {box['height']:.0f} px high: too small to tap"
    tab.click()


@pytest.mark.parametrize("width, locale", [(PHONE["width"], "zh-CN"), (PHONE["width"], "en-US"),
                                           (PHONE["width"], "zh-TW"), (640, "zh-CN"), (640, "en-US"),
                                           (1280, "en-US"), (1366, "en-US"), (1280, "zh-CN")],
                         ids=["phone-zh-CN", "phone-en-US", "phone-zh-TW", "small-tablet-zh-CN", "small-tablet-en-US",
                              "laptop-1280-en-US", "laptop-1366-en-US", "laptop-1280-zh-CN"])
def test_every_circle_tab_can_be_reached_and_tapped(world, phones, screenshots, locale, width):
    """On a phone, a small tablet and a laptop, does the teacher's tab bar (thirteen tabs: Home, Notices, Feed,
    Assignments, Calendar, Live, Check-ins, Files, Chat, Members, Enrol, Grades, Settings) fit its one row with
    nothing clipped, the tabs that do not fit in its "More" menu, and does tapping each one (from the row or the
    menu) open its page with that tab marked current and in the row (on a phone the chat fills the screen, its tabs a
    scroll up)?"""
    page = phones("teacher", locale)
    page.set_viewport_size({"width": width, "height": PHONE["height"]})
    try:
        page.goto(f"/c/{world['circle']}")
        tabs = page.locator("nav.tabs a")
        count = tabs.count()
        assert count == 13, f"{count} tabs"
        hrefs = [tabs.nth(n).get_attribute("href") for n in range(count)]
        for n, href in enumerate(hrefs):
            with screenshots.on_failure(page, f"tab-{n}-{locale}-{width}"):
                page.wait_for_selector("nav.tabs.is-fitted")
                bar = page.evaluate(TAB_BAR_SCRIPT)
                assert not bar["clipped"], f"clipped at the row's end: {bar}"
                assert bar["scroll"] <= bar["client"] and bar["page"] <= width, f"the tabs do not fit: {bar}"
                _open_tab(page, href, width)
                page.wait_for_url(f"**{href}")
                current = page.locator("nav.tabs > a[aria-current=page]")
                expect(current).to_have_attribute("href", href)
                if href.endswith("/chat") and width <= 720:
                    # on a phone the chat takes the whole screen, as in a messaging app: the circle's header and
                    # tabs are a scroll up (static/js/chat.js), and there they are
                    page.wait_for_function("() => window.scrollY > 0")
                    page.evaluate("() => window.scrollTo(0, 0)")
                expect(current).to_be_in_viewport()
                box = current.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"current tab {href} at {box}"
                page.wait_for_selector("nav.tabs.is-fitted")
                bar = page.evaluate(TAB_BAR_SCRIPT)
                assert not bar["clipped"] and bar["scroll"] <= bar["client"], f"on {href}: {bar}"
    finally:
        page.set_viewport_size(PHONE)


def test_the_more_menu_works_from_the_keyboard(world, phones):
    """Can someone on a keyboard open the tab bar's "More" menu, go through its tabs with Tab, and close it
    with Escape (back on its button)?"""
    page = phones("teacher", "en-US")
    try:
        page.set_viewport_size(PHONE)
        page.goto(f"/c/{world['circle']}")
        page.wait_for_selector("nav.tabs.is-fitted")
        more = page.locator("nav.tabs [data-tabs-more] > button")
        expect(more).to_be_visible()
        more.focus()
        page.keyboard.press("Enter")
        expect(more).to_have_attribute("aria-expanded", "true")
        expect(page.locator("nav.tabs [data-tabs-menu] a").first).to_be_visible()
        # a refit meanwhile (the fonts ready late, a resize) keeps it open: it closed it, and Tab went past it
        page.evaluate("""() => new Promise(done => { window.dispatchEvent(new Event("resize"));
            requestAnimationFrame(() => requestAnimationFrame(done)); })""")
        expect(more).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('[data-tabs-menu]') !== null")
        assert focused, "Tab did not move into the menu"
        page.keyboard.press("Escape")
        expect(more).to_have_attribute("aria-expanded", "false")
        expect(page.locator("nav.tabs [data-tabs-menu]")).to_be_hidden()
        assert page.evaluate("document.activeElement.closest('[data-tabs-more]') !== null")
    finally:
        page.set_viewport_size(PHONE)


#: how many lines each element's text takes (its text's boxes, not those of a link in it, padded on a phone)
LINES = """sel => Array.from(document.querySelectorAll(sel)).map(el => {
  const tops = new Set();
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
  }
  return [el.innerText.trim(), tops.size];
})"""


def test_short_cells_keep_to_one_line_in_chinese(world, phones, screenshots):
    """At 390 px in Chinese, do the student's hand-ins table's version ("第 1 版"), status badge ("已提交") and
    "查看" link each stay on one line? The table squeezed them to a character a line."""
    page = phones("student", "zh-CN")
    with screenshots.on_failure(page, "versions"):
        page.goto(f"/circles/{world['circle']}/assignments/{world['assignment']}")
        cells = page.evaluate(LINES, "table.versions td.nowrap, table.versions .badge")
        assert len(cells) >= 3, cells
        assert all(lines == 1 for _text, lines in cells), cells


def test_a_students_scores_stay_on_screen_beside_long_titles(world, phones, screenshots):
    """At 390 px in Chinese, is every score of the student's own grades on screen beside its (long) assignment
    title, with nothing to scroll to? The title kept to one line and pushed the score past the edge."""
    page = phones("student", "zh-CN")
    with screenshots.on_failure(page, "my-grades"):
        page.goto(f"/circles/{world['circle']}/grades")
        found = page.evaluate("""() => {
          const wrap = document.querySelector('table.my-grades').closest('.table-wrap');
          const cells = [...document.querySelectorAll('table.my-grades tbody td')];
          return {scroll: wrap.scrollWidth, client: wrap.clientWidth, cells: cells.length,
                  right: Math.max(...cells.map(c => c.getBoundingClientRect().right))};
        }""")
        assert found["cells"] >= 1 and found["scroll"] <= found["client"], found
        assert found["right"] <= PHONE["width"], found


def test_the_teacher_sees_real_names_on_a_phone(world, phones, screenshots):
    """At 390 px, does the members page show the teacher each student's real name (it hid the column below
    600 px, so "Kiki" stood without 黄诗琪)?"""
    page = phones("teacher", "zh-CN")
    with screenshots.on_failure(page, "members-real-names"):
        page.goto(f"/c/{world['circle']}/members")
        expect(page.locator("table.roster td", has_text="欧阳娜娜娜娜1").first).to_be_visible()


#: each "·" between links of the members page's row of links: how far its middle is from its neighbour link's text
SEPARATORS = """() => {
  const out = [];
  const row = document.querySelector('main p.row');
  for (const node of row.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE || !node.textContent.includes('·')) continue;
    const link = node.nextElementSibling;
    const dot = document.createRange(); dot.selectNodeContents(node);
    const text = document.createRange(); text.selectNodeContents(link);
    const mid = r => (r.top + r.bottom) / 2;
    out.push(Math.abs(mid(dot.getBoundingClientRect()) - mid(text.getClientRects()[0])));
  }
  return out;
}"""


def test_separators_sit_level_with_their_links(world, phones, screenshots):
    """On a phone, does each "·" of a row of links (the members page's Export · Import · Groups) sit level with the
    links' text? It sat at the foot of their 44 px tap targets, reading as a full stop."""
    page = phones("teacher", "zh-CN")
    with screenshots.on_failure(page, "separators"):
        page.goto(f"/c/{world['circle']}/members")
        offsets = page.evaluate(SEPARATORS)
        assert offsets and all(offset <= 4 for offset in offsets), offsets
