"""The set-up contract: the entry scripts, and the demo school `scripts/run --demo` loads."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from lms import demo
from lms.accounts.models import User
from lms.circles.models import Circle, CircleKind, CourseCode, Invite, JoinPolicy, Membership, MembershipStatus
from lms.extensions import db
from lms.orgs.models import Organization, OrgMembership, OrgRole
from tests.fixtures.app import page_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("script", [".ci/run", "scripts/setup", "scripts/run", "scripts/test", "scripts/bench/pages"])
def test_entry_scripts_are_executable(script):
    """Can CI and a developer run each entry script directly, as the README says?"""
    path = ROOT / script
    assert path.is_file() and os.access(path, os.X_OK)
    assert path.read_text().startswith("#!/usr/bin/env ")


def _load(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", "load", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _password(output: str) -> str:
    match = re.search(r"Password for every demo account: (demo-[a-z0-9]{4}-[a-z0-9]{4})$", output, re.M)
    assert match, output
    return match.group(1)


def _sign_in(client, email: str, password: str) -> int:
    response = client.post("/login", data={"email": email, "password": password})
    client.post("/logout")
    return response.status_code


def _count(model, *where) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def test_demo_load_builds_the_promised_school(app, client, caplog):
    """Does `flask demo load` on a fresh site create the school, its people, circles, requests,
    invite and codes, a chat and a reading check-in with a history, and can every role sign in with the one
    printed password? (One load for all: it is the suite's slowest set-up.)"""
    import logging

    with caplog.at_level(logging.INFO):
        output = _load(app)
    password = _password(output)
    _codes_are_printed_as_the_csv_gives_them(client, output, caplog)
    _the_jazz_class_has_a_chat()
    _the_school_has_a_reading_check_in_with_history()

    org = db.session.scalar(db.select(Organization).where(Organization.name == demo.ORG_NAME))
    roles = dict(db.session.execute(
        db.select(OrgMembership.role, db.func.count()).where(OrgMembership.org_id == org.id)
        .group_by(OrgMembership.role)).all())
    assert roles == {OrgRole.admin: 1, OrgRole.teacher: 2, OrgRole.student: 30}

    circles = {c.kind: c for c in db.session.scalars(db.select(Circle).where(Circle.org_id == org.id))}
    assert len(circles) == 2 and _count(Circle, Circle.org_id == org.id) == 3
    jazz = db.session.scalar(db.select(Circle).where(Circle.name.like("Jazz Dance%")))
    assert jazz.require_real_name and jazz.require_student_no and jazz.join_policy == JoinPolicy.approval
    assert circles[CircleKind.community].join_policy == JoinPolicy.open
    assert _count(Membership, Membership.circle_id == jazz.id, Membership.status == MembershipStatus.pending) == 3
    students = db.session.scalars(db.select(Membership).where(
        Membership.circle_id == jazz.id, Membership.status == MembershipStatus.active,
        Membership.role == "student")).all()
    assert students and all(m.real_name and m.student_no and m.display_name for m in students)
    assert "张云妮" in {m.real_name for m in students}
    assert _count(Invite) == 1 and _count(CourseCode) == 10

    # One site administrator, created because the site had no account yet.
    assert db.session.scalar(db.select(User.email).where(User.is_admin.is_(True))) == demo.email("site.admin")
    for local in ("site.admin", demo.ADMIN[1], demo.TEACHERS[0][1], demo.STUDENTS[0][2]):
        assert demo.email(local) in output
        assert _sign_in(client, demo.email(local), password) == 302
    assert _sign_in(client, demo.email("mei.chen"), "demo-wron-gpwd") == 401
    assert password not in {u.password_hash for u in db.session.scalars(db.select(User))}


def test_demo_load_twice_changes_nothing(app, make, client):
    """Does a second `flask demo load` leave the school as it was (and add no site admin to a site
    that already has one), and does `--reset-passwords` then give a new password that works?"""
    make.user(email="owner@example.org", is_admin=True)
    _load(app, "--password", "demo-abcd-efgh")
    users, memberships = _count(User), _count(Membership)

    output = _load(app)
    assert "already loaded" in output and "Password for every demo account" not in output
    assert (_count(User), _count(Membership)) == (users, memberships)
    assert _count(Organization, Organization.name == demo.ORG_NAME) == 1
    assert _count(User, User.is_admin.is_(True)) == 1

    # `flask demo load --reset-passwords` gives the demo accounts a new password that works, and stops the old one
    output = _load(app, "--reset-passwords", "--password", "demo-new2-pass")
    assert "demo-new2-pass" in output
    teacher = demo.email(demo.TEACHERS[1][1])
    assert _sign_in(client, teacher, "demo-abcd-efgh") == 401
    assert _sign_in(client, teacher, "demo-new2-pass") == 302


def test_demo_school_has_homework_and_grades(app, client, monkeypatch):
    """Does the demo's jazz circle come with assignments and a released grade its student can see,
    while a grade not yet released stays hidden? (Loaded as `scripts/run --demo` does: no
    SERVER_NAME, so the release mails are written outside any request.)"""
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    with app.app_context():  # a context made without SERVER_NAME, as the command line has
        _load(app, "--password", "demo-abcd-efgh")
    from lms.circles.models import Circle
    from lms.homework.models import Assignment
    from tests.fixtures.factories import sign_in

    jazz = db.session.scalar(db.select(Circle).where(Circle.name.like("Jazz%")))
    assert _count(Assignment, Assignment.circle_id == jazz.id) == 2
    released = db.session.scalar(db.select(User).where(User.email == demo.email(demo.STUDENTS[0][2])))
    unreleased = db.session.scalar(db.select(User).where(User.email == demo.email(demo.STUDENTS[2][2])))
    def reflection_cells(user):
        sign_in(client, user)
        book = client.get(f"/circles/{jazz.id}/grades", headers={"Accept": "application/json"}).get_json()
        reflection = next(a["id"] for a in book["assignments"] if a["title"].startswith("Reflection"))
        assert [row["user_id"] for row in book["students"]] == [user.id]  # a student sees their own row only
        return [g for g in book["students"][0]["grades"] if g["assignment_id"] == reflection]

    assert [(g["score"], g["released"]) for g in reflection_cells(released)] == [(5, True)]
    assert [(g["score"], g["released"]) for g in reflection_cells(unreleased)] == [(None, False)]
    assert "Reflection" in page_text(client.get(f"/circles/{jazz.id}/grades"))


def _codes_are_printed_as_the_csv_gives_them(client, output: str, caplog) -> None:
    """Are the course codes the demo prints exactly those in the teacher's CSV download (one form, grouped),
    and does loading log nothing a newcomer would read between the accounts (a line per mail)?"""
    import logging

    from tests.circles.helpers import read_csv
    from tests.fixtures.factories import sign_in

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
    assert "WARNING" not in output
    printed = re.search(r"course codes \(batch “Spring term”\): (.+), …$", output, re.M).group(1).split(", ")
    assert len(printed) == 3 and all(re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code) for code in printed)
    piano = db.session.scalar(db.select(Circle).where(Circle.name.like("Piano%")))
    sign_in(client, db.session.scalar(db.select(User).where(User.email == demo.email("david.okafor"))))
    rows = read_csv(client.get(f"/c/{piano.id}/course-codes.csv?batch=Spring term"))
    assert set(printed) <= {row[0] for row in rows[1:]}
    # the accounts and their password are one block, the last lines printed
    lines = output.rstrip("\n").splitlines()
    header = lines.index(next(line for line in lines if line.startswith("role ")))
    assert lines[-1].startswith("Password for every demo account: ") and "" not in lines[header:]
    client.post("/logout")


def _the_jazz_class_has_a_chat() -> None:
    """Does the demo school's teaching circle come with a small chat?"""
    from lms.chat.models import ChannelKind, ChatChannel, ChatMessage
    from lms.notifications.models import Notification

    kinds = sorted(c.kind.value for c in db.session.scalars(db.select(ChatChannel)))
    assert kinds == ["channel", "direct", "main"]
    main = db.session.scalar(db.select(ChatChannel).where(ChatChannel.kind == ChannelKind.main))
    assert "Jazz" in main.circle.name and main.pinned_message_id is not None
    assert _count(ChatMessage) == 6
    assert _count(Notification, Notification.kind == "chat_mention") == 1


def _the_school_has_a_reading_check_in_with_history() -> None:
    """Does the demo school come with a reading check-in task that has a history?"""
    from lms.checkins import queries as checkin_queries
    from lms.checkins.models import Checkin, CheckinStreak, CheckinTask

    task = db.session.scalar(db.select(CheckinTask))
    assert task is not None and "Sight-reading" in task.title
    assert _count(Checkin) > 200
    assert _count(Checkin, Checkin.is_makeup.is_(True)) == 1
    assert db.session.scalar(db.select(db.func.max(CheckinStreak.longest))) >= 7
    assert checkin_queries.learner_count(task.circle_id) == 16


def test_first_screen_of_the_demo_server_is_clean(tmp_path):
    """Does `scripts/serve.py --demo` (what `scripts/run --demo` starts) print the address, where mail goes
    and the demo's accounts with their password last, with no warning, banner or mail line among them?"""
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "LMS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}",
           "LMS_STORAGE_ROOT": str(tmp_path / "storage"), "LMS_UPLOAD_DIR": str(tmp_path / "uploads"),
           "LMS_MAIL_DIR": str(tmp_path / "mail"), "LMS_SERVER_NAME": f"127.0.0.1:{port}", "PYTHONWARNINGS": "",
           "LMS_JOBS_BACKEND": "thread", "LMS_MAIL_BACKEND": "file",
           # cheap password hashing for the 33 demo accounts: the screen is the question, not argon2's cost
           "LMS_CONFIG_JSON": '{"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}'}
    env.pop("LMS_ENV", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([sys.executable, "scripts/serve.py", "--port", str(port), "--demo"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        for line in server.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Password for every demo account: "):
                break
        assert lines and lines[-1].startswith("Password for every demo account: "), "\n".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30) as response:
            assert response.status == 200  # serving once the accounts are on screen
    finally:
        server.terminate()
        rest, _ = server.communicate(timeout=30)
    screen = "\n".join(lines)
    assert lines[:3] == ["", f"Circles is running at http://127.0.0.1:{port}/  (Ctrl-C stops it)",
                         f"Mail is not sent: each message is written to {tmp_path / 'mail'}/"]
    for noise in ("WARNING", "Warning", "Werkzeug", " * ", "INFO", "mail to"):
        assert noise not in screen and noise not in rest.replace('"GET /login HTTP/1.1"', ""), noise
    assert f"http://127.0.0.1:{port}/c/1" in screen
