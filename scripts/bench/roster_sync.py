"""Roster sync: how long reading, planning and applying a large OneRoster zip takes, and how many queries.

    .venv/bin/python scripts/bench/roster_sync.py [classes] [students per class]

Builds an in-memory SQLite app, an organization and a bulk zip (classes × students, each class with a
teacher), then prints the zip's size and the time and statement count of read, plan, apply, and a
re-import's plan (which should change nothing)."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa  # noqa: E402

from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402
from tests.roster_sync.sample import roster_zip  # noqa: E402


def rows(classes: int, per_class: int) -> dict:
    school = "school-1"
    data = {"orgs.csv": [{"sourcedId": school, "name": "Bench School", "type": "school"}],
            "classes.csv": [], "users.csv": [], "enrollments.csv": []}
    for c in range(classes):
        data["classes.csv"].append({"sourcedId": f"class-{c}", "title": f"Class {c}", "courseSourcedId": "course-1",
                                    "classCode": f"C{c}", "classType": "scheduled", "schoolSourcedId": school,
                                    "termSourcedIds": "term-1"})
        data["users.csv"].append({"sourcedId": f"teacher-{c}", "enabledUser": "true", "givenName": "Teacher",
                                  "familyName": str(c), "email": f"teacher{c}@bench.example"})
        data["enrollments.csv"].append({"sourcedId": f"e-t-{c}", "classSourcedId": f"class-{c}",
                                        "schoolSourcedId": school, "userSourcedId": f"teacher-{c}",
                                        "role": "teacher", "primary": "true"})
        for s in range(per_class):
            n = c * per_class + s
            data["users.csv"].append({"sourcedId": f"student-{n}", "enabledUser": "true", "givenName": "Student",
                                      "familyName": str(n), "identifier": f"S{n:06d}",
                                      "email": f"student{n}@bench.example"})
            data["enrollments.csv"].append({"sourcedId": f"e-{n}", "classSourcedId": f"class-{c}",
                                            "schoolSourcedId": school, "userSourcedId": f"student-{n}",
                                            "role": "student"})
    return data


def main() -> None:
    classes = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    work = Path(tempfile.mkdtemp())
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
                      "STORAGE_ROOT": str(work / "storage"), "INSTANCE_PATH": str(work)})
    from lms.accounts import operations as account_ops
    from lms.orgs import operations as org_ops
    from lms.orgs.models import OrgRole
    from lms.roster_sync import operations as ops
    from lms.roster_sync.oneroster import read_roster_zip
    with app.app_context(), app.test_request_context():
        db.create_all()
        admin = account_ops.register_user("admin@bench.example", "a long enough password", "Admin")
        org = org_ops.create_org("Bench School")
        org_ops.add_org_member(org, admin, OrgRole.admin)
        db.session.commit()
        path = work / "roster.zip"
        path.write_bytes(roster_zip(rows(classes, per_class)))
        count = [0]
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: count.__setitem__(0, count[0] + 1))

        def step(label, fn):
            count[0] = 0
            start = time.perf_counter()
            result = fn()
            print(f"{label:<22} {time.perf_counter() - start:8.2f} s {count[0]:8d} statements")
            return result

        print(f"{classes} classes × {per_class} students: zip {path.stat().st_size / 1024:.0f} KiB, "
              f"{classes * (per_class + 1)} enrollments")
        roster = step("read", lambda: read_roster_zip(path, known=ops.known_sourced_ids(org)))
        plan = step("plan (preview)", lambda: ops.plan_import(org, roster, admin))
        record = ops.record_preview(org, admin, file_name="roster.zip", file_key="-", file_bytes=0, plan=plan)
        step("apply + commit", lambda: (ops.apply_import(org, roster, admin, record), db.session.commit()))
        plan = step("re-import plan", lambda: ops.plan_import(org, read_roster_zip(path, known=ops.known_sourced_ids(org)),
                                                              admin))
        print("re-import changes:", plan.has_changes)


if __name__ == "__main__":
    main()
