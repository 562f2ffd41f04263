"""Live room micro-benchmark: what one `chat` event costs the Socket.IO process before its fan-out, in process.

A circle with a teacher and students and a lesson on air (a temporary SQLite file, or --database URL); the
teacher's page and one student's page join through Flask-SocketIO's test client (threading mode, no message
queue: the push goes to the test clients in this process); then the teacher sends N `chat` events, each one
handled as in production (lms/live/events.py: session check, lesson, membership, role and sanctions checked,
the message written and committed, the push built). Printed: CPU per event (this process, whole event
including the test client's own cost), SQL statements per event (commit excluded), and the same for a
student's `heartbeat` (the shared checks without a write of its own but the attendance row).

    scripts/bench/live_chat_cpu.py [--events 2000] [--database postgresql+psycopg://...]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
NS = "/live"


def say(line: str) -> None:
    print(f"live-chat-cpu: {line}", flush=True)


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--students", type=int, default=30, help="members of the circle besides the teacher")
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    import sqlalchemy as sa
    from sqlalchemy import event

    from lms import create_app
    from lms.accounts.operations import register_user, start_session
    from lms.circles import operations as circle_ops
    from lms.circles.models import Membership, MembershipStatus, Role
    from lms.core.inputs import comparison_key
    from lms.core.types import utcnow
    from lms.extensions import db, socketio
    from lms.live import operations as live_ops
    from lms.live.models import IngestKind, LessonState

    workdir = Path(tempfile.mkdtemp(prefix="circles-live-chat-cpu-"))
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": args.database or f"sqlite:///{workdir / 'lms.db'}",
        "SECRET_KEY": "live-chat-cpu", "STORAGE_ROOT": str(workdir / "storage"),
        "UPLOAD_DIR": str(workdir / "uploads"), "INSTANCE_PATH": str(workdir), "RATELIMIT_ENABLED": False,
        "SOCKETIO_ASYNC_MODE": "threading", "REDIS_URL": None, "SOCKETIO_MESSAGE_QUEUE": None,
        "LIVE_SWEEP_SECONDS": 3600})
    with app.app_context():
        db.drop_all()
        db.create_all()
        teacher = register_user("teacher@chat-cpu.example.org", "chat-cpu-password-1", "Teacher")
        circle = circle_ops.create_circle(teacher, "Chat CPU")
        lesson = live_ops.create_lesson(circle, teacher, title="Chat CPU", starts_at=utcnow())
        student = register_user("student@chat-cpu.example.org", "chat-cpu-password-1", "Student")
        now = utcnow()
        db.session.execute(sa.insert(Membership), [{
            "circle_id": circle.id, "user_id": student.id, "role": Role.student,
            "status": MembershipStatus.active, "display_name": "Student", "display_key": comparison_key("Student"),
            "joined_at": now, "joined_via": "added"}])
        lesson.state, lesson.ingest, lesson.went_live_at = LessonState.live, IngestKind.browser, now
        tokens = {"teacher": start_session(teacher, user_agent="chat cpu", ip=None),
                  "student": start_session(student, user_agent="chat cpu", ip=None)}
        db.session.commit()
        join = {"lesson_id": lesson.id, "circle_id": circle.id}
        db.session.remove()

    pages = {}
    for who, token in tokens.items():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = token, True
        sock = socketio.test_client(app, namespace=NS, flask_test_client=client)
        answer = sock.emit("join", join, namespace=NS, callback=True)
        if not answer.get("ok"):
            raise SystemExit(f"{who} could not join: {answer}")
        pages[who] = sock

    statements = []
    event.listen(_engine(app), "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))

    def measure(who: str, name: str, data_of, n: int) -> tuple[float, float, float]:
        sock = pages[who]
        for i in range(min(50, n)):  # warm-up: statement caches, first pushes
            sock.emit(name, data_of(i), namespace=NS, callback=True)
        sock.get_received(NS)
        statements.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            answer = sock.emit(name, data_of(i), namespace=NS, callback=True)
            if not answer.get("ok"):
                raise SystemExit(f"{name} refused: {answer}")
            if i % 100 == 99:
                sock.get_received(NS)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sql = [s for s in statements if s.split(None, 1)[0].upper() not in ("COMMIT", "BEGIN", "ROLLBACK")]
        return cpu * 1000 / n, wall * 1000 / n, len(sql) / n

    say(f"{args.events} events each, database {'SQLite (temporary file)' if not args.database else 'given'}, "
        f"Python {sys.version.split()[0]}")
    cpu, wall, sql = measure("teacher", "chat", lambda i: {"body": f"message {i}"}, args.events)
    say(f"teacher chat: {cpu:.3f} ms CPU / {wall:.3f} ms wall an event, {sql:.1f} SQL statements an event")
    per_statement = statements[-int(sql):] if sql else []
    for statement in per_statement:
        say(f"  {' '.join(statement.split())[:150]}")
    cpu, wall, sql = measure("student", "heartbeat", lambda i: {}, max(1, args.events // 2))
    say(f"student heartbeat: {cpu:.3f} ms CPU / {wall:.3f} ms wall an event, {sql:.1f} SQL statements an event")
    for sock in pages.values():
        sock.disconnect(namespace=NS)
    return 0


def _engine(app):
    from lms.extensions import db

    with app.app_context():
        return db.engine


if __name__ == "__main__":
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve() and VENV_PYTHON.exists():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
