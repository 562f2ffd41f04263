"""Does the demo school come with a reading check-in task that has a history?"""
from __future__ import annotations

import sqlalchemy as sa

from lms.checkins import queries as q
from lms.checkins.models import Checkin, CheckinStreak, CheckinTask
from lms.demo import load_demo
from lms.extensions import db


def test_the_demo_school_has_a_reading_check_in_with_history(app):
    load_demo("demo-pass-word")
    db.session.commit()
    task = db.session.scalar(sa.select(CheckinTask))
    assert task is not None and "Sight-reading" in task.title
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Checkin)) > 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Checkin).where(Checkin.is_makeup.is_(True))) == 1
    longest = db.session.scalar(sa.select(sa.func.max(CheckinStreak.longest)))
    assert longest >= 7
    assert q.learner_count(task.circle_id) == 16
