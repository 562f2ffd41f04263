"""The service's core: notify stores one row per recipient, pushes it live after the commit in each reader's
language, dedupes, and hands large fan-outs to a job that writes in batches with progress."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from lms.core.types import utcnow
from lms.extensions import db
from lms.notifications import FAN_OUT_INLINE, MailRule, forget_about, mark_read_about, notify
from lms.notifications import operations as ops
from lms.notifications.models import FanOut, MailState, Notification
from tests.fixtures.queries import QueryCounter
from tests.notifications.conftest import PING, received


def _rows(user=None):
    query = sa.select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    return list(db.session.scalars(query))


def test_notify_stores_and_pushes_after_commit_in_each_language(make, socket_as):
    """Two recipients, one reading Chinese: is a row stored for each, nothing pushed before the commit, and
    after it each page gets `notification` with its own language's message, the link and the unread count?"""
    actor, ann, bo = make.user("Actor"), make.user("Ann"), make.user("Bo")
    bo.locale = "zh_Hans"
    db.session.commit()
    ann_sock, bo_sock = socket_as(ann), socket_as(bo)
    result = notify(PING, [ann.id, bo.id], url="/somewhere/1", params={"actor": "Actor", "title": "Essay"},
                    subject=("thing", 1), actor_id=actor.id)
    assert result is None
    db.session.flush()
    assert received(ann_sock) == []
    db.session.commit()
    [ann_push] = received(ann_sock)
    [bo_push] = received(bo_sock)
    [ann_row] = _rows(ann)
    assert ann_push == {"id": ann_row.id, "kind": "test_ping", "message": "Actor pinged you about “Essay”",
                        "url": "/somewhere/1", "unread": 1}
    with force_locale("zh_Hans"):
        chinese = gettext("%(actor)s pinged you about “%(title)s”") % {"actor": "Actor", "title": "Essay"}
    assert bo_push["message"] == chinese and bo_push["unread"] == 1
    assert (ann_row.subject_type, ann_row.subject_id, ann_row.actor_id) == ("thing", 1, actor.id)


def test_nothing_leaves_when_the_caller_rolls_back(make, socket_as):
    """A notify inside a transaction that rolls back: no row, no push?"""
    ann = make.user()
    sock = socket_as(ann)
    notify(PING, [ann.id], url="/x", params={"title": "T"})
    db.session.rollback()
    assert _rows() == [] and received(sock) == []


def test_dedupe_key_gives_nobody_two(make):
    """Notified twice with one dedupe key (a periodic reminder), and once a third with another: does each
    person hold one per key, the second call skipping those who already have it?"""
    ann, bo = make.user(), make.user()
    notify(PING, [ann.id], url="/x", params={"title": "T"}, dedupe_key="due:1")
    db.session.commit()
    notify(PING, [ann.id, bo.id], url="/x", params={"title": "T"}, dedupe_key="due:1")
    notify(PING, [ann.id], url="/x", params={"title": "T"}, dedupe_key="due:2")
    db.session.commit()
    assert sorted((r.user_id, r.dedupe_key) for r in _rows()) == sorted(
        [(ann.id, "due:1"), (bo.id, "due:1"), (ann.id, "due:2")])


def test_mark_read_about_clears_only_that_subject(make):
    ann = make.user()
    notify(PING, [ann.id], url="/x", params={"title": "A"}, subject=("notice", 1))
    notify(PING, [ann.id], url="/y", params={"title": "B"}, subject=("notice", 2))
    db.session.commit()
    mark_read_about(ann.id, ("notice", 1))
    db.session.commit()
    assert [(r.subject_id, r.is_read) for r in _rows(ann)] == [(1, True), (2, False)]


def test_an_unknown_kind_name_is_refused(make):
    ann = make.user()
    try:
        notify("no_such_kind", [ann.id], url="/x")
    except ValueError as error:
        assert "no_such_kind" in str(error)
    else:
        raise AssertionError("an unknown kind was accepted")


def test_a_large_fan_out_is_a_job_in_batches_with_progress(app, make, socket_as, monkeypatch):
    """FAN_OUT_INLINE + 50 recipients with batches of 100: does notify return the FanOut instead of writing
    rows, and the job write them all in three batches (three INSERTs), pushing done/total after each to the
    person who asked, and each recipient their notification?"""
    monkeypatch.setattr(ops, "BATCH_SIZE", 100)
    sender = make.user("Sender")
    people = [make.user() for _ in range(FAN_OUT_INLINE + 50)]
    sender_sock, first_sock = socket_as(sender), socket_as(people[0])
    fan_out = notify(PING, [p.id for p in people], url="/x", params={"actor": "Sender", "title": "Big"},
                     progress_to=sender.id,
                     mail=MailRule.never)
    assert isinstance(fan_out, FanOut) and fan_out.total == len(people)
    assert _rows() == []  # nothing written in the caller's transaction
    with QueryCounter() as counter:
        db.session.commit()  # the inline job backend runs the job now
    inserts = [s for s in counter.statements if s.startswith("INSERT INTO notifications")]
    db.session.expire_all()
    fan_out = db.session.get(FanOut, fan_out.id)
    assert fan_out.done == fan_out.total == 250 and fan_out.is_finished
    assert len(_rows()) == 250 and len(inserts) == 3
    assert [(p["done"], p["total"]) for p in received(sender_sock, "fan_out_progress")] == [
        (100, 250), (200, 250), (250, 250)]
    assert [p["message"] for p in received(first_sock)] == ["Sender pinged you about “Big”"]
    assert {r.mail_state for r in _rows()} == {MailState.none}


def test_forgetting_a_subject_costs_the_same_queries_for_5_or_60_readers(make, socket_as, count_queries):
    """Deleting something many were told about (a notice of a big circle): does forget_about delete their
    notifications and push each reader their new unread count, in a number of queries that does not grow
    with the readers?"""
    counts = []
    for size, subject_id in ((5, 1), (60, 2)):
        people = [make.user() for _ in range(size)]
        notify(PING, [p.id for p in people], url="/x", params={"title": "Gone"}, subject=("notice", subject_id),
               mail=MailRule.never)
        notify(PING, [people[0].id], url="/y", params={"title": "Kept"}, subject=("notice", 99), mail=MailRule.never)
        db.session.commit()
        first = socket_as(people[0])
        with count_queries:
            forget_about(("notice", subject_id))
        db.session.commit()
        counts.append(count_queries.count)
        assert [r.subject_id for r in _rows(people[0])] == [99]
        assert [r.subject_id for r in _rows(people[-1])] == []
        assert received(first, "notifications_read") == [{"unread": 1}]
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("missed", [False, True], ids=["deleted in the batch", "deletion missed the batch"])
def test_deleting_the_subject_stops_its_fan_out_and_forgets_what_it_wrote(app, make, monkeypatch, missed):
    """A notice deleted while its fan-out is being written: does the job stop after the batch in hand, and
    are that batch's notifications gone too, so no bell leads to a page that answers 404? (`missed`: the
    deletion's DELETE ran before the batch's rows were committed, so only the stop reached the job.)"""
    monkeypatch.setattr(ops, "BATCH_SIZE", 100)
    people = [make.user() for _ in range(FAN_OUT_INLINE + 50)]
    deliver = ops.deliver
    batches = []

    def deliver_then_delete(spec, user_ids, now):
        written = deliver(spec, user_ids, now)
        batches.append(len(user_ids))
        if len(batches) == 1 and missed:
            db.session.execute(sa.update(FanOut).values(finished_at=utcnow()))
        elif len(batches) == 1:
            forget_about(("notice", 7))  # the teacher deletes the notice meanwhile
        return written

    monkeypatch.setattr(ops, "deliver", deliver_then_delete)
    fan_out = notify(PING, [p.id for p in people], url="/x", params={"title": "Oops"}, subject=("notice", 7),
                     mail=MailRule.never)
    db.session.commit()  # the inline job backend runs the job now
    db.session.expire_all()
    fan_out = db.session.get(FanOut, fan_out.id)
    assert batches == [100]
    assert fan_out.is_finished and fan_out.done < fan_out.total
    assert _rows() == []
