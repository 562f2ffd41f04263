"""Every state change of the identity domain. Operations flush; the request (or CLI command) commits."""
from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_ngettext

from lms.accounts.models import User
from lms.accounts.operations import AccountError, clean_name, normalize_email
from lms.accounts.queries import get_user_by_email
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles import operations as circle_ops
from lms.circles.models import Circle, Membership, MembershipStatus, Role
from lms.core.inputs import normalize_number
from lms.core.types import utcnow
from lms.extensions import db
from lms.identity import oidc
from lms.identity.models import ExternalIdentity, IdentityKind, IdentityProvider
from lms.identity.queries import exclusive_provider_for, find_identity, has_password_hash, sole_reliers
from lms.orgs import operations as org_ops
from lms.orgs.models import Organization, OrgMembership, OrgRole

#: what a provider's settings form may set (the client secret is passed on its own)
PROVIDER_FIELDS = ("name", "issuer", "client_id", "scopes", "email_claim", "name_claim", "student_number_claim",
                   "role_claim", "allowed_domains", "is_enabled", "is_exclusive")


class IdentityError(ValueError):
    """A refused sign-in, link or change; the message is for the user."""


def _clean_settings(settings: dict[str, Any], org: Organization | None) -> dict[str, Any]:
    values = {key: settings[key] for key in PROVIDER_FIELDS if key in settings}
    if "issuer" in values:
        try:
            values["issuer"] = oidc.normalize_issuer(values["issuer"])
        except oidc.OIDCError as error:
            raise IdentityError(str(error)) from None
    if "scopes" in values:
        scopes = (values["scopes"] or "").split()
        if "openid" not in scopes:  # without it there is no ID token, hence no nonce to check
            scopes.insert(0, "openid")
        values["scopes"] = " ".join(dict.fromkeys(scopes))
    if "allowed_domains" in values:
        values["allowed_domains"] = sorted({d.strip().lower().lstrip("@") for d in values["allowed_domains"] or []
                                            if d.strip()})
    for key in ("student_number_claim", "role_claim"):
        if key in values:
            values[key] = (values[key] or "").strip() or None
    if org is None:
        values["is_exclusive"] = False  # only an organization's members can be held to one way in
    return values


def create_provider(org: Organization | None, settings: dict[str, Any], client_secret: str,
                    actor: User) -> IdentityProvider:
    """Add a provider: site-wide (`org` None) or `org`'s. `settings` holds PROVIDER_FIELDS. The caller
    checks that `actor` may manage the site's or the organization's sign-in. Raises IdentityError for an
    issuer address that cannot be one."""
    provider = IdentityProvider(org_id=org.id if org else None, **_clean_settings(settings, org))
    provider.client_secret = client_secret or ""
    db.session.add(provider)
    db.session.flush()
    record_event(AuditAction.sign_in_provider_changed, actor, target=provider, org_id=org.id if org else None,
                 details={"sign_in_change": "created", "issuer": provider.issuer})
    return provider


def update_provider(provider: IdentityProvider, org: Organization | None, settings: dict[str, Any],
                    client_secret: str | None, actor: User) -> None:
    """Change a provider's settings; a blank `client_secret` keeps the stored one. Raises IdentityError."""
    values = _clean_settings(settings, org)
    old_issuer = provider.issuer
    changed = sorted(key for key, value in values.items() if getattr(provider, key) != value)
    for key, value in values.items():
        setattr(provider, key, value)
    if client_secret:
        provider.client_secret = client_secret
        changed.append("client_secret")  # that it changed, never the value
    provider.updated_at = utcnow()
    oidc.forget(old_issuer)
    db.session.flush()
    if changed:
        change = "updated"
        if changed == ["is_enabled"]:
            change = "enabled" if provider.is_enabled else "disabled"
        record_event(AuditAction.sign_in_provider_changed, actor, target=provider, org_id=provider.org_id,
                     details={"sign_in_change": change, "fields": ", ".join(changed), "issuer": provider.issuer})


def set_provider_enabled(provider: IdentityProvider, enabled: bool, actor: User) -> None:
    """Enable or disable a provider (a disabled one shows no button and signs nobody in)."""
    if provider.is_enabled == enabled:
        return
    provider.is_enabled = enabled
    provider.updated_at = utcnow()
    db.session.flush()
    record_event(AuditAction.sign_in_provider_changed, actor, target=provider, org_id=provider.org_id,
                 details={"sign_in_change": "enabled" if enabled else "disabled", "issuer": provider.issuer})


def delete_provider(provider: IdentityProvider, actor: User) -> None:
    """Delete a provider for good. Links made through it stay (naming its issuer, so the same provider
    added again signs the same people in). Raises IdentityError while an account relies on it alone (no
    usable password and no other linked sign-in): such people would be locked out."""
    reliers = sole_reliers(provider)
    if reliers:
        names = ", ".join(user.name for user in reliers[:5])
        raise IdentityError(lazy_ngettext(
            "%(num)d account can sign in only with %(provider)s (%(names)s%(more)s). It needs a password or "
            "another linked sign-in first; until then, turn the provider off instead of deleting it.",
            "%(num)d accounts can sign in only with %(provider)s (%(names)s%(more)s). They need a password or "
            "another linked sign-in first; until then, turn the provider off instead of deleting it.",
            len(reliers), provider=provider.name, names=names, more=", …" if len(reliers) > 5 else ""))
    record_event(AuditAction.sign_in_provider_changed, actor, target=provider, org_id=provider.org_id,
                 details={"sign_in_change": "deleted", "issuer": provider.issuer, "provider": provider.name})
    oidc.forget(provider.issuer)
    db.session.delete(provider)
    db.session.flush()


# -- signing in and linking ----------------------------------------------------------------------

def _claim(claims: dict[str, Any], name: str | None) -> str | None:
    """A claim as a short single line of text ("" and non-text values are None)."""
    if not name:
        return None
    value = claims.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = unicodedata.normalize("NFKC", value).strip()
    return value or None


def _truthy(value: Any) -> bool:
    # Some providers (Amazon Cognito, older Authing) send the boolean as a string.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _is_verified(provider: IdentityProvider, claims: dict[str, Any]) -> bool:
    """May the provider's email link or make an account? `email_verified` true says so. A provider that
    sends no `email_verified` at all (Microsoft Entra ID) is trusted only for the email domains its settings
    list (the admin vouches that this provider owns those addresses), or when Entra's `xms_edov` (email
    domain owner verified) optional claim is true. `email_verified` false is always refused."""
    if "email_verified" in claims:
        return _truthy(claims["email_verified"])
    if _truthy(claims.get("xms_edov")):
        return True
    return bool(provider.allowed_domains)


def _checked_email(provider: IdentityProvider, claims: dict[str, Any]) -> str | None:
    """The email the provider gives, lower-cased, if its domain is allowed. Raises IdentityError for a
    domain the provider may not sign in."""
    email = _claim(claims, provider.email_claim)
    email = normalize_email(email) if email and "@" in email else None
    if provider.allowed_domains and not provider.allows_email(email):
        raise IdentityError(_l("%(provider)s may only sign in addresses at %(domains)s; yours is not one of them.",
                               provider=provider.name, domains=", ".join(provider.allowed_domains)))
    return email


#: words in a role claim that mean a teacher or a student (compared lower-cased, also as the last part of a
#: path or URI such as Entra's "School.Teacher" or "urn:school:teacher"); anything else maps to nothing
TEACHER_ROLES = frozenset({"teacher", "faculty", "staff", "instructor", "educator", "lecturer", "employee"})
STUDENT_ROLES = frozenset({"student", "learner", "pupil"})


def _role_values(claims: dict[str, Any], name: str | None) -> list[str]:
    """The role claim as a list of short strings: a string, a list of them (Entra's `roles`, Keycloak's mapped
    groups), or a string of space- or comma-separated words."""
    if not name:
        return []
    value = claims.get(name)
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        if isinstance(item, str):
            out.extend(part for part in (unicodedata.normalize("NFKC", p).strip() for p in
                                         item.replace(",", " ").split()) if part)
    return out[:20]


def mapped_org_role(values: list[str]) -> OrgRole | None:
    """The organization role a provider's role claim values mean: teacher if any names a teacher, else
    student if any names a student, else None (the role claim says nothing Circles knows)."""
    words = {v.lower().rsplit(":", 1)[-1].rsplit("/", 1)[-1].rsplit(".", 1)[-1] for v in values}
    if words & TEACHER_ROLES:
        return OrgRole.teacher
    if words & STUDENT_ROLES:
        return OrgRole.student
    return None


def _remember(identity: ExternalIdentity, provider: IdentityProvider, claims: dict[str, Any],
              email: str | None) -> None:
    identity.provider_id = provider.id
    identity.email = email or identity.email
    number = normalize_number(_claim(claims, provider.student_number_claim))
    identity.student_number = number or identity.student_number or None
    identity.role = " ".join(_role_values(claims, provider.role_claim)) or identity.role
    if identity.student_number:
        identity.student_number = identity.student_number[:64]
    if identity.role:
        identity.role = identity.role[:64]
    identity.last_used_at = utcnow()


def _new_identity(user: User, provider: IdentityProvider, claims: dict[str, Any], email: str | None,
                  *, by_email: bool, actor: User | None) -> ExternalIdentity:
    identity = ExternalIdentity(user=user, user_id=user.id, kind=IdentityKind.oidc.value, issuer=claims["iss"],
                                subject=str(claims["sub"])[:255], linked_at=utcnow())
    _remember(identity, provider, claims, email)
    db.session.add(identity)
    db.session.flush()
    record_event(AuditAction.sign_in_linked, actor or user, target=user, org_id=provider.org_id,
                 details={"provider": provider.name, "issuer": identity.issuer, "by_email": by_email})
    return identity


def apply_claims_to_org(provider: IdentityProvider, identity: ExternalIdentity) -> None:
    """Use what an organization's provider says of the person in that organization:

    - the role claim (provider.role_claim) maps to teacher or student (`mapped_org_role`): a member of
      the organization gets that role, someone not yet in it joins with it; an org admin stays admin, and
      a teacher is never lowered to student by a claim (a teacher may also study);
    - the student number claim fills the student number of their student memberships in the
      organization's circles where it is missing, normalised as every number is (core.inputs.normalize_number);
      a number another member of that circle holds is left out (logged by the circle's own check), never
      overwritten, and numbers the staff set are never changed.

    A site-wide provider (no organization) changes nothing here."""
    if provider.org_id is None:
        return
    user = identity.user
    role = mapped_org_role(identity.role.split()) if identity.role else None
    membership = db.session.scalar(sa.select(OrgMembership).where(OrgMembership.org_id == provider.org_id,
                                                                   OrgMembership.user_id == user.id))
    if role is not None and (membership is None or membership.role == OrgRole.student and role == OrgRole.teacher):
        org_ops.add_org_member(db.session.get(Organization, provider.org_id), user, role, None)
    number = identity.student_number
    if not number:
        return
    missing = db.session.scalars(
        sa.select(Membership).join(Circle, Circle.id == Membership.circle_id)
        .where(Circle.org_id == provider.org_id, Membership.user_id == user.id, Membership.role == Role.student,
               Membership.status == MembershipStatus.active,
               sa.or_(Membership.student_no.is_(None), Membership.student_no == "")))
    for member in missing:
        try:
            with db.session.begin_nested():
                circle_ops.update_identity(member, display_name=member.display_name, student_no=number, actor=None)
        except circle_ops.CircleError:
            continue  # taken in that circle (or refused): the staff sort it out on the roster


def sign_in_with(provider: IdentityProvider, claims: dict[str, Any]) -> tuple[User, bool]:
    """The account a provider's validated ID token `claims` sign in, and whether it was created now.

    A known (issuer, subject) signs its account in. Otherwise the provider's email must be verified
    (`email_verified` true) and of an allowed domain: an account with that address gets the identity
    linked, or a new account is made (name from the name claim, no password; added to the provider's
    organization as a student). Raises IdentityError (disabled account, unverified or missing email,
    domain not allowed)."""
    if not provider.is_enabled:
        raise IdentityError(_l("Sign-in with %(provider)s is turned off.", provider=provider.name))
    email = _checked_email(provider, claims)
    identity = find_identity(claims["iss"], str(claims["sub"]))
    if identity is not None:
        user = identity.user
        if user.is_disabled:
            raise IdentityError(_l("This account is disabled. Ask an administrator."))
        _remember(identity, provider, claims, email)
        apply_claims_to_org(provider, identity)
        return user, False
    if not email:
        raise IdentityError(_l("%(provider)s did not tell us your email address, so we cannot sign you in.",
                               provider=provider.name))
    if not _is_verified(provider, claims):
        raise IdentityError(_l("%(provider)s has not verified your email address %(email)s. Verify it there, "
                               "then sign in again.", provider=provider.name, email=email))
    user = get_user_by_email(email)
    created = False
    if user is not None:
        if user.is_disabled:
            raise IdentityError(_l("This account is disabled. Ask an administrator."))
    else:
        try:
            name = clean_name(_claim(claims, provider.name_claim) or email.partition("@")[0])
        except AccountError:
            name = clean_name(email.partition("@")[0])
        # No password: this account signs in through its linked identities until its owner sets one
        # (a password reset mailed to the verified address).
        user = User(email=email, password_hash="", name=name)
        db.session.add(user)
        db.session.flush()
        created = True
        if provider.org_id is not None:
            role = mapped_org_role(_role_values(claims, provider.role_claim)) or OrgRole.student
            db.session.add(OrgMembership(org_id=provider.org_id, user_id=user.id, user=user, role=role))
            db.session.flush()
    identity = _new_identity(user, provider, claims, email, by_email=not created, actor=None)
    apply_claims_to_org(provider, identity)
    return user, created


def link_identity(user: User, provider: IdentityProvider, claims: dict[str, Any]) -> ExternalIdentity:
    """Link the identity in `claims` to the signed-in `user` (who proved both). Raises IdentityError, changing
    nothing, if it is linked to another account, if its email (verified or not) is another account's address,
    or if its email's domain is not allowed."""
    if not provider.is_enabled:
        raise IdentityError(_l("Sign-in with %(provider)s is turned off.", provider=provider.name))
    email = _checked_email(provider, claims)
    identity = find_identity(claims["iss"], str(claims["sub"]))
    if identity is not None:
        if identity.user_id != user.id:  # never re-pointed: the person it signs in stays who it signs in
            raise IdentityError(_l("This %(provider)s account is already linked to another Circles account. Sign in "
                                   "with that account instead, or ask an administrator to merge the two accounts.",
                                   provider=provider.name))
        _remember(identity, provider, claims, email)
    else:
        # The provider's email (verified or not) being another account's address means this sign-in is that
        # account's person (or claims to be): linking it here would later sign them into this account.
        owner = get_user_by_email(email) if email else None
        if owner is not None and owner.id != user.id:
            raise IdentityError(_l("The %(provider)s account you signed in with (%(email)s) is the address of "
                                   "another Circles account, so it cannot be linked to yours. Sign in with that "
                                   "account instead, or ask an administrator to merge the two accounts.",
                                   provider=provider.name, email=email))
        identity = _new_identity(user, provider, claims, email, by_email=False, actor=user)
    apply_claims_to_org(provider, identity)
    return identity


def has_password(user: User) -> bool:
    """Can the user sign in with a password at all (accounts made through a provider have none)?"""
    return has_password_hash(user) and exclusive_provider_for(user) is None


def ways_in(user: User) -> int:
    """How many ways the user can sign in: linked identities, plus a usable password."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)
                              .where(ExternalIdentity.user_id == user.id)) or 0
    return count + (1 if has_password(user) else 0)


def unlink_identity(identity: ExternalIdentity, actor: User) -> None:
    """Remove a linked sign-in. Raises IdentityError when it is the account's last way in (no usable
    password and no other linked sign-in)."""
    user = identity.user
    if ways_in(user) <= 1:
        raise IdentityError(_l("This is the only way you can sign in. Set a password or link another sign-in "
                               "before you remove it."))
    record_event(AuditAction.sign_in_unlinked, actor, target=user, org_id=identity.provider.org_id if identity.provider else None,
                 details={"provider": identity.provider.name if identity.provider else identity.issuer,
                          "issuer": identity.issuer})
    db.session.delete(identity)
    db.session.flush()

