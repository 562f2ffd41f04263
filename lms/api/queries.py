"""Reads for the API and the token pages: tokens by secret and by owner, who manages whose tokens,
and keyset pages over the domains' own visibility rules (circles, homework)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.api.models import TOKEN_PREFIX, ApiToken
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.extensions import db
from lms.grading.models import Grade
from lms.homework.models import Assignment, Submission
from lms.homework.queries import circle_assignments, deadlines_by_student, memberships_by_user, visible_submissions
from lms.orgs.models import OrgMembership, OrgRole


def find_live_token(secret: str) -> ApiToken | None:
    """The live token whose secret this is (not revoked, not expired, its owner not disabled), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash_token(secret)))
    if token is None or not token.is_live() or not token.user.is_active:
        return None
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """Every token of `user`, live ones first, newest first."""
    return list(db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(
        ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())))


def can_manage_tokens_of(actor: User, owner: User) -> bool:
    """May `actor` see and revoke `owner`'s tokens? Themselves; site admins; the admins of an
    organization `owner` belongs to (in any role), unless `owner` is a site admin (whose tokens only
    site admins reach). Nobody else."""
    if not actor.is_authenticated:
        return False
    if actor.id == owner.id or actor.can_administer_site():
        return True
    if owner.is_admin:
        return False
    mine = sa.select(OrgMembership.org_id).where(OrgMembership.user_id == actor.id,
                                                 OrgMembership.role == OrgRole.admin)
    return bool(db.session.scalar(sa.select(sa.exists().where(
        OrgMembership.user_id == owner.id, OrgMembership.org_id.in_(mine)))))


def get_owner_or_404(actor: User, user_id: int) -> User:
    """The account whose tokens `actor` manages; 404 for anyone else (no existence leak)."""
    owner = db.session.get(User, user_id)
    if owner is None or not can_manage_tokens_of(actor, owner):
        abort(404)
    return owner


def get_token_or_404(owner: User, token_id: int) -> ApiToken:
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == owner.id))
    if token is None:
        abort(404)
    return token


# -- keyset pages: `after` is the last id of the previous page, `limit` the page size; each returns
# -- limit + 1 rows at most, so the caller knows whether there is a next page

def my_memberships_page(user: User, after: int | None, limit: int) -> list[tuple[Circle, Membership]]:
    """The circles `user` is an active member of (as circles.queries.my_circles), by membership id."""
    query = (db.select(Circle, Membership).join(Membership, Membership.circle_id == Circle.id)
             .where(Membership.user_id == user.id, Membership.status == MembershipStatus.active))
    if after is not None:
        query = query.where(Membership.id > after)
    return [tuple(row) for row in db.session.execute(query.order_by(Membership.id).limit(limit + 1)).all()]


def roster_page(circle: Circle, after: int | None, limit: int) -> list[Membership]:
    """The active members of `circle`, by membership id."""
    query = db.select(Membership).where(Membership.circle_id == circle.id,
                                        Membership.status == MembershipStatus.active)
    if after is not None:
        query = query.where(Membership.id > after)
    return list(db.session.scalars(query.order_by(Membership.id).limit(limit + 1)))


def assignments_page(circle: Circle, user: User, after: int | None, limit: int) -> list[Assignment]:
    """The assignments `user` sees in `circle` (homework.queries.circle_assignments: drafts for staff
    only), by id. A circle holds tens of assignments, so the rule's own list is paged here."""
    rows = sorted(circle_assignments(circle, user), key=lambda a: a.id)
    return [a for a in rows if after is None or a.id > after][:limit + 1]


def submissions_page(assignment: Assignment, user: User, after: int | None, limit: int
                     ) -> tuple[list[Submission], dict[int, Membership]]:
    """Submissions of `assignment` by id: every version for staff, the viewer's own otherwise (the API
    lists no classmates' work, whatever the gallery shows), each with its student's deadline; and the
    circle identities of their students."""
    query = visible_submissions(assignment, user)
    if not assignment.is_staff(user):
        query = query.where(Submission.student_id == user.id)
    if after is not None:
        query = query.where(Submission.id > after)
    rows = list(db.session.scalars(query.options(selectinload(Submission.files)).order_by(Submission.id)
                                   .limit(limit + 1)))
    deadlines = deadlines_by_student(assignment) if rows else {}
    for submission in rows:
        submission.assignment = assignment
        submission.with_deadline(deadlines.get(submission.student_id, assignment.base_deadline))
    return rows, memberships_by_user(assignment.circle, {s.student_id for s in rows})


def grades_page(assignment: Assignment, user: User, after: int | None, limit: int
                ) -> tuple[list[Grade], dict[int, Membership]]:
    """Grades of `assignment` by id: all of them, released or not, for its staff; the viewer's own
    once released for a learner who sees the assignment (Grade.can_view); nothing for anyone else."""
    query = db.select(Grade).where(Grade.assignment_id == assignment.id).options(selectinload(Grade.submission))
    if not assignment.can_grade(user):
        if not assignment.is_learner(user):
            return [], {}
        query = query.where(Grade.student_id == user.id, Grade.released_at.is_not(None))
    if after is not None:
        query = query.where(Grade.id > after)
    rows = [g for g in db.session.scalars(query.order_by(Grade.id).limit(limit + 1)) if _keep(g, assignment, user)]
    deadlines = deadlines_by_student(assignment) if rows else {}
    for grade in rows:
        grade.assignment = assignment
        if grade.submission is not None:
            grade.submission.assignment = assignment
            grade.submission.with_deadline(deadlines.get(grade.student_id, assignment.base_deadline))
    return rows, memberships_by_user(assignment.circle, {g.student_id for g in rows})


def _keep(grade: Grade, assignment: Assignment, user: User) -> bool:
    grade.assignment = assignment
    return grade.can_view(user)

