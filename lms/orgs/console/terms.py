"""Terms of an organization: making them, putting classes in them, archiving a term's classes in one action,
and copying a class's structure (no members, no work) into another term."""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.checkins.models import CheckinTask
from lms.circles import operations as circle_ops
from lms.circles.models import Circle, Membership, MembershipStatus, Role
from lms.core.inputs import TextRejected, clean_line
from lms.core.types import utcnow
from lms.extensions import db
from lms.files.models import CircleFile, FileVersion, Folder
from lms.grading.models import Criterion, GradeCategory, Rubric
from lms.homework.models import Assignment
from lms.jobs import discard_stored_on_rollback
from lms.orgs.class_defaults import apply_class_defaults, defaults_of
from lms.orgs.models import Organization, Term
from lms.reviews.models import PeerReviewSettings
from lms.storage import get_storage, new_key


class TermError(ValueError):
    """A term or a copy that cannot be made as asked; the message is for the person."""


class TermState(enum.StrEnum):
    """Where a term stands: by its dates, until its classes are archived."""

    upcoming = "upcoming"
    current = "current"
    ended = "ended"
    archived = "archived"


def term_state(term: Term, today: date) -> TermState:
    """The state of `term` on `today` (a calendar day, as the viewer counts it): archived once its classes were
    archived in one action, else upcoming before its first day, current from its first to its last day, ended
    after."""
    if term.archived_at is not None:
        return TermState.archived
    if today < term.starts_on:
        return TermState.upcoming
    return TermState.current if today <= term.ends_on else TermState.ended


def _checked_name(org_id: int, name: str, starts_on: date, ends_on: date, *, term: Term | None = None) -> str:
    """The name a term of the organization `org_id` is kept under (one clean line), once the checks every term
    passes, new or edited (`term`: the one edited, whose own name is no clash), have passed. Raises TermError for
    a name that is empty, not one line, or already another term's of the organization, or an end before the
    start."""
    try:
        name = clean_line(name, max_length=120)
    except TextRejected as error:
        raise TermError(str(error)) from None
    if not name:
        raise TermError(_l("Give the term a name."))
    if ends_on < starts_on:
        raise TermError(_l("A term cannot end before it starts."))
    query = sa.select(Term.name).where(Term.org_id == org_id)
    if term is not None:
        query = query.where(Term.id != term.id)
    if name.casefold() in {n.casefold() for n in db.session.scalars(query)}:
        raise TermError(_l("The organization already has a term named %(name)s.", name=name))
    return name


def create_term(org: Organization, name: str, starts_on: date, ends_on: date) -> Term:
    """Add a term to `org`. Raises TermError for a name that is empty, not one line, or already a term of the
    organization, or an end before the start."""
    name = _checked_name(org.id, name, starts_on, ends_on)
    term = Term(org_id=org.id, name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    return term


def update_term(term: Term, actor: User | None, name: str, starts_on: date, ends_on: date) -> dict:
    """Change `term`'s name and first and last day, with create_term's checks (and its TermError). An archived
    term too, as Canvas lets admins change a term's dates at any time: its classes stay archived, and its state
    and report follow the new dates. Audited with what changed (nothing when nothing did); returns that
    ({field: {"from", "to"}})."""
    name = _checked_name(term.org_id, name, starts_on, ends_on, term=term)
    changes = {}
    for key, value in (("name", name), ("starts_on", starts_on), ("ends_on", ends_on)):
        before = getattr(term, key)
        if before != value:
            changes[key] = {"from": str(before), "to": str(value)}  # dates as ISO days
            setattr(term, key, value)
    db.session.flush()
    if changes:
        record_event(AuditAction.term_changed, actor, target=term, org_id=term.org_id, target_label=term.name,
                     details={"term": term.name, **changes})
    return changes


def why_term_is_kept(term: Term) -> str | None:
    """Why `term` cannot be deleted (a translated sentence), or None when it can: it holds no class. A class's
    term says which report counts it, so its classes are moved out first; an archived class is read-only and is
    not moved (set_classes_term), so a term holding one is kept until it is restored and moved."""
    live, archived = db.session.execute(
        sa.select(sa.func.count().filter(Circle.is_archived.is_(False)),
                  sa.func.count().filter(Circle.is_archived.is_(True)))
        .where(Circle.term_id == term.id)).one()
    if live:
        return _("A term with classes cannot be deleted: move the classes of %(term)s to another term first.",
                 term=term.name)
    if archived:
        return ngettext(
            "%(term)s holds %(num)d archived class, which stays in the term whose report counts it, so the term "
            "cannot be deleted. To delete it, restore the class and move it to another term first.",
            "%(term)s holds %(num)d archived classes, which stay in the term whose report counts them, so the term "
            "cannot be deleted. To delete it, restore the classes and move them to another term first.",
            archived, term=term.name)
    return None


def delete_term(term: Term, actor: User | None) -> None:
    """Delete `term`, which must hold no class (archived ones included): TermError with why_term_is_kept's
    reason otherwise. Audited with its name and dates."""
    reason = why_term_is_kept(term)
    if reason is not None:
        raise TermError(reason)
    record_event(AuditAction.term_deleted, actor, target=term, org_id=term.org_id, target_label=term.name,
                 details={"term": term.name, "starts_on": str(term.starts_on), "ends_on": str(term.ends_on)})
    db.session.delete(term)
    db.session.flush()


def set_classes_term(circles: list[Circle], term: Term | None) -> tuple[int, list[Circle]]:
    """Put `circles` (classes of the term's organization, checked by the caller's scoped lookup) in `term`
    (None: in no term), but the archived ones: read-only, they stay in the term whose report counts them.
    Returns how many changed and the archived classes left where they were (by name)."""
    changed, kept = 0, []
    for circle in circles:
        if term is not None and circle.org_id != term.org_id:
            raise TermError(_l("%(name)s is not a class of this organization.", name=circle.name))
        if circle.is_archived:
            kept.append(circle)
            continue
        new = term.id if term is not None else None
        if circle.term_id != new:
            circle.term_id = new
            changed += 1
    db.session.flush()
    return changed, sorted(kept, key=lambda c: (c.sort_key, c.name, c.id))


def term_classes(term: Term) -> list[Circle]:
    """The classes of `term`, by name."""
    return list(db.session.scalars(sa.select(Circle).where(Circle.term_id == term.id, Circle.org_id == term.org_id)
                                   .order_by(Circle.sort_key, Circle.name, Circle.id)))


def archive_term(term: Term, actor: User | None = None, now: datetime | None = None) -> list[Circle]:
    """Archive every class of `term` that is not archived yet (read-only from then on: lms/circles/archived.py;
    members, work, grades and replays stay) and mark the term archived; audited. Returns the classes archived
    now."""
    archived = [c for c in term_classes(term) if not c.is_archived]
    for circle in archived:
        circle_ops.set_archived(circle, True)
    term.archived_at = term.archived_at or now or utcnow()
    db.session.flush()
    record_event(AuditAction.term_archived, actor, target=term, org_id=term.org_id,
                 target_label=term.name, details={"term": term.name, "classes": len(archived)})
    return archived


# -- copying a class's structure -----------------------------------------------------------------

def _columns(obj, *, skip: tuple[str, ...] = ("id",), **overrides) -> dict:
    """The column values of `obj` (a mapped object) but `skip`, with `overrides`: a new row's arguments."""
    values = {attr.key: getattr(obj, attr.key) for attr in sa.inspect(type(obj)).column_attrs if attr.key not in skip}
    values.update(overrides)
    return values


class _Shift:
    """Moves the dates of the old term onto the new one (the same distance from the term's start); without a
    start to measure from, dates are left empty for the teacher to set."""

    def __init__(self, old: Term | None, new: Term):
        self.days = (new.starts_on - old.starts_on).days if old is not None else None

    def at(self, value: datetime | None) -> datetime | None:
        return None if value is None or self.days is None else value + timedelta(days=self.days)

    def on(self, value: date | None, default: date | None = None) -> date | None:
        if value is None:
            return None
        return default if self.days is None else value + timedelta(days=self.days)


def copy_class(circle: Circle, term: Term, actor: User) -> Circle:
    """A new class of `term` with `circle`'s settings (but those its school locks, which come from the school) and
    structure: its owner and teachers (no assistants,
    students or members), rubrics, grade categories, assignments (as drafts, with their peer-review
    settings), check-in tasks and files (their current versions, copied in storage). Nothing of the members'
    work (hand-ins, grades, check-ins, posts, chat) is copied. Dates move with the term's start; with no
    start to measure from (the class is in no term) due dates are left empty. Raises TermError when `term`
    is of another organization."""
    if circle.org_id is None or term.org_id != circle.org_id:
        raise TermError(_l("Copy a class into a term of its own organization."))
    old_term = db.session.get(Term, circle.term_id) if circle.term_id else None
    shift = _Shift(old_term, term)
    staff = list(db.session.scalars(
        sa.select(Membership).where(Membership.circle_id == circle.id, Membership.status == MembershipStatus.active,
                                    Membership.role.in_([Role.owner, Role.teacher])).order_by(Membership.id)))
    owner = next((m for m in staff if m.role == Role.owner), None)
    owner_user = owner.user if owner is not None else actor
    copy = circle_ops.create_circle(owner_user, circle.name, kind=circle.kind, description=circle.description,
                                    join_policy=circle.join_policy, org=circle.org,
                                    require_real_name=circle.require_real_name,
                                    require_student_no=circle.require_student_no,
                                    owner_display_name=owner.display_name if owner is not None else None)
    copy.timezone, copy.cover_key, copy.term_id = circle.timezone, None, term.id
    # the copy keeps the class's settings but those the school locks now (lms/orgs/class_defaults.py)
    apply_class_defaults(copy, circle.org, only=defaults_of(circle.org).locked)
    for membership in staff:
        if membership.role == Role.teacher and membership.user_id != owner_user.id:
            circle_ops.add_member(copy, membership.user, Role.teacher, display_name=membership.display_name)

    rubrics = {}
    for rubric in db.session.scalars(sa.select(Rubric).where(Rubric.circle_id == circle.id).order_by(Rubric.id)):
        new = Rubric(**_columns(rubric, skip=("id", "created_at"), circle_id=copy.id, created_by_id=actor.id))
        db.session.add(new)
        db.session.flush()
        for criterion in rubric.criteria:
            db.session.add(Criterion(**_columns(criterion, rubric_id=new.id)))
        rubrics[rubric.id] = new.id
    categories = {}
    for category in db.session.scalars(sa.select(GradeCategory).where(GradeCategory.circle_id == circle.id)
                                       .order_by(GradeCategory.id)):
        new = GradeCategory(**_columns(category, circle_id=copy.id))
        db.session.add(new)
        db.session.flush()
        categories[category.id] = new.id

    assignments = {}
    for assignment in db.session.scalars(sa.select(Assignment).where(Assignment.circle_id == circle.id)
                                         .order_by(Assignment.id)):
        new = Assignment(**_columns(
            assignment, skip=("id", "created_at", "updated_at"), circle_id=copy.id, created_by_id=actor.id,
            is_published=False, published_at=None, opens_at=shift.at(assignment.opens_at),
            due_at=shift.at(assignment.due_at), closes_at=shift.at(assignment.closes_at),
            rubric_id=rubrics.get(assignment.rubric_id), category_id=categories.get(assignment.category_id)))
        db.session.add(new)
        db.session.flush()
        assignments[assignment.id] = new.id
    for settings in db.session.scalars(sa.select(PeerReviewSettings)
                                       .where(PeerReviewSettings.assignment_id.in_(list(assignments)))):
        db.session.add(PeerReviewSettings(**_columns(
            settings, skip=(), assignment_id=assignments[settings.assignment_id],
            **{k: shift.at(getattr(settings, k)) for k in ("opens_at", "closes_at") if hasattr(settings, k)})))

    start = term.starts_on
    for task in db.session.scalars(sa.select(CheckinTask).where(CheckinTask.circle_id == circle.id)
                                   .order_by(CheckinTask.id)):
        db.session.add(CheckinTask(**_columns(
            task, skip=("id", "created_at"), circle_id=copy.id, created_by_id=actor.id,
            starts_on=shift.on(task.starts_on, start) or start, ends_on=shift.on(task.ends_on, None),
            gradebook_assignment_id=assignments.get(task.gradebook_assignment_id), gradebook_refreshed_on=None)))

    _copy_files(circle, copy, actor)
    db.session.flush()
    record_event(AuditAction.class_copied_to_term, actor, target=copy, circle_id=copy.id, org_id=copy.org_id,
                 details={"from": circle.name, "from_id": circle.id, "term": term.name})
    return copy


def _copy_files(circle: Circle, copy: Circle, actor: User) -> None:
    """The folders and files (not in the trash) of `circle` into `copy`: each file's current version, its
    bytes copied to a new storage key (the two classes never share an object one of them may delete)."""
    folders = list(db.session.scalars(sa.select(Folder).where(Folder.circle_id == circle.id,
                                                              Folder.deleted_at.is_(None)).order_by(Folder.id)))
    if not folders:
        return
    new_ids: dict[int, int] = {}
    pending = folders
    while pending:  # parents before children, whatever the ids say
        later = []
        for folder in pending:
            if folder.parent_id is not None and folder.parent_id not in new_ids:
                later.append(folder)
                continue
            new = Folder(**_columns(folder, skip=("id", "created_at"), circle_id=copy.id, created_by_id=actor.id,
                                    parent_id=new_ids.get(folder.parent_id) if folder.parent_id else None))
            db.session.add(new)
            db.session.flush()
            new_ids[folder.id] = new.id
        if len(later) == len(pending):  # folders under a folder in the trash: left out with it
            break
        pending = later
    storage = get_storage()
    files = db.session.scalars(sa.select(CircleFile).where(CircleFile.circle_id == circle.id,
                                                           CircleFile.deleted_at.is_(None)).order_by(CircleFile.id))
    for file in files:
        version = file.current_version
        if version is None or file.folder_id not in new_ids:
            continue
        key = new_key("files")
        storage.copy(version.storage_key, key)
        discard_stored_on_rollback(key)
        new = CircleFile(**_columns(file, skip=("id", "current_version_id", "deleted_at", "deleted_by_id"),
                                    circle_id=copy.id, folder_id=new_ids[file.folder_id], uploaded_by_id=actor.id,
                                    created_at=utcnow(), updated_at=utcnow()))
        db.session.add(new)
        db.session.flush()
        new_version = FileVersion(file_id=new.id, number=1, storage_key=key, bytes=version.bytes,
                                  content_type=version.content_type, uploaded_by_id=actor.id)
        db.session.add(new_version)
        db.session.flush()
        new.current_version_id = new_version.id


def next_term(term: Term) -> Term | None:
    """The organization's first term starting after `term` starts (where its classes are copied to by default)."""
    return db.session.scalar(sa.select(Term).where(Term.org_id == term.org_id, Term.starts_on > term.starts_on)
                             .order_by(Term.starts_on, Term.id).limit(1))

