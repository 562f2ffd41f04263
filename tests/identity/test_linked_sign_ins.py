"""Linked sign-ins on the profile: linking a provider while signed in, the list, and unlinking (never the
last way in)."""
from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.identity.models import ExternalIdentity
from tests.accounts.helpers import session_user_id
from tests.fixtures.app import page_text


def _identities(user_id: int) -> list[ExternalIdentity]:
    return list(db.session.scalars(sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user_id)))


def test_a_signed_in_person_links_a_provider_and_then_signs_in_with_it(app, client_as, add_provider, oidc_sign_in,
                                                                        make):
    """Does Zoe (a password account under another address) link the provider's Cat identity from her
    profile, see it listed with its last use, and then reach her account by signing in as Cat?"""
    zoe = make.user(name="Zoe", email="zoe@home.example")
    provider = add_provider(name="Springfield High")
    client = client_as(zoe)
    assert "Link Springfield High" in page_text(client.get("/profile/sign-ins"))
    response = oidc_sign_in(client, provider, "cat", path=f"/profile/sign-ins/{provider.id}/link")
    assert response.headers["Location"].endswith("/profile/sign-ins")
    [identity] = _identities(zoe.id)
    assert identity.subject == "cat" and identity.email == "cat@school.example"
    listing = page_text(client.get("/profile/sign-ins"))
    assert "is linked" in listing and "cat@school.example" in listing and "Never" not in listing
    assert db.session.scalar(sa.select(User).where(User.email == "cat@school.example")) is None
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sign_in_linked")).actor_id == zoe.id

    fresh = app.test_client()
    oidc_sign_in(fresh, provider, "cat")
    assert session_user_id(fresh) == zoe.id


def test_an_identity_linked_to_someone_else_cannot_be_linked_again(app, client_as, add_provider, oidc_sign_in, make):
    """Is linking the provider's Ann to Zoe refused once Ann signed in on her own account?"""
    make.user()
    provider = add_provider()
    oidc_sign_in(app.test_client(), provider, "ann")
    zoe = make.user(name="Zoe", email="zoe@home.example")
    client = client_as(zoe)
    oidc_sign_in(client, provider, "ann", path=f"/profile/sign-ins/{provider.id}/link")
    assert "already linked to another Circles account" in page_text(client.get("/profile/sign-ins"))
    assert _identities(zoe.id) == []


def test_the_only_way_in_cannot_be_unlinked(app, add_provider, oidc_sign_in, make):
    """Can Dan, whose account was made by the school sign-in (no password), not remove his only linked
    sign-in, while the list says why?"""
    make.user()
    provider = add_provider()
    client = app.test_client()
    oidc_sign_in(client, provider, "dan")
    dan = db.session.scalar(sa.select(User).where(User.email == "dan@school.example"))
    [identity] = _identities(dan.id)
    assert "Your only way in" in page_text(client.get("/profile/sign-ins"))
    client.post(f"/profile/sign-ins/{identity.id}/unlink")
    assert "only way you can sign in" in page_text(client.get("/profile/sign-ins"))
    assert len(_identities(dan.id)) == 1


def test_with_a_password_the_identity_can_be_unlinked_and_it_is_audited(app, client_as, add_provider, oidc_sign_in,
                                                                          make):
    """Can Ben, who has a password, unlink his school sign-in (recorded in the audit log), after which signing
    in with it links by verified email again rather than failing?"""
    ben = make.user(name="Ben Ode", email="ben@school.example")
    provider = add_provider()
    oidc_sign_in(app.test_client(), provider, "ben")
    [identity] = _identities(ben.id)
    client = client_as(ben)
    response = client.post(f"/profile/sign-ins/{identity.id}/unlink")
    assert response.status_code == 302
    assert _identities(ben.id) == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sign_in_unlinked"))
    assert event.actor_id == ben.id and event.details["provider"] == "Springfield High"


def test_someone_elses_identity_is_not_found(app, client_as, add_provider, oidc_sign_in, make):
    """Does unlinking another person's identity 404 and change nothing?"""
    make.user()
    provider = add_provider()
    oidc_sign_in(app.test_client(), provider, "ann")
    ann = db.session.scalar(sa.select(User).where(User.email == "ann@school.example"))
    [identity] = _identities(ann.id)
    mallory = make.user()
    assert client_as(mallory).post(f"/profile/sign-ins/{identity.id}/unlink").status_code == 404
    assert len(_identities(ann.id)) == 1


def test_an_org_providers_new_account_joins_the_org_and_the_log_says_so(app, client_as, add_provider, oidc_sign_in,
                                                                          make):
    """Does a first sign-in through Springfield's provider make Ann a student of Springfield (so its exclusive
    rule applies to her), and does the site's audit log read the link in words?"""
    from lms.orgs.models import OrgMembership, Organization, OrgRole

    admin = make.user(is_admin=True)
    org = Organization(name="Springfield")
    db.session.add(org)
    db.session.commit()
    provider = add_provider(org=org, name="Springfield SSO")
    oidc_sign_in(app.test_client(), provider, "ann")
    ann = db.session.scalar(sa.select(User).where(User.email == "ann@school.example"))
    membership = db.session.scalar(sa.select(OrgMembership).where(OrgMembership.user_id == ann.id))
    assert membership.org_id == org.id and membership.role == OrgRole.student
    log = page_text(client_as(admin).get("/admin/audit"))
    assert "School sign-in linked to an account" in log and "Springfield SSO" in log


def test_a_sign_in_whose_email_is_another_accounts_cannot_be_linked(app, client_as, add_provider, oidc_sign_in,
                                                                      make):
    """Is Emma refused (with why, and nothing changed) when she links the provider's Ann, whose verified
    email is 张云妮's account address, so that 张云妮 signing in with the school still lands in her own
    account and never in Emma's?"""
    zhang = make.user(name="张云妮", email="ann@school.example")
    emma = make.user(name="Emma", email="emma@home.example")
    provider = add_provider(name="Springfield High")
    client = client_as(emma)
    oidc_sign_in(client, provider, "ann", path=f"/profile/sign-ins/{provider.id}/link")
    text = page_text(client.get("/profile/sign-ins"))
    assert "is the address of another Circles account" in text and "ask an administrator to merge" in text
    assert _identities(emma.id) == [] and _identities(zhang.id) == []
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sign_in_linked")) is None

    fresh = app.test_client()
    oidc_sign_in(fresh, provider, "ann")
    assert session_user_id(fresh) == zhang.id
    assert [i.subject for i in _identities(zhang.id)] == ["ann"]


def test_an_unverified_email_of_another_account_is_refused_too(app, client_as, add_provider, oidc_sign_in, make):
    """Is linking the provider's Una (email not verified) refused when her address is another account's?"""
    make.user(name="Una", email="una@school.example")
    emma = make.user(name="Emma", email="emma@home.example")
    provider = add_provider()
    client = client_as(emma)
    oidc_sign_in(client, provider, "una", path=f"/profile/sign-ins/{provider.id}/link")
    assert "is the address of another Circles account" in page_text(client.get("/profile/sign-ins"))
    assert _identities(emma.id) == []


def test_a_linked_identity_wins_over_a_matching_email_and_is_never_re_pointed(app, client_as, add_provider,
                                                                                oidc_sign_in, make):
    """Once Zoe linked Cat (no account had Cat's address then), and later an account takes that address,
    does signing in as Cat still reach Zoe, leaving the link where it was?"""
    zoe = make.user(name="Zoe", email="zoe@home.example")
    provider = add_provider()
    oidc_sign_in(client_as(zoe), provider, "cat", path=f"/profile/sign-ins/{provider.id}/link")
    [identity] = _identities(zoe.id)
    cat = make.user(name="Cat Kim", email="cat@school.example")
    fresh = app.test_client()
    oidc_sign_in(fresh, provider, "cat")
    assert session_user_id(fresh) == zoe.id
    assert [i.id for i in _identities(zoe.id)] == [identity.id] and _identities(cat.id) == []
    # and Cat's own account cannot take the link over from its profile either
    client = client_as(cat)
    oidc_sign_in(client, provider, "cat", path=f"/profile/sign-ins/{provider.id}/link")
    assert "already linked to another Circles account" in page_text(client.get("/profile/sign-ins"))
    assert [i.id for i in _identities(zoe.id)] == [identity.id]
