"""The demo school: `flask demo load` fills a site with a school, its classes and its people."""
from __future__ import annotations

import io
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import click
from flask.cli import with_appcontext

from lms.accounts import operations as account_ops
from lms.accounts.models import User
from lms.circles import operations as circle_ops
from lms.circles.codes import format_code
from lms.circles.models import Circle, CircleKind, CourseCode, Invite, JoinPolicy, Membership, MembershipStatus, Role
from lms.core.types import utcnow
from lms.core.urls import external_url
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import Organization, OrgRole

ORG_NAME = "Sunrise Dance & Arts School"
EMAIL_DOMAIN = "sunrise.example.org"
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read aloud

#: (account name, email local part); the first becomes the school's administrator
ADMIN = ("Grace Lin 林雅琴", "grace.lin")
TEACHERS = [("Mei Chen 陈美", "mei.chen"), ("David Okafor", "david.okafor")]
#: (real name, the name classmates see, email local part)
STUDENTS = [
    ("张云妮", "云妮", "zhang.yunni"), ("李浩然", "Haoran", "li.haoran"), ("王梓涵", "梓涵", "wang.zihan"),
    ("刘思雨", "Siyu", "liu.siyu"), ("陈一鸣", "一鸣", "chen.yiming"), ("杨欣怡", "Cindy", "yang.xinyi"),
    ("赵子轩", "子轩", "zhao.zixuan"), ("黄诗琪", "Kiki", "huang.shiqi"), ("周俊杰", "俊杰", "zhou.junjie"),
    ("吴佳怡", "Jia", "wu.jiayi"), ("Emma Johnson", "Emma J.", "emma.johnson"), ("Liam Smith", "Liam", "liam.smith"),
    ("Olivia Brown", "Liv", "olivia.brown"), ("Noah Williams", "Noah W.", "noah.williams"),
    ("Sofía García", "Sofi", "sofia.garcia"), ("Lucas Martin", "Lucas", "lucas.martin"),
    ("Aiko Tanaka", "Aiko", "aiko.tanaka"), ("Minjun Kim", "Minjun", "minjun.kim"),
    ("Priya Sharma", "Priya", "priya.sharma"), ("Mateo Rossi", "Mateo", "mateo.rossi"),
    ("孙雨桐", "雨桐", "sun.yutong"), ("马天宇", "Tony", "ma.tianyu"), ("朱可馨", "可馨", "zhu.kexin"),
    ("胡博文", "博文", "hu.bowen"), ("郭晓彤", "Tina", "guo.xiaotong"), ("Chloé Dubois", "Chloé", "chloe.dubois"),
    ("Ethan Nguyen", "Ethan", "ethan.nguyen"), ("Hannah Müller", "Hannah", "hannah.mueller"),
    ("Yusuf Demir", "Yusuf", "yusuf.demir"), ("Amara Okoye", "Amara", "amara.okoye"),
]
#: which students (by position in STUDENTS) are where
JAZZ_STUDENTS = range(0, 16)
JAZZ_REQUESTS = range(16, 19)  #: asked to join the jazz class, waiting for the teacher
PIANO_STUDENTS = range(11, 27)
CORNER_MEMBERS = [*range(0, 6), *range(24, 30)]


class DemoError(click.ClickException):
    """The demo school cannot be loaded (it exists already, or a demo email is taken)."""


@dataclass
class DemoAccount:
    role: str
    name: str
    email: str


@dataclass
class DemoSchool:
    org: Organization
    accounts: list[DemoAccount]
    circles: list[Circle]
    invite: Invite
    course_codes: list[CourseCode]


def email(local: str) -> str:
    return f"{local}@{EMAIL_DOMAIN}"


def random_password() -> str:
    """A password that is easy to type and read aloud: demo-xxxx-xxxx (40 random bits)."""
    def part() -> str:
        return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4))

    return f"demo-{part()}-{part()}"


def find_demo_org() -> Organization | None:
    return db.session.scalar(db.select(Organization).where(Organization.name == ORG_NAME).limit(1))


def load_demo(password: str) -> DemoSchool:
    """Build the demo school through the real operations, every account with `password`.

    On a site with no account yet, a site administrator is created too (the first-run page
    stops showing once any account exists). Flushes, never commits. Raises DemoError if the
    school exists already or one of its email addresses is taken.
    """
    if find_demo_org() is not None:
        raise DemoError(f"The demo school “{ORG_NAME}” is already loaded.")
    accounts: list[DemoAccount] = []

    def register(role: str, name: str, local: str, **kwargs) -> User:
        try:
            user = account_ops.register_user(email(local), password, name, **kwargs)
        except account_ops.AccountError as error:
            raise DemoError(f"{email(local)}: {error}") from None
        accounts.append(DemoAccount(role, name, user.email))
        return user

    if db.session.scalar(db.select(User.id).limit(1)) is None:
        register("site admin", "Site Administrator", "site.admin", is_admin=True)
    org = org_ops.create_org(ORG_NAME, "Dance, music and art classes for children and teenagers. "
                                       "舞蹈、音乐与美术课程。")
    admin = register("school admin", *ADMIN, timezone="Asia/Shanghai")
    org_ops.add_org_member(org, admin, OrgRole.admin)
    teachers = [register("teacher", name, local, timezone="Asia/Shanghai") for name, local in TEACHERS]
    for teacher in teachers:
        org_ops.add_org_member(org, teacher, OrgRole.teacher)
    students = [register("student", real_name, local) for real_name, _shown, local in STUDENTS]
    for student in students:
        org_ops.add_org_member(org, student, OrgRole.student)

    jazz = circle_ops.create_circle(
        teachers[0], "Jazz Dance — Beginners 爵士舞入门", org=org, kind=CircleKind.teaching,
        join_policy=JoinPolicy.approval, require_real_name=True, require_student_no=True,
        description="Saturday mornings, studio 2. Wear trainers and bring water.\n\n周六上午，二号练功房。",
    )
    org_ops.assign_teacher(jazz, teachers[1], admin)
    for i in JAZZ_STUDENTS:
        _enrol(jazz, students[i], i)
    for i in JAZZ_REQUESTS:
        real_name, shown, _local = STUDENTS[i]
        circle_ops.request_to_join(jazz, students[i], display_name=shown, real_name=real_name,
                                   student_no=_student_no(i), message="I danced hip-hop for a year. 我想加入！")

    piano = circle_ops.create_circle(
        teachers[1], "Piano Foundations 钢琴基础", org=org, kind=CircleKind.teaching, join_policy=JoinPolicy.code,
        description="Reading music, scales and your first pieces. Practise 15 minutes a day.",
    )
    for i in PIANO_STUDENTS:
        _enrol(piano, students[i], i)
    invite = circle_ops.create_invite(piano, teachers[1], role=Role.student, max_uses=20,
                                      expires_at=utcnow() + timedelta(days=30))
    codes = circle_ops.generate_course_codes(piano, 10, batch="Spring term", expires_at=None)

    corner = circle_ops.create_circle(
        admin, "Parents' Corner 家长角", org=org, kind=CircleKind.community, join_policy=JoinPolicy.open,
        description="News from the school, lost and found, car-sharing to performances.",
    )
    for teacher in teachers:
        circle_ops.add_member(corner, teacher, Role.member)
    for i in CORNER_MEMBERS:
        circle_ops.add_member(corner, students[i], Role.member, via="open", display_name=STUDENTS[i][1])
    jazz_students = [students[i] for i in JAZZ_STUDENTS]
    _homework(jazz, teachers[0], jazz_students)
    _notices(jazz, teachers[0], jazz_students)
    _feed(jazz, teachers[0], jazz_students)
    _photo_contest(corner, admin, [students[i] for i in CORNER_MEMBERS])
    _checkins(piano, teachers[1], [students[i] for i in PIANO_STUDENTS])
    _chat(jazz, teachers[0], jazz_students)
    return DemoSchool(org=org, accounts=accounts, circles=[jazz, piano, corner], invite=invite,
                      course_codes=codes)


def _homework(circle: Circle, teacher: User, students: list[User]) -> None:
    """A rubric, two weighted categories, a video assignment still open and a reflection already
    handed in, graded and released for some, so the gradebook and feedback pages have content."""
    from lms.grading import operations as grading_ops
    from lms.homework import operations as homework_ops
    from lms.homework.models import Accepts, LatePolicy, PeerVisibility

    now = utcnow()
    level = lambda title, points: {"title": title, "points": points, "description": ""}  # noqa: E731
    rubric = grading_ops.create_rubric(circle, teacher, "Routine 舞蹈作业", [
        {"title": "Timing 节奏", "description": "On the beat, counts clean.",
         "levels": [level("Excellent", 5), level("Good", 3), level("Needs work", 1)]},
        {"title": "Technique 技术", "description": "Posture, lines, finishing each move.",
         "levels": [level("Excellent", 5), level("Good", 3), level("Needs work", 1)]},
    ])
    practice = grading_ops.save_category(circle, teacher, "Practice videos 练习视频", 60)
    reflection_cat = grading_ops.save_category(circle, teacher, "Reflections 反思", 40)
    routine = homework_ops.create_assignment(
        circle, teacher, publish=True, title="Film your routine — week 3 第三周舞蹈视频",
        instructions_md="Film the whole routine once, front-on, full body in frame.\n\n"
                        "正面拍摄完整的一遍，全身入镜。",
        accepts=Accepts.video, max_video_seconds=180, due_at=now + timedelta(days=5),
        late_policy=LatePolicy.penalty, late_penalty_per_day=10, late_penalty_cap=50, points=10,
        rubric_id=rubric.id, category_id=practice.id, peer_visibility=PeerVisibility.after_submit)
    reflection = homework_ops.create_assignment(
        circle, teacher, publish=True, title="Reflection: what did you learn? 反思",
        instructions_md="Three sentences on what felt better this week, and one thing to practise.",
        accepts=Accepts.text, due_at=now - timedelta(days=2), late_policy=LatePolicy.accept, points=5,
        category_id=reflection_cat.id)
    homework_ops.grant_extension(routine, students[2:3], teacher, due_at=now + timedelta(days=8),
                                 reason="Away at a competition 比赛外出")
    notes = ["My turns are steadier. 我的转圈更稳了。", "I finally remember the second eight counts.",
             "Arms still late on the chorus; I will practise with the mirror."]
    for student, text, score in zip(students, notes, (5, 4, 3)):
        homework_ops.submit_homework(reflection, student, text=text, now=now - timedelta(days=3))
        grading_ops.grade_submission(reflection, student, teacher, score=score,
                                     feedback="Thank you — keep going! 继续加油！")
    grading_ops.release_grades(reflection, teacher, students[:2])


SYLLABUS = """Every Saturday 9:30–11:00, studio 2. 每周六 9:30–11:00，二号练功房。

| Week 周 | We learn 学习内容 | At home 在家练习 |
|---|---|---|
| 1–2 | Warm-up, isolations, the basic walk 热身、律动、基本步 | 10 minutes of isolations |
| 3–4 | Turns and the first eight counts 转圈与第一个八拍 | Film the routine (assignment) |
| 5–6 | The full routine to music 配乐完整组合 | Practise with the mirror |
| 7 | Dress rehearsal 彩排 | Bring your costume |
| 8 | **Winter show 冬季汇演** | — |

Questions? Ask in the feed or after class. 有问题请在动态里留言或课后问老师。"""

CONSENT = """Our winter show is filmed and photographed for the school's website and for families.

- Read the [consent form](https://example.org/sunrise/consent) with your parents.
- Press **I have read this** below by the date shown.
- If you do not want to appear in photos, tell Ms Chen after class: you still dance, we just leave you out of the pictures.

冬季汇演会拍照和录像。请和家长一起阅读同意书，并在截止日期前点击下方的“我已阅读”。"""


def _notices(circle: Circle, teacher: User, students: list[User]) -> None:
    """A pinned must-read notice with a deadline (most have confirmed, a few only opened it, some not
    yet), the term's syllabus with a table, and an open class scheduled for next week (only the staff
    see it until then): through the notice operations, so members are told and receipts are kept."""
    from lms.feed.notices import operations as notice_ops

    now = utcnow()
    syllabus = notice_ops.create_notice(
        circle, teacher, now=now - timedelta(days=9), publish_at=now - timedelta(days=9),
        title="Term plan and studio rules 本学期课程安排", body_md=SYLLABUS)
    consent = notice_ops.create_notice(
        circle, teacher, now=now - timedelta(days=2), publish_at=now - timedelta(days=2), is_pinned=True,
        is_must_read=True, confirm_by=now + timedelta(days=4), remind_hours=24, escalate_hours=12,
        title="Winter show: photos and consent 冬季汇演拍照同意", body_md=CONSENT)
    notice_ops.create_notice(
        circle, teacher, now=now, publish_at=now + timedelta(days=7),
        title="Open class for parents next Saturday 家长开放课",
        body_md="Parents are welcome to watch the last half hour of class. 欢迎家长观看最后半小时。")
    for n, student in enumerate(students[1:], start=1):
        notice_ops.open_notice(syllabus, student, now=now - timedelta(days=9, hours=-n))
        if n <= 10:  # ten have confirmed the must-read notice; three only opened it; the rest not yet
            notice_ops.confirm_notice(consent, student, now=now - timedelta(days=2, hours=-3 * n))
        elif n <= 13:
            notice_ops.open_notice(consent, student, now=now - timedelta(hours=20 - n))
    notice_ops.open_notice(syllabus, students[0], now=now - timedelta(days=8))  # the must-read waits for her


def _feed(circle: Circle, teacher: User, students: list[User]) -> None:
    """Posts with comments, a reply, likes and one essential post, backdated over the past week so
    the feed reads as a lived-in one (the operations tell the authors, as a real comment would)."""
    from lms.feed.posts import operations as post_ops
    from lms.feed.posts.queries import feed_settings

    now = utcnow()
    settings = feed_settings(circle)
    names = {student.id: STUDENTS[i][1] for i, student in enumerate(students)}
    teacher_name = circle.membership_of(teacher).display_name

    def post(author: User, body: str, days_ago: float):
        made = post_ops.create_post(circle, author, settings, body_md=body)
        made.created_at = made.published_at = now - timedelta(days=days_ago)
        return made

    def comment(on, author: User, body: str, reply_to=None):
        return post_ops.add_comment(on, author, body, reply_to=reply_to,
                                    author_name=names.get(author.id, teacher_name))

    costumes = post(teacher, "Costumes for the winter show: black leggings or joggers, a plain white T-shirt "
                             "and clean trainers. 汇演服装：黑色紧身裤或运动裤、白色T恤、干净的运动鞋。", 6)
    question = comment(costumes, students[3], "Can the T-shirt have a small logo? T恤可以有小图案吗？")
    comment(costumes, teacher, "A small one is fine. 小图案没问题。", reply_to=question)
    counts = post(students[0], "I wrote down the counts for the second eight, in case it helps:\n\n"
                               "1–2 step touch · 3–4 turn · 5–6 arms up · 7–8 freeze\n\n"
                               "第二个八拍的口令，希望有帮助！", 3)
    comment(counts, teacher, "Perfect — this is exactly how we count it in class. 写得很清楚！")
    thanks = comment(counts, students[1], "Thank you! I always forget 5–6. 谢谢，我总记不住5–6拍。")
    comment(counts, students[0], "Me too, that's why I wrote it down 😄", reply_to=thanks)
    post_ops.set_essential(counts, teacher, True)
    park = post(students[5], "Practised the turns in the park today, the ground is harder than the studio floor! "
                             "今天在公园练转圈，地面比练功房硬多了。", 1)
    comment(park, students[7], "Try it in trainers, it's easier. 穿运动鞋会好一点。")
    for liked, likers in ((costumes, students[:9]), (counts, students[1:12]), (park, students[:4])):
        for user in likers:
            if user.id != liked.author_id:
                post_ops.set_like(liked, user, True)
    post_ops.set_like(counts, teacher, True)


def _demo_photo(colours: tuple[str, str], shape: str) -> io.BytesIO:
    """A small drawn picture (a sky, a hill, a sun or a moon) for a contest entry: the demo ships no photos."""
    from PIL import Image, ImageDraw

    sky, ground = colours
    image = Image.new("RGB", (640, 480), sky)
    draw = ImageDraw.Draw(image)
    draw.ellipse((-160, 300, 800, 760), fill=ground)
    if shape == "sun":
        draw.ellipse((460, 60, 560, 160), fill="#ffd54a")
    else:
        draw.ellipse((440, 60, 520, 140), fill="#f4f1de")
        draw.ellipse((465, 50, 545, 130), fill=sky)
    stream = io.BytesIO()
    image.save(stream, "JPEG", quality=85)
    stream.seek(0)
    return stream


def _photo_contest(circle: Circle, owner: User, members: list[User]) -> None:
    """The community circle's photo contest: open in its feed settings, announced, two entries with likes."""
    from lms.feed.posts import operations as post_ops
    from lms.feed.posts.models import PostKind, WhoMayPost
    from lms.feed.posts.queries import feed_settings

    settings = post_ops.update_settings(circle, owner, feed_settings(circle), who_may_post=WhoMayPost.everyone,
                                        needs_approval=False, has_contest=True)
    post_ops.create_post(circle, owner, settings, body_md=(
        "📷 **Autumn photo contest 秋日摄影比赛**: post your best autumn photo as a contest entry until the end "
        "of the month. The three entries with the most likes go on the poster for the winter show."))
    entries = [
        post_ops.create_post(circle, members[0], settings, kind=PostKind.entry,
                             body_md="Sunset after Saturday class 周六下课后的日落",
                             images=[_demo_photo(("#f28c52", "#5a7d3a"), "sun")]),
        post_ops.create_post(circle, members[-1], settings, kind=PostKind.entry,
                             body_md="The moon over the school on the way home",
                             images=[_demo_photo(("#1d2b53", "#2e4a3a"), "moon")]),
    ]
    for entry, likers in zip(entries, (members[1:8], members[2:5])):
        for user in likers:
            post_ops.set_like(entry, user, True)


def _checkins(circle: Circle, teacher: User, students: list[User]) -> None:
    """A daily reading check-in begun three weeks ago, with the students' history made through the operations at
    the moments they checked in: most kept it up (one on a long streak, one who made up a missed day), a few
    dropped off, so the board, streaks and leaderboard have something to show."""
    from lms.checkins import operations as checkin_ops
    from lms.checkins.models import RequirementKind

    now = utcnow()
    days = 21
    task = checkin_ops.create_task(
        circle, teacher, title="Sight-reading 15 minutes a day 每天视奏15分钟",
        instructions_md="Read a new piece at the piano for **15 minutes**, then write how many minutes you read.\n\n"
                        "每天视奏新曲目15分钟，记录分钟数。",
        starts_on=(now - timedelta(days=days)).astimezone(circle.zone).date(), requirement=RequirementKind.number,
        unit_label="minutes read", min_value=15, makeup_allowance=2, makeup_days_back=3, window_start_minute=6 * 60,
        window_end_minute=23 * 60)
    for k, student in enumerate(students):
        for back in range(days, 0, -1):
            missed = (k % 3 == 1 and back % 5 == 0) or (k % 4 == 3 and back < 8) or (k == 0 and back == 2)
            if missed:
                continue
            moment = now - timedelta(days=back)
            local = moment.astimezone(circle.zone)
            moment = moment + timedelta(hours=(20 - local.hour))  # in the evening, inside the window
            checkin_ops.submit_checkin(task, student, number=15 + (k + back) % 20, now=moment)
    # the first student made up the day they missed
    checkin_ops.submit_checkin(task, students[0], day=(now - timedelta(days=2)).astimezone(circle.zone).date(),
                               number=20, text="Forgot on Tuesday, caught up today.", now=now)


def _chat(circle: Circle, teacher: User, students: list[User]) -> None:
    """The class's chat (on by default in a teaching circle): a pinned welcome, a question with a reply and an
    @mention, a Q&A channel, and a student's direct message to the teacher, through the operations."""
    from lms.chat import operations as chat_ops
    from lms.chat import queries as chat_q

    now = utcnow()

    def say(channel, who: User, text: str, minutes_ago: int, **kwargs):
        reader = chat_q.reader_of(circle, who)
        return chat_ops.send_message(channel, reader, body=text, now=now - timedelta(minutes=minutes_ago), **kwargs)

    main = chat_ops.ensure_main_channel(circle)
    welcome = say(main, teacher, "Welcome to the class chat! **Saturday 10:00**, studio 2. 欢迎！周六上午十点见。", 180)
    chat_ops.pin_message(main, chat_q.reader_of(circle, teacher), welcome)
    question = say(main, students[0], "Do we need `jazz shoes` for the first lesson? 第一节课需要爵士鞋吗？", 150)
    shown = circle.membership_of(students[0]).display_name
    say(main, teacher, f"@{shown} trainers are fine for now — see https://example.org/kit for the list.", 140,
        reply_to_id=question.id, mention_ids=[students[0].id])
    say(main, students[1], "See you on Saturday! 周六见！", 60)
    qa = chat_ops.create_channel(circle, teacher, name="Q&A 答疑")
    say(qa, students[2], "Can I film the homework in portrait? 可以竖屏拍作业吗？", 30)
    direct = chat_ops.open_direct(circle, students[1], circle.membership_of(teacher))
    say(direct, students[1], "I might be 10 minutes late on Saturday, sorry. 周六我可能晚到十分钟。", 20)


def _student_no(i: int) -> str:
    return f"SR2026-{i + 1:03d}"


def _enrol(circle: Circle, user: User, i: int) -> None:
    real_name, shown, _local = STUDENTS[i]
    circle_ops.add_member(circle, user, Role.student, via="roster", display_name=shown, real_name=real_name,
                          student_no=_student_no(i))


def demo_users() -> list[User]:
    """Every account of the demo school, by id."""
    return list(db.session.scalars(
        db.select(User).where(User.email.like(f"%@{EMAIL_DOMAIN}")).order_by(User.id)
    ))


def set_demo_passwords(password: str) -> int:
    """Give every demo account `password` (signing out their sessions); returns how many."""
    users = demo_users()
    for user in users:
        account_ops.set_password(user, password)
    return len(users)


# -- `flask demo` ----------------------------------------------------------------------------

@click.group("demo")
def cli():
    """The demo school, to try every role on a fresh site."""


@cli.command("load")
@click.option("--password", help="Password for every demo account (default: a new random one).")
@click.option("--reset-passwords", is_flag=True,
              help="If the demo school exists, give its accounts a new password instead of doing nothing.")
@with_appcontext
def load(password: str | None, reset_passwords: bool):
    """Load the demo school "Sunrise Dance & Arts School": a school admin, two teachers,
    thirty students, three circles, pending join requests, an invite link and course codes.

    Does nothing if the school already exists (with --reset-passwords: sets a new password on
    its accounts). Prints every account with its role; all share one password, printed once and
    stored only as a hash. Exits 1 if one of the demo email addresses belongs to someone else.
    """
    click.echo(load_and_describe(password, reset_passwords=reset_passwords))


def load_and_describe(password: str | None = None, *, reset_passwords: bool = False) -> str:
    """What `flask demo load` and `scripts/run --demo` do: load the school (or, when it exists, nothing,
    or with `reset_passwords` a new password), commit, and return the text to show, which ends with the
    accounts and their one password. Raises DemoError (a ClickException) as load_demo does."""
    password = password or random_password()
    if find_demo_org() is not None:
        if not reset_passwords:
            return (f"The demo school “{ORG_NAME}” is already loaded; nothing to do.\n"
                    "Its accounts keep the password printed when it was loaded "
                    "(`flask demo load --reset-passwords` sets a new one).")
        count = set_demo_passwords(password)
        db.session.commit()
        return f"New password for the {count} demo accounts: {password}"
    school = load_demo(password)
    db.session.commit()
    return describe_school(school, password)


def describe_school(school: DemoSchool, password: str) -> str:
    """The demo school as a newcomer reads it: circles with their links and codes, then the accounts and
    their password as one block. Codes are written as the course-code CSV writes them (format_code);
    typed either way they redeem (lms.circles.codes.normalize_code)."""
    lines = [f"Demo school loaded: {school.org.name}", "", "Circles:"]
    for circle in school.circles:
        pending = db.session.scalar(db.select(db.func.count()).select_from(Membership).where(
            Membership.circle_id == circle.id, Membership.status == MembershipStatus.pending))
        extra = f", {pending} waiting for approval" if pending else ""
        lines.append(f"  {external_url('circles.home', circle_id=circle.id)}  {circle.name}  "
                     f"({circle.member_count} members{extra}; join code {format_code(circle.join_code)})")
    lines.append(f"  invite link for {school.circles[1].name}: {external_url('circles.invite', token=school.invite.token)}")
    lines.append(f"  course codes (batch “Spring term”): "
                 f"{', '.join(format_code(c.code) for c in school.course_codes[:3])}, …")
    lines.append("")
    rows = [("role", "name", "email")] + [(a.role, a.name, a.email) for a in school.accounts]
    widths = [max(_width(row[col]) for row in rows) for col in range(2)]
    for role, name, address in rows:
        lines.append(f"{_pad(role, widths[0])}  {_pad(name, widths[1])}  {address}")
    lines.append(f"Password for every demo account: {password}")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
