"""The personal feed read by a real calendar client's parser: ical.js (Mozilla's, used by Thunderbird
and many web calendars), run with Node from tests/node (scripts/setup installs it)."""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from lms.calendar.models import CalendarToken
from lms.extensions import db
from tests.fixtures.homework import later
from tests.fixtures.services import require_service

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NEW_YORK = ZoneInfo("America/New_York")


def read_with_ical_js(document: bytes) -> dict:
    node = shutil.which("node")
    installed = (NODE_DIR / "node_modules" / "ical.js" / "package.json").exists()
    require_service("Node with ical.js", bool(node) and installed,
                    "node is not installed or tests/node/node_modules is missing (run scripts/setup)")
    done = subprocess.run([node, str(NODE_DIR / "ical_parse.mjs")], input=document, capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def feed_path(client, user) -> str:
    assert client.get("/calendar/subscribe").status_code == 200
    token = db.session.scalar(db.select(CalendarToken).where(CalendarToken.user_id == user.id))
    return f"/calendar/feed/{token.token}.ics"


def test_ical_js_reads_every_event_with_its_uid_title_link_and_utc_time(make, hw, client_as, app):
    """A Chinese circle in New York time, one assignment due on each side of the March change: ical.js
    finds both events, in UTC at the instants stored, with the Chinese title and the absolute link."""
    teacher = make.user(timezone="America/New_York")
    circle = make.circle(teacher, name="舞蹈班 · 二〇二七")
    student = make.user(timezone="America/New_York", locale="zh_Hans")
    make.member(circle, student)
    now = datetime.now(timezone.utc)
    for year in (now.year, now.year + 1):
        sunday = [d for d in range(8, 15) if datetime(year, 3, d).weekday() == 6][0]
        before = datetime(year, 3, sunday - 1, 23, 59, tzinfo=NEW_YORK).astimezone(timezone.utc)
        after = datetime(year, 3, sunday + 1, 23, 59, tzinfo=NEW_YORK).astimezone(timezone.utc)
        if before > now:
            break
    first = hw.assignment(circle, title="独舞视频 “春”", due_at=before)
    second = hw.assignment(circle, title="Duet; part 2, with commas", due_at=after)
    soon = hw.assignment(circle, title="Warm-up", due_at=later(days=1).replace(microsecond=0))

    client = client_as(student)
    parsed = read_with_ical_js(app.test_client().get(feed_path(client, student)).data)

    assert parsed["version"] == "2.0" and parsed["prodid"]
    events = {event["uid"]: event for event in parsed["events"]}
    assert set(events) == {f"assignment-{a.id}-due@circles" for a in (first, second, soon)}
    for assignment in (first, second, soon):
        event = events[f"assignment-{assignment.id}-due@circles"]
        assert event["startIsUtc"]
        due = assignment.due_at if assignment.due_at.tzinfo else assignment.due_at.replace(tzinfo=timezone.utc)
        assert datetime.fromisoformat(event["start"].replace("Z", "+00:00")) == due
        assert assignment.title in event["summary"] and "舞蹈班" in event["summary"]
        assert event["url"].startswith("http") and event["url"].endswith(
            f"/circles/{circle.id}/assignments/{assignment.id}")
        assert event["stamp"]
    # the same 23:59 in New York on both sides of the change, as a phone will show it
    starts = [datetime.fromisoformat(events[f"assignment-{a.id}-due@circles"]["start"].replace("Z", "+00:00"))
              for a in (first, second)]
    assert [s.astimezone(NEW_YORK).strftime("%H:%M") for s in starts] == ["23:59", "23:59"]
    assert starts[0].strftime("%H:%M") == "04:59" and starts[1].strftime("%H:%M") == "03:59"
