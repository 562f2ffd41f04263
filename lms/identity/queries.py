"""Reads of identity providers and linked identities, and scoped lookups."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from lms.accounts.models import User
from lms.extensions import db
from lms.identity.models import ExternalIdentity, IdentityProvider
from lms.orgs.models import Organization, OrgMembership, OrgRole


def site_providers() -> list[IdentityProvider]:
    """The site-wide providers (an organization's are listed on its own page), enabled or not."""
    return list(db.session.scalars(sa.select(IdentityProvider).where(IdentityProvider.org_id.is_(None))
                                   .order_by(IdentityProvider.name, IdentityProvider.id)))


def org_providers(org: Organization) -> list[IdentityProvider]:
    return list(db.session.scalars(sa.select(IdentityProvider).where(IdentityProvider.org_id == org.id)
                                   .order_by(IdentityProvider.name, IdentityProvider.id)))


def get_site_provider_or_404(provider_id: int) -> IdentityProvider:
    provider = db.session.get(IdentityProvider, provider_id)
    if provider is None or provider.org_id is not None:
        abort(404)
    return provider


def get_org_provider_or_404(org: Organization, provider_id: int) -> IdentityProvider:
    """A provider of this organization; ids of other organizations' or site-wide providers 404."""
    provider = db.session.scalar(sa.select(IdentityProvider).where(IdentityProvider.id == provider_id,
                                                                   IdentityProvider.org_id == org.id))
    if provider is None:
        abort(404)
    return provider


def get_enabled_provider_or_404(provider_id: int) -> IdentityProvider:
    """A provider anyone may start a sign-in with: it exists and is enabled."""
    provider = db.session.get(IdentityProvider, provider_id)
    if provider is None or not provider.is_enabled:
        abort(404)
    return provider


def sign_in_providers(org_id: int | None = None) -> list[tuple[IdentityProvider, str | None]]:
    """The enabled providers for the sign-in page, with their organization's name (None: site-wide):
    site-wide ones first. With `org_id`, that organization's first, then the site-wide ones."""
    query = (sa.select(IdentityProvider, Organization.name)
             .outerjoin(Organization, Organization.id == IdentityProvider.org_id)
             .where(IdentityProvider.is_enabled.is_(True)))
    if org_id is not None:
        query = query.where(sa.or_(IdentityProvider.org_id == org_id, IdentityProvider.org_id.is_(None)))
        order = sa.case((IdentityProvider.org_id == org_id, 0), else_=1)
    else:
        order = sa.case((IdentityProvider.org_id.is_(None), 0), else_=1)
    query = query.order_by(order, Organization.name, IdentityProvider.name, IdentityProvider.id)
    return [(provider, org_name) for provider, org_name in db.session.execute(query).all()]


def find_identity(issuer: str, subject: str) -> ExternalIdentity | None:
    return db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.issuer == issuer,
                                                               ExternalIdentity.subject == subject))


def identities_of(user: User) -> list[ExternalIdentity]:
    """The user's linked sign-ins (with their provider), oldest first."""
    return list(db.session.scalars(sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
                                   .order_by(ExternalIdentity.linked_at, ExternalIdentity.id)))


def get_identity_or_404(user: User, identity_id: int) -> ExternalIdentity:
    """One of `user`'s own linked sign-ins; anybody else's 404."""
    identity = db.session.get(ExternalIdentity, identity_id)
    if identity is None or not identity.can_unlink(user):
        abort(404)
    return identity


def exclusive_provider_for(user: User) -> IdentityProvider | None:
    """The enabled exclusive provider of an organization `user` belongs to (the only way they may sign in),
    or None. Site admins have none, and an organization's admins are not held to their own organization's
    provider (their break-glass way in, as Canvas and Moodle keep one): a provider that breaks, or is set up
    wrong, must never lock out the people who can fix it."""
    if user.is_admin:
        return None
    return db.session.scalar(
        sa.select(IdentityProvider)
        .join(OrgMembership, OrgMembership.org_id == IdentityProvider.org_id)
        .where(OrgMembership.user_id == user.id, OrgMembership.role != OrgRole.admin,
               IdentityProvider.is_enabled.is_(True), IdentityProvider.is_exclusive.is_(True))
        .order_by(IdentityProvider.id).limit(1))


def members_without_link(org: Organization, provider: IdentityProvider | None) -> int:
    """How many of `org`'s members (admins aside) have not linked `provider` yet (all of them for a new one):
    the people whose next sign-in must go through it once it is the only way in."""
    query = (sa.select(sa.func.count()).select_from(OrgMembership)
             .where(OrgMembership.org_id == org.id, OrgMembership.role != OrgRole.admin))
    if provider is not None and provider.id is not None:
        linked = sa.select(ExternalIdentity.user_id).where(ExternalIdentity.provider_id == provider.id)
        query = query.where(OrgMembership.user_id.not_in(linked))
    return db.session.scalar(query) or 0


def sole_reliers(provider: IdentityProvider) -> list[User]:
    """The accounts for which `provider` is the only way in: linked through it, with no usable password and
    no other linked sign-in. While there are any, the provider cannot be deleted."""
    other = sa.select(sa.func.count()).select_from(ExternalIdentity).where(
        ExternalIdentity.user_id == User.id, ExternalIdentity.provider_id.is_distinct_from(provider.id)
    ).scalar_subquery()
    linked = sa.select(ExternalIdentity.user_id).where(ExternalIdentity.provider_id == provider.id)
    candidates = db.session.scalars(sa.select(User).where(User.id.in_(linked), other == 0).order_by(User.id))
    return [user for user in candidates if not has_password_hash(user)]


def has_password_hash(user: User) -> bool:
    """Has the account a password one can sign in with? Accounts made by a provider have none (""), and
    those a roster import made have a mark starting with "!" that no password matches."""
    return bool(user.password_hash) and not user.password_hash.startswith("!")
