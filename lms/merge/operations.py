"""Merge two accounts of one person: every row that references the merged-away account moves to the
kept one by the rules of lms/merge/rules.py, in one transaction; nothing is deleted."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.accounts.operations import end_sessions
from lms.api.models import ApiToken
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle, Membership, MembershipStatus, Role
from lms.circles.operations.errors import IdentityError
from lms.circles.operations.membership import add_member
from lms.core.types import utcnow
from lms.extensions import db
from lms.homework.models import Submission
from lms.merge.labels import has_label, label
from lms.merge.rules import COUNTERS, NON_FK_REFERENCES, RULES, RuleKind


class MergeError(ValueError):
    """The two accounts cannot be merged (the message says why, translated)."""


#: stronger first: where both accounts are in one circle, the kept membership takes the stronger role
ROLE_ORDER = [Role.owner, Role.teacher, Role.assistant, Role.student, Role.member]


def user_columns() -> list[sa.Column]:
    """Every column of the metadata with a foreign key to users.id, in a stable order."""
    users = db.metadata.tables["users"]
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column is users.c.id for fk in column.foreign_keys):
                found.append(column)
    return found


def _movable(column: sa.Column, kept_id: int, merged_id: int) -> sa.ColumnElement[bool]:
    """Rows of `merged_id` in `column` that can move: for a MOVE_UNIQUE rule, those whose unique key
    the kept account does not hold already."""
    table = column.table
    condition = column == merged_id
    rule = RULES[(table.name, column.name)]
    if rule.kind not in (RuleKind.move_unique, RuleKind.dedupe):
        return condition
    for key in unique_keys(column):
        other = table.alias()
        same_key = [other.c[name] == table.c[name] for name in key if name != column.name]
        condition &= ~sa.exists().where(other.c[column.name] == kept_id, *same_key)
    return condition


def unique_keys(column: sa.Column) -> list[list[str]]:
    """The unique keys (unique constraints, primary key, unique indexes) of the column's table that
    include the column, as lists of column names."""
    table = column.table
    keys = [list(c.columns.keys()) for c in table.constraints
            if isinstance(c, (sa.UniqueConstraint, sa.PrimaryKeyConstraint))]
    keys += [list(i.columns.keys()) for i in table.indexes if i.unique]
    return [key for key in keys if column.name in key]


def _count(where) -> int:
    return db.session.scalar(where) or 0


def preview_merge(kept: User, merged: User) -> dict:
    """What `merge_accounts` would do, as counts per "table.column": {"move": n, "conflict": n,
    "leave": n}. Changes nothing."""
    plan = {}
    for column in user_columns():
        key = f"{column.table.name}.{column.name}"
        rule = RULES.get((column.table.name, column.name))
        if rule is None:  # the page says the merge would be refused (missing_rules_message)
            continue
        total = _count(sa.select(sa.func.count()).select_from(column.table).where(column == merged.id))
        if not total:
            continue
        if rule.kind == RuleKind.dedupe:  # the duplicates become the kept account's one
            plan[key] = {"move": total, "conflict": 0, "leave": 0}
        elif rule.kind in (RuleKind.move, RuleKind.move_unique):
            movable = _count(sa.select(sa.func.count()).select_from(column.table)
                             .where(_movable(column, kept.id, merged.id)))
            plan[key] = {"move": movable, "conflict": total - movable, "leave": 0}
        elif rule.kind == RuleKind.leave:
            plan[key] = {"move": 0, "conflict": 0, "leave": total}
    for (table_name, column_name), reference in NON_FK_REFERENCES.items():
        if reference.rule.kind != RuleKind.move:
            continue
        table = db.metadata.tables[table_name]
        total = _count(sa.select(sa.func.count()).select_from(table).where(_non_fk_rows(table, column_name, reference,
                                                                                        merged.id)))
        if total:
            plan[f"{table_name}.{column_name}"] = {"move": total, "conflict": 0, "leave": 0}
    return plan


def _non_fk_rows(table: sa.Table, column_name: str, reference, user_id: int) -> sa.ColumnElement[bool]:
    """The rows of a NON_FK_REFERENCES column that name `user_id`."""
    return sa.and_(table.c[column_name] == user_id, *(table.c[name] == value for name, value in reference.when))


def missing_rules() -> list[tuple[str, str]]:
    """The (table, column) pairs referencing users.id that have no merge rule."""
    return [(c.table.name, c.name) for c in user_columns() if (c.table.name, c.name) not in RULES]


def missing_rules_message(missing: list[tuple[str, str]]) -> str:
    """The sentence shown when a merge is refused for lack of rules: names the kinds of data in words."""
    kinds = sorted({label(key) if has_label(key) else key[0].replace("_", " ").capitalize() for key in missing})
    return str(_l("This version of Circles does not know yet how to merge these accounts' %(kinds)s, so nothing "
                  "was merged. Tell the site's maintainers.", kinds=", ".join(kinds)))


def merge_accounts(kept: User, merged: User, actor: User) -> dict:
    """Merge `merged` into `kept`: move what references `merged` by RULES, disable `merged` (pointing
    at `kept`), end its sessions, revoke its API tokens and record the report in the audit log.
    Flushes; the caller commits. Runs inside a savepoint, so on any error nothing has changed.
    Returns the report. Raises MergeError for the same account, a disabled one, or a column
    without a rule (KeyError would be a programming error; the coverage test keeps RULES whole)."""
    if kept.id == merged.id:
        raise MergeError(_l("An account cannot be merged into itself."))
    if kept.is_disabled or merged.is_disabled:
        raise MergeError(_l("A disabled or already merged account cannot be merged."))
    columns = user_columns()
    missing = missing_rules()
    if missing:  # a programming error: the log names the columns, the person reads what kind of data it is
        current_app.logger.error("account merge: no merge rule for %s", ", ".join(f"{t}.{c}" for t, c in missing))
        raise MergeError(missing_rules_message(missing))
    report = {"kept": _who(kept), "merged": _who(merged), "moved": {}, "conflicts": {}, "left": {},
              "memberships_joined": [], "submissions_renumbered": 0}
    try:
        with db.session.begin_nested():
            db.session.flush()
            event = _merge(kept, merged, actor, columns, report)
    except sa.exc.IntegrityError:
        raise MergeError(_l("The two accounts hold something that cannot be joined; nothing was changed.")) from None
    except IdentityError as error:
        # the kept membership, made active again, would take a student number another member holds now
        raise MergeError(_l("%(reason)s Nothing was changed.", reason=str(error))) from None
    return {**report, "audit_event_id": event.id}


def _merge(kept: User, merged: User, actor: User, columns: list[sa.Column], report: dict):
    """The steps of merge_accounts inside its savepoint; returns the audit event. What undo_merge needs
    (the rows moved, the memberships' values before, the versions renumbered, the tokens revoked) is kept
    in the event's details under "undo"."""
    undo: dict = {"moved": {}, "memberships": [], "submissions": [], "tokens": [], "removed": {}}
    _merge_memberships(kept, merged, report, undo)
    report["submissions_renumbered"] = _renumber_submissions(kept, merged, undo)
    for column in columns:
        key = f"{column.table.name}.{column.name}"
        rule = RULES[(column.table.name, column.name)]
        if rule.kind == RuleKind.dedupe:
            removed = _remove_duplicates(column, kept.id, merged.id)
            if removed:
                undo["removed"][key] = removed
                report.setdefault("deduplicated", {})[key] = len(removed)
        if rule.kind in (RuleKind.move, RuleKind.move_unique, RuleKind.dedupe):
            pk = list(column.table.primary_key.columns)
            ids = [list(row) for row in db.session.execute(sa.select(*pk).where(_movable(column, kept.id, merged.id)))]
            moved = db.session.execute(sa.update(column.table).where(_movable(column, kept.id, merged.id))
                                       .values({column.name: kept.id})
                                       .execution_options(synchronize_session=False)).rowcount
            if moved:
                report["moved"][key] = moved
                undo["moved"][key] = ids
        remaining = _count(sa.select(sa.func.count()).select_from(column.table).where(column == merged.id))
        if remaining and rule.kind == RuleKind.move_unique:
            report["conflicts"][key] = remaining
        elif remaining:
            report["left"][key] = remaining
    for (table_name, column_name), reference in NON_FK_REFERENCES.items():
        if reference.rule.kind != RuleKind.move:
            continue
        table = db.metadata.tables[table_name]
        where = _non_fk_rows(table, column_name, reference, merged.id)
        ids = [list(row) for row in db.session.execute(sa.select(*table.primary_key.columns).where(where))]
        if ids:
            db.session.execute(sa.update(table).where(where).values({column_name: kept.id})
                               .execution_options(synchronize_session=False))
            key = f"{table_name}.{column_name}"
            report["moved"][key] = len(ids)
            undo["moved"][key] = ids
    _refresh_streaks(_checkin_tasks(undo["moved"].get("checkins.user_id")), [kept.id])
    # a review the kept account was to write of the merged one's work is now of its own: say so
    allocations = db.metadata.tables["review_allocations"]
    report["self_reviews"] = _count(sa.select(sa.func.count()).select_from(allocations).where(
        allocations.c.reviewer_id == kept.id, allocations.c.author_id == kept.id))
    now = utcnow()
    undo["tokens"] = list(db.session.scalars(sa.select(ApiToken.id).where(ApiToken.user_id == merged.id,
                                                                          ApiToken.revoked_at.is_(None))))
    report["tokens_revoked"] = db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == merged.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    merged.is_disabled = True
    merged.merged_into_id = kept.id
    report["sessions_ended"] = end_sessions(merged)
    event = record_event(AuditAction.accounts_merged, actor, target=kept,
                         details={"kept_id": kept.id, "kept": kept.email, "merged_id": merged.id,
                                  "merged": merged.email, **readable_counts(report),
                                  "_report": report, "_undo": undo})
    db.session.flush()
    # grades left on the merged account are pairs the circle's graders choose between: tell them
    from lms.merge.notifications import tell_staff_of_conflicts

    report["grade_conflict_circles"] = tell_staff_of_conflicts(kept, merged.id, event.id)
    return event


def _remove_duplicates(column: sa.Column, kept_id: int, merged_id: int) -> list[dict]:
    """Remove the merged account's rows of a DEDUPE column whose key the kept account holds (the same
    thing liked twice); returns them whole (JSON-ready) for undo, and lowers the parent's counter."""
    table = column.table
    duplicate = sa.and_(column == merged_id, ~_movable(column, kept_id, merged_id))
    rows = [dict(row._mapping) for row in db.session.execute(sa.select(table).where(duplicate))]
    if not rows:
        return []
    db.session.execute(sa.delete(table).where(duplicate).execution_options(synchronize_session=False))
    _adjust_counter(column, rows, -1)
    return [{name: (value.isoformat() if isinstance(value, (datetime, date)) else value)
             for name, value in row.items()} for row in rows]


def _adjust_counter(column: sa.Column, rows: list[dict], step: int) -> None:
    counter = COUNTERS.get((column.table.name, column.name))
    if counter is None:
        return
    parent_name, count_name, link = counter
    parent = db.metadata.tables[parent_name]
    for row in rows:
        db.session.execute(sa.update(parent).where(parent.c.id == row[link])
                           .values({count_name: parent.c[count_name] + step})
                           .execution_options(synchronize_session=False))


def _restore_rows(table: sa.Table, rows: list[dict]) -> list[dict]:
    """The rows `_remove_duplicates` saved, with their dates read back."""
    restored = []
    for row in rows:
        values = {}
        for name, value in row.items():
            kind = getattr(table.c[name].type, "impl", table.c[name].type)
            if isinstance(value, str) and isinstance(kind, sa.DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(value, str) and isinstance(kind, sa.Date):
                value = date.fromisoformat(value)
            values[name] = value
        restored.append(values)
    return restored


def _checkin_tasks(checkin_ids) -> set[int]:
    """The check-in tasks of the check-ins moved (ids as the undo data keeps them)."""
    if not checkin_ids:
        return set()
    checkins = db.metadata.tables["checkins"]
    ids = [row[0] for row in checkin_ids]
    return {task_id for start in range(0, len(ids), 500) for task_id in db.session.scalars(
        sa.select(checkins.c.task_id).distinct().where(checkins.c.id.in_(ids[start:start + 500])))}


def _refresh_streaks(task_ids: set[int], user_ids: list[int]) -> None:
    """Recompute the streaks of the tasks whose check-ins changed hands (the kept account's summary counts
    the days it gained; undo recomputes both)."""
    if not task_ids:
        return
    from lms.checkins.models import CheckinTask
    from lms.checkins.operations import refresh_streak

    for task in db.session.scalars(sa.select(CheckinTask).where(CheckinTask.id.in_(task_ids))):
        for user_id in user_ids:
            refresh_streak(task, user_id)


def report_of(event) -> dict:
    """A merge record's full report (older records keep it under "report")."""
    details = event.details or {}
    return details.get("_report") or details.get("report") or {}


def readable_counts(report: dict) -> dict:
    """The report's counts under readable names, for the audit log page (the keys are labels, not columns)."""
    return {"moved": {label(k): n for k, n in sorted(report["moved"].items())},
            "conflicts": {label(k): n for k, n in sorted(report["conflicts"].items())}}


def _who(user: User) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name}


def _membership_state(membership: Membership) -> dict:
    return {"id": membership.id, "status": membership.status.value, "role": membership.role.value,
            "joined_at": membership.joined_at.isoformat() if membership.joined_at else None,
            "real_name": membership.real_name, "student_no": membership.student_no,
            "display_name": membership.display_name, "is_identity_locked": membership.is_identity_locked}


def _merge_memberships(kept: User, merged: User, report: dict, undo: dict) -> None:
    """Where both accounts are in one circle, the kept membership stays with the earlier join, the
    stronger role, and the real name and number of either; the merged account's membership is marked
    left (so its name and number are free) and stays on it. When only the merged account's membership
    was active, the kept one becomes active through the circles' one way in (`add_member`), so a
    membership the teacher removed stays removed (listed in the report as `stayed_removed`: the
    teacher readmits from the roster). The memberships in circles only the merged account was in
    move by the generic rule afterwards."""
    other = aliased(Membership)
    pairs = db.session.execute(
        sa.select(Membership, other)
        .join(other, sa.and_(other.circle_id == Membership.circle_id, other.user_id == merged.id))
        .where(Membership.user_id == kept.id)).all()
    for mine, theirs in pairs:
        undo["memberships"].append({"kept": _membership_state(mine), "merged": _membership_state(theirs)})
        circle = mine.circle
        joined_at = min(mine.joined_at, theirs.joined_at)
        role = theirs.role if ROLE_ORDER.index(theirs.role) < ROLE_ORDER.index(mine.role) else mine.role
        reactivate = theirs.is_active and not mine.is_active
        real_name, student_no = theirs.real_name, theirs.student_no
        if theirs.is_active:
            circle.member_count = Circle.member_count - 1
        theirs.status = MembershipStatus.left
        theirs.display_key = None
        if not mine.student_no and student_no:
            theirs.student_no = None
        db.session.flush()
        if reactivate and mine.is_barred:
            report.setdefault("stayed_removed", []).append({"circle_id": circle.id, "circle": circle.name,
                                                            "membership_id": mine.id})
        elif reactivate:
            add_member(circle, kept, role, via="merge", student_no=mine.student_no or student_no,
                       real_name=mine.real_name or real_name)
        if not mine.student_no and student_no:
            mine.student_no = student_no
        if not mine.real_name and real_name:
            mine.real_name = real_name
        mine.role = role
        mine.joined_at = joined_at
        mine.is_identity_locked = mine.is_identity_locked or theirs.is_identity_locked
        if mine.is_active and not mine.display_key:
            mine.display_name = mine.display_name  # the validator keeps display_key
        report["memberships_joined"].append({"circle_id": circle.id, "circle": circle.name,
                                             "kept_membership_id": mine.id, "merged_membership_id": theirs.id})
        db.session.flush()


def _renumber_submissions(kept: User, merged: User, undo: dict) -> int:
    """Number the merged account's versions of an assignment after the kept account's, so both
    histories stay whole under one student (the generic rule then moves them)."""
    latest = dict(db.session.execute(
        sa.select(Submission.assignment_id, sa.func.max(Submission.version))
        .where(Submission.student_id == kept.id).group_by(Submission.assignment_id)).all())
    renumbered = 0
    shared = db.session.scalars(sa.select(Submission.assignment_id).distinct().where(
        Submission.student_id == merged.id, Submission.assignment_id.in_(list(latest)))).all()
    for assignment_id in shared:
        undo["submissions"] += [list(row) for row in db.session.execute(
            sa.select(Submission.id, Submission.version).where(Submission.student_id == merged.id,
                                                               Submission.assignment_id == assignment_id))]
        renumbered += db.session.execute(
            sa.update(Submission).where(Submission.student_id == merged.id, Submission.assignment_id == assignment_id)
            .values(version=Submission.version + latest[assignment_id], student_id=kept.id)
            .execution_options(synchronize_session=False)).rowcount
    return renumbered


# -- undo -----------------------------------------------------------------------------------------

#: how long after a merge it may be undone from its audit record
UNDO_WINDOW = timedelta(days=14)

#: what an undo cannot give back (shown before the merge and before the undo)
IRREVERSIBLE = (
    _l("The merged account's open sessions end: its holder signs in again."),
    _l("Notifications and mail already sent (for example about a membership made active again) stay sent."),
    _l("The audit log keeps both the merge and its undo."),
    _l("Grade choices made afterwards on a circle's “Grades from merged accounts” page stay as chosen."),
    _l("Work the kept account did after the merge stays with the kept account."),
)


def undone_merge_ids() -> set[int]:
    """The ids of the merge events an undo (accounts_unmerged, append-only like every record) points at."""
    from lms.audit.models import AuditEvent

    return {(d or {}).get("merge_event_id") for d in db.session.scalars(
        sa.select(AuditEvent.details).where(AuditEvent.action == AuditAction.accounts_unmerged))}


def undo_blocker(event, now=None) -> str | None:
    """Why the merge of audit event `event` cannot be undone now (a translated sentence), or None."""
    from lms.audit.models import AuditEvent

    details = event.details or {}
    if event.action != AuditAction.accounts_merged or "_undo" not in details:
        return str(_l("This merge was recorded before merges could be undone."))
    undone = undone_merge_ids()
    if event.id in undone:
        return str(_l("This merge was already undone."))
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    if (now or utcnow()) - at > UNDO_WINDOW:
        return str(lazy_ngettext("A merge can be undone for %(num)d day only.",
                                 "A merge can be undone for %(num)d days only.", UNDO_WINDOW.days))
    kept, merged = db.session.get(User, details.get("kept_id")), db.session.get(User, details.get("merged_id"))
    if kept is None or merged is None or merged.merged_into_id != kept.id or not merged.is_disabled:
        return str(_l("One of the two accounts changed since the merge."))
    later = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == AuditAction.accounts_merged, AuditEvent.id > event.id)).all()
    for other in later:
        ids = {(other.details or {}).get("kept_id"), (other.details or {}).get("merged_id")}
        if ids & {kept.id, merged.id} and other.id not in undone:
            return str(_l("A later merge involves one of these accounts: undo that one first."))
    return None


def undo_plan(event) -> dict:
    """What undoing the merge of `event` would put back, from its record: {"back": {label: n}, "memberships": n,
    "versions": n, "tokens": n} (rows moved since then are not counted twice: undo moves only those still
    on the kept account)."""
    undo = (event.details or {}).get("_undo") or {}
    back: dict[str, int] = {}
    for key, ids in (undo.get("moved") or {}).items():
        back[label(key)] = back.get(label(key), 0) + len(ids)
    for key, rows in (undo.get("removed") or {}).items():
        back[label(key)] = back.get(label(key), 0) + len(rows)
    return {"back": dict(sorted(back.items())), "memberships": len(undo.get("memberships") or []),
            "versions": len(undo.get("submissions") or []), "tokens": len(undo.get("tokens") or [])}


def undo_merge(event, actor: User) -> dict:
    """Give the merged-away account back everything the merge of `event` moved from it, as its audit record
    lists it: the moved rows, the joined memberships' earlier values, the versions' numbers, the revoked API
    tokens; the account is enabled again. Flushes; the caller commits. Raises MergeError (nothing changed)
    when undo_blocker says no or the data changed in a way that cannot go back."""
    blocker = undo_blocker(event)
    if blocker:
        raise MergeError(blocker)
    details = event.details
    undo = details["_undo"]
    kept, merged = db.session.get(User, details["kept_id"]), db.session.get(User, details["merged_id"])
    restored: dict[str, int] = {}
    try:
        with db.session.begin_nested():
            _undo_memberships(undo["memberships"])
            for key, ids in undo["moved"].items():
                table_name, _sep, column_name = key.partition(".")
                table = db.metadata.tables.get(table_name)
                if table is None or column_name not in table.c:
                    continue
                pk = list(table.primary_key.columns)
                count = 0
                for start in range(0, len(ids), 500):
                    chunk = [tuple(row) for row in ids[start:start + 500]]
                    where = pk[0].in_([row[0] for row in chunk]) if len(pk) == 1 else sa.tuple_(*pk).in_(chunk)
                    count += db.session.execute(sa.update(table).where(where, table.c[column_name] == kept.id)
                                                .values({column_name: merged.id})
                                                .execution_options(synchronize_session=False)).rowcount
                if count:
                    restored[key] = count
            for key, rows in undo.get("removed", {}).items():
                table_name, _sep, column_name = key.partition(".")
                table = db.metadata.tables.get(table_name)
                if table is None or not rows:
                    continue
                values = _restore_rows(table, rows)
                db.session.execute(sa.insert(table), values)
                _adjust_counter(table.c[column_name], values, +1)
                restored[key] = restored.get(key, 0) + len(values)
            for submission_id, version in undo["submissions"]:
                db.session.execute(sa.update(Submission).where(Submission.id == submission_id)
                                   .values(version=version, student_id=merged.id)
                                   .execution_options(synchronize_session=False))
            _refresh_streaks(_checkin_tasks(undo["moved"].get("checkins.user_id")), [kept.id, merged.id])
            if undo["tokens"]:
                db.session.execute(sa.update(ApiToken).where(ApiToken.id.in_(undo["tokens"]))
                                   .values(revoked_at=None).execution_options(synchronize_session=False))
            db.session.expire_all()
            merged.is_disabled = False
            merged.merged_into_id = None
            done = record_event(AuditAction.accounts_unmerged, actor, target=merged,
                                details={"kept_id": kept.id, "kept": kept.email, "merged_id": merged.id,
                                         "merged": merged.email, "merge_event_id": event.id,
                                         "restored": {label(k): n for k, n in restored.items()}})
            db.session.flush()
    except sa.exc.IntegrityError:
        raise MergeError(_l("The accounts' data changed since the merge in a way that cannot go back; nothing "
                            "was changed.")) from None
    return {"restored": restored, "audit_event_id": done.id}


def _undo_memberships(states: list[dict]) -> None:
    """The memberships of circles both accounts were in get their values from before the merge; the
    merged account's becomes active again where it was (and the kept one inactive where it was)."""
    for pair in states:  # first free the student numbers either holds now (one number per circle)
        for side in ("merged", "kept"):
            membership = db.session.get(Membership, pair[side]["id"])
            if membership is not None:
                membership.student_no = None
        db.session.flush()
        for side in ("kept", "merged"):
            state = pair[side]
            membership = db.session.get(Membership, state["id"])
            if membership is None:
                continue
            status = MembershipStatus(state["status"])
            if membership.status != status:
                was_active, now_active = membership.status == MembershipStatus.active, status == MembershipStatus.active
                if was_active != now_active:
                    membership.circle.member_count = Circle.member_count + (1 if now_active else -1)
                membership.status = status
            membership.role = Role(state["role"])
            if state["joined_at"]:
                membership.joined_at = datetime.fromisoformat(state["joined_at"])
            membership.real_name = state["real_name"]
            membership.student_no = state["student_no"]
            membership.is_identity_locked = state["is_identity_locked"]
            membership.display_name = state["display_name"]  # the validator sets display_key for the status
            db.session.flush()
