"""School sign-in against a real OpenID provider (oidc-provider under Node): the code flow with PKCE, state
and nonce, first sign-in creating or linking accounts, refusals, and sessions like a password sign-in."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa

from lms.accounts.models import User, UserSession
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.identity.models import ExternalIdentity
from lms.orgs.models import OrgMembership, Organization, OrgRole
from tests.accounts.helpers import session_user_id
from tests.fixtures.app import page_text
from tests.identity.conftest import authorization_url_of


def _identity(user_id: int) -> ExternalIdentity | None:
    return db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user_id))


def test_login_page_shows_a_button_per_enabled_provider(client, add_provider, make):
    """Does the sign-in page offer "Sign in with <name>" for enabled providers only?"""
    make.user()  # the site is set up
    add_provider(name="Springfield High")
    add_provider(name="Old Portal", is_enabled=False)
    text = page_text(client.get("/login"))
    assert "Sign in with Springfield High" in text
    assert "Old Portal" not in text


def test_first_sign_in_creates_an_account_and_a_session_like_a_password_sign_in(client, add_provider, oidc_sign_in,
                                                                                  make, openid_provider):
    """Does Ann's first school sign-in create her account (name, email, no password, student number kept)
    and a server-side session that the session list shows and sign-out ends?"""
    make.user()
    provider = add_provider()
    response = oidc_sign_in(client, provider, "ann", data={"next": "/profile"})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    ann = db.session.scalar(sa.select(User).where(User.email == "ann@school.example"))
    assert ann is not None and ann.name == "Ann Lee" and ann.password_hash == ""
    identity = _identity(ann.id)
    assert (identity.issuer, identity.subject, identity.provider_id) == (openid_provider.issuer, "ann", provider.id)
    assert identity.student_number == "S-1001" and identity.role == "student" and identity.last_used_at
    assert session_user_id(client) == ann.id
    assert "Where you" in page_text(client.get("/profile/sessions"))
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == ann.id))
    assert row.ended_at is None
    client.post("/logout")
    db.session.refresh(row)
    assert row.ended_at is not None and session_user_id(client) is None


def test_a_second_sign_in_uses_the_linked_identity(client, app, add_provider, oidc_sign_in, make):
    """Does the same person signing in again reach the same account (no second one)?"""
    make.user()
    provider = add_provider()
    oidc_sign_in(client, provider, "ann")
    again = app.test_client()
    oidc_sign_in(again, provider, "ann")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == "ann@school.example")) == 1
    assert session_user_id(again) == session_user_id(client)


def test_a_verified_email_links_the_existing_account(client, add_provider, oidc_sign_in, make):
    """Is Ben, who has a password account, signed into it (and the identity linked, audited) when the provider
    vouches for his address (in another case)?"""
    ben = make.user(name="Ben Ode", email="ben@school.example")
    provider = add_provider()
    response = oidc_sign_in(client, provider, "ben")
    assert response.status_code == 302
    assert session_user_id(client) == ben.id
    assert _identity(ben.id).subject == "ben"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sign_in_linked"))
    assert event.target_id == ben.id and event.details["by_email"] is True


def test_an_unverified_email_is_refused(client, add_provider, oidc_sign_in, make):
    """Is Una, whose address the provider has not verified, refused, with no account made or linked?"""
    una = make.user(email="una@school.example")
    provider = add_provider()
    response = oidc_sign_in(client, provider, "una")
    assert response.headers["Location"].endswith("/login")
    assert "has not verified your email address" in page_text(client.get("/login"))
    assert _identity(una.id) is None and session_user_id(client) is None


def test_a_domain_not_allowed_is_refused(client, add_provider, oidc_sign_in, make):
    """Is Fay (elsewhere.example) refused by a provider that signs in school.example only?"""
    make.user()
    provider = add_provider(allowed_domains=["school.example"])
    oidc_sign_in(client, provider, "fay")
    assert "may only sign in addresses at school.example" in page_text(client.get("/login"))
    assert db.session.scalar(sa.select(User).where(User.email == "fay@elsewhere.example")) is None
    assert session_user_id(client) is None


def test_a_callback_with_another_state_is_refused(client, app, add_provider, oidc_sign_in, openid_provider, make):
    """Is a code delivered with a state this browser did not send refused (here: the state changed on the way
    back, and the same answer opened in a second browser that never started a sign-in)?"""
    make.user()
    provider = add_provider()
    start = client.post(f"/login/oidc/{provider.id}")
    back = urlsplit(openid_provider.sign_in(authorization_url_of(start), "ann"))
    query = dict(parse_qsl(back.query))
    other_browser = app.test_client()
    other_browser.get(f"{back.path}?{back.query}")
    assert session_user_id(other_browser) is None
    assert "not started in this browser" in page_text(other_browser.get("/login"))
    forged = urlencode({**query, "state": "forged-state"})
    client.get(f"{back.path}?{forged}")
    assert session_user_id(client) is None
    assert "not started in this browser" in page_text(client.get("/login"))
    assert db.session.scalar(sa.select(User).where(User.email == "ann@school.example")) is None


def test_an_id_token_with_another_nonce_is_refused(client, add_provider, oidc_sign_in, make):
    """Is an ID token whose nonce is not the one this browser's request carried refused (the request's nonce
    replaced on its way to the provider, as an injected code from another flow would carry)?"""
    make.user()
    provider = add_provider()

    def other_nonce(url: str) -> str:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        assert query["nonce"] and query["code_challenge_method"] == "S256" and query["state"]
        query["nonce"] = "a-nonce-of-another-flow"
        return urlunsplit(parts._replace(query=urlencode(query)))

    oidc_sign_in(client, provider, "ann", tamper=other_nonce)
    assert session_user_id(client) is None
    assert "failed its checks" in page_text(client.get("/login"))
    assert db.session.scalar(sa.select(User).where(User.email == "ann@school.example")) is None


def test_next_cannot_lead_to_another_site(client, add_provider, oidc_sign_in, make):
    """Does a `next` of another site end on the home page, as the password form does?"""
    make.user()
    provider = add_provider()
    response = oidc_sign_in(client, provider, "ann", data={"next": "//evil.example/phish"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_a_disabled_provider_signs_nobody_in(client, add_provider, oidc_sign_in, openid_provider, make):
    """Does disabling a provider remove its button, refuse a new start, and refuse a round trip begun before?"""
    make.user()
    provider = add_provider()
    start = client.post(f"/login/oidc/{provider.id}")
    back = openid_provider.sign_in(authorization_url_of(start), "ann")
    provider.is_enabled = False
    db.session.commit()
    client.get(back.replace("http://localhost", ""))
    assert session_user_id(client) is None
    assert "turned off" in page_text(client.get("/login"))
    assert client.post(f"/login/oidc/{provider.id}").status_code == 404


def test_the_exclusive_provider_is_the_only_way_in_for_the_org_members(client, add_provider, make):
    """Are a member of an organization whose provider is exclusive refused the password form and a password
    reset, told which button to use, while others (and site admins) still sign in with a password?"""
    admin = make.user(email="admin@example.org", password="correct horse battery", is_admin=True)
    member = make.user(email="pat@school.example", password="correct horse battery")
    outsider = make.user(email="out@example.org", password="correct horse battery")
    org = Organization(name="Springfield")
    db.session.add(org)
    db.session.flush()
    for person in (member, admin):
        db.session.add(OrgMembership(org_id=org.id, user_id=person.id, role=OrgRole.student))
    db.session.commit()
    add_provider(org=org, name="Springfield SSO", is_exclusive=True)

    refused = client.post("/login", data={"email": member.email, "password": "correct horse battery"})
    assert refused.status_code == 403
    assert "Sign in with Springfield SSO" in page_text(refused)
    assert session_user_id(client) is None
    wrong = client.post("/login", data={"email": member.email, "password": "not the password"})
    assert wrong.status_code == 401 and "Your school signs you in" not in page_text(wrong)

    from lms.accounts.operations import password_reset_token

    reset = client.get(f"/password/reset/{password_reset_token(member)}", follow_redirects=True)
    assert "no password to reset" in page_text(reset)

    for person in (outsider, admin):
        browser = client.application.test_client()
        ok = browser.post("/login", data={"email": person.email, "password": "correct horse battery"})
        assert ok.status_code == 302 and session_user_id(browser) == person.id


def test_an_answer_naming_another_issuer_is_refused(client, add_provider, openid_provider, make):
    """Is a callback whose `iss` (RFC 9207) names another provider than the one the browser was sent to
    refused (a mix-up), with no account made?"""
    make.user()
    provider = add_provider()
    start = client.post(f"/login/oidc/{provider.id}")
    back = urlsplit(openid_provider.sign_in(authorization_url_of(start), "ann"))
    query = dict(parse_qsl(back.query))
    assert query["iss"] == openid_provider.issuer
    client.get(f"{back.path}?{urlencode({**query, 'iss': 'https://evil.example'})}")
    assert session_user_id(client) is None
    assert "another provider" in page_text(client.get("/login"))


def test_a_person_who_cancels_at_the_provider_is_told_so(client, add_provider, openid_provider, make):
    """Does an error answer from the provider (the person aborted) come back as a message, not a crash?"""
    make.user()
    provider = add_provider()
    start = client.post(f"/login/oidc/{provider.id}")
    state = dict(parse_qsl(urlsplit(authorization_url_of(start)).query))["state"]
    response = client.get("/login/oidc/callback?" + urlencode({"error": "access_denied", "state": state,
                                                               "iss": openid_provider.issuer}))
    assert response.status_code == 302
    assert "refused the sign-in (access_denied)" in page_text(client.get("/login"))


def test_the_button_is_answered_with_a_page_not_a_cross_site_redirect(app, client, add_provider, openid_provider, make):
    """Chromium applies the page's CSP form-action 'self' to every redirect after a form is sent, so a 302 to
    the provider's host left the sign-in page where it was. The answer is a same-site page that moves on by
    its Refresh header (not a form navigation), with a link; the CSP itself stays 'self'."""
    make.user()
    provider = add_provider()
    start = client.post(f"/login/oidc/{provider.id}")
    url = authorization_url_of(start)
    assert url.startswith(openid_provider.issuer)
    assert "Location" not in start.headers
    assert "form-action 'self'" in start.headers["Content-Security-Policy"]
