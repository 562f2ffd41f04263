"""Reads for the account merge: who may merge whom, likely duplicate pairs."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.circles.models import Circle, Membership
from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.orgs.models import OrgMembership, OrgRole

#: how many likely pairs one list shows (the newest pairs; the admin merges and the list shrinks)
PAIR_LIMIT = 200


def administered_org_ids(actor: User) -> set[int]:
    """The organizations `actor` administers."""
    return set(db.session.scalars(sa.select(OrgMembership.org_id).where(
        OrgMembership.user_id == actor.id, OrgMembership.role == OrgRole.admin)))


def can_merge_user(actor: User, user: User, org_ids: set[int] | None = None, scoped: bool = False) -> bool:
    """May `actor` merge `user` (as either side)? Site admins: any enabled account. An org admin:
    an enabled account that is not a site admin, is in at least one of the actor's organizations
    (a class of it or its staff list) and in no circle or organization outside them; so an org
    admin never reaches an account another school also holds. `scoped` (an organization's merge pages):
    those rules with `org_ids` for every actor, site admins too."""
    if not actor.is_authenticated or user.is_disabled:
        return False
    if actor.can_administer_site() and not scoped:
        return True
    if user.is_admin:
        return False
    org_ids = administered_org_ids(actor) if org_ids is None else org_ids
    if not org_ids:
        return False
    linked = linked_orgs([user.id])[user.id]
    return bool(linked & org_ids) and linked <= org_ids


def linked_orgs(user_ids: list[int]) -> dict[int, set[int | None]]:
    """user id → the organizations each account is tied to: those of its circles (None for a circle
    of no organization) and those it is staff of. Two queries, whatever the number of ids."""
    found: dict[int, set[int | None]] = {i: set() for i in user_ids}
    rows = db.session.execute(sa.select(Membership.user_id, Circle.org_id).distinct()
                              .join(Circle, Circle.id == Membership.circle_id).where(Membership.user_id.in_(user_ids)))
    rows = list(rows) + list(db.session.execute(sa.select(OrgMembership.user_id, OrgMembership.org_id)
                                                .where(OrgMembership.user_id.in_(user_ids))))
    for user_id, org_id in rows:
        found[user_id].add(org_id)
    return found


def may_use_merge(actor: User) -> bool:
    return actor.is_authenticated and (actor.can_administer_site() or bool(administered_org_ids(actor)))


def get_org_for_merge_or_404(actor: User, org_id: int):
    """The organization whose merge pages `actor` opens: its admins (and site admins); 404 for others."""
    from lms.orgs.models import Organization

    org = db.session.get(Organization, org_id)
    if org is None or not actor.is_authenticated or not (
            actor.can_administer_site() or org.role_of(actor) == OrgRole.admin):
        abort(404)
    return org


def get_user_for_merge_or_404(actor: User, user_id: int, org=None) -> User:
    """The account `user_id` when `actor` may merge it (within `org` only: a member of it and of no other
    organization, not a site admin, when given); 404 otherwise (no existence leak)."""
    user = db.session.get(User, user_id)
    if user is None or not (can_merge_user(actor, user, {org.id}, scoped=True) if org is not None
                            else can_merge_user(actor, user)):
        abort(404)
    return user


def dismissed_pairs(ids: set[int]) -> set[tuple[int, int]]:
    """The pairs among `ids` an admin said are not one person (as (smaller id, larger id))."""
    from lms.merge.models import MergeDismissal

    if not ids:
        return set()
    return {(a, b) for a, b in db.session.execute(sa.select(MergeDismissal.user_a_id, MergeDismissal.user_b_id)
                                                  .where(MergeDismissal.user_a_id.in_(ids)))}


def likely_duplicates(actor: User, org=None) -> list[dict]:
    """Pairs of accounts that look like one person, each {"a", "b", "reason"} with a, b Users
    (a the older account): the same real name and student number in two memberships (circles of the
    actor's organizations for an org admin), or an account whose email another account's linked
    sign-in (another provider) carries. Only pairs the actor may merge."""
    first, second = aliased(Membership), aliased(Membership)
    c1, c2 = aliased(Circle), aliased(Circle)
    by_number = (sa.select(first.user_id, second.user_id).distinct()
                 .join(second, sa.and_(second.student_no_key == first.student_no_key,
                                       sa.func.lower(second.real_name) == sa.func.lower(first.real_name),
                                       second.user_id > first.user_id))
                 .join(c1, c1.id == first.circle_id).join(c2, c2.id == second.circle_id)
                 .where(first.student_no_key.is_not(None), first.real_name.is_not(None)))
    org_ids = None
    site = actor.can_administer_site() and org is None
    if not site:
        org_ids = {org.id} if org is not None else administered_org_ids(actor)
        by_number = by_number.where(c1.org_id.in_(org_ids), c2.org_id.in_(org_ids))
    owner = aliased(User)
    by_email = (sa.select(User.id, owner.id).distinct()
                .join(ExternalIdentity, sa.func.lower(ExternalIdentity.email) == User.email)
                .join(owner, owner.id == ExternalIdentity.user_id)
                .where(owner.id != User.id, User.is_disabled.is_(False), owner.is_disabled.is_(False)))
    pairs: dict[tuple[int, int], str] = {}
    for a, b in db.session.execute(by_number.limit(PAIR_LIMIT)):
        pairs.setdefault((min(a, b), max(a, b)), "number")
    for a, b in db.session.execute(by_email.limit(PAIR_LIMIT)):
        pairs.setdefault((min(a, b), max(a, b)), "email")
    ids = {i for pair in pairs for i in pair}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    dismissed = dismissed_pairs(ids)
    links = {} if site or not ids else linked_orgs(list(ids))

    def reachable(user: User) -> bool:
        if user.is_disabled:
            return False
        if site:
            return True
        return not user.is_admin and bool(links[user.id] & org_ids) and links[user.id] <= org_ids

    found = []
    for (a, b), reason in sorted(pairs.items(), reverse=True):
        ua, ub = users[a], users[b]
        if (a, b) in dismissed:
            continue
        if reachable(ua) and reachable(ub):
            found.append({"a": ua, "b": ub, "reason": reason})
    return found
