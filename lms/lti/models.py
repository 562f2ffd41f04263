"""LTI 1.3 platforms registered with this tool, the courses (contexts) mapped onto circles, the tool's own
signing keys, and the login states waiting for their launch."""
from __future__ import annotations

import base64
from datetime import datetime

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.circles.models import Circle
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


def _fernet() -> Fernet:
    """A Fernet key derived from SECRET_KEY with its own HKDF `info` (as lms.identity does for client secrets)."""
    secret = current_app.config["SECRET_KEY"]
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"circles lti tool private key").derive(raw)
    return Fernet(base64.urlsafe_b64encode(key))


class LtiPlatform(db.Model):
    """An LMS (an LTI 1.3 platform) that may launch Circles: one registration (issuer + client id)."""

    __tablename__ = "lti_platforms"
    __table_args__ = (sa.UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    issuer: Mapped[str] = mapped_column(sa.String(500))  #: the `iss` of its id_tokens
    client_id: Mapped[str] = mapped_column(sa.String(255))  #: the `aud` it gives this tool
    #: the deployment ids (`https://purl.imsglobal.org/spec/lti/claim/deployment_id`) it may launch with
    deployment_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    auth_login_url: Mapped[str] = mapped_column(sa.String(500))  #: its OIDC authorization endpoint
    auth_token_url: Mapped[str] = mapped_column(sa.String(500), default="")  #: OAuth2 token URL (NRPS, AGS)
    keyset_url: Mapped[str] = mapped_column(sa.String(500))  #: its JWKS
    #: the platform's email claim is trusted to link a launch to an existing account with that address
    #: (LTI has no email_verified; an admin vouches for the platform instead)
    trust_email: Mapped[bool] = mapped_column(default=False)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def has_deployment(self, deployment_id: str | None) -> bool:
        return bool(deployment_id) and deployment_id in (self.deployment_ids or [])

    def __repr__(self) -> str:
        return f"<LtiPlatform {self.id} {self.issuer} {self.client_id}>"


class LtiContext(db.Model):
    """A platform's course (LTI context) and the circle it launches into."""

    __tablename__ = "lti_contexts"
    __table_args__ = (sa.UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(sa.String(255))  #: the course id at the platform
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    #: the platform's Names and Roles service for this course (the NRPS claim's context_memberships_url),
    #: as the last launch gave it; None: the platform offers none
    memberships_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: the platform's Assignment and Grade Services for this course (the AGS claim's `lineitems` URL and the
    #: scopes it grants), as the last launch gave them; None: the platform offers none
    lineitems_url: Mapped[str | None] = mapped_column(sa.String(500))
    ags_scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: when the roster was last read from the platform (NRPS), and what that sync did or why it failed
    #: ({"added", "already", "removed", "skipped", "error", "removed_names"}); None: never synced
    roster_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    roster_report: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()
    circle: Mapped[Circle] = relationship()


class GradeSyncStatus:
    """States of an assignment's grade passback (plain strings in the column)."""

    pending = "pending"  #: waiting for its job
    sent = "sent"  #: every released score was accepted by the platform
    retrying = "retrying"  #: the last attempt failed; another is due at next_attempt_at
    failed = "failed"  #: gave up after MAX_ATTEMPTS; the teacher sees the error and may send again


class LtiGradeSync(db.Model):
    """The passback of one assignment's released grades to one linked course's gradebook (AGS): made or
    reset when a grade is released or changed, worked off by a background job that retries with backoff.
    The teacher sees its status and last error on the linked course page."""

    __tablename__ = "lti_grade_syncs"
    __table_args__ = (sa.UniqueConstraint("context_id", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=GradeSyncStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)  #: failed attempts since the last success
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    sent_count: Mapped[int] = mapped_column(default=0)  #: scores accepted by the last successful attempt
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    context: Mapped[LtiContext] = relationship()


class LtiToolKey(db.Model):
    """The tool's RSA key pair: it signs the tool's messages (service tokens, deep linking responses);
    the public half is published at /lti/jwks.json. Made once, on first need."""

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Fernet token of the PEM private key (key derived from SECRET_KEY); read through `private_pem`
    private_key_encrypted: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict] = mapped_column(sa.JSON)
    #: published in the JWKS; the newest active key signs (the current one)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a rotated-out key stays published (platforms may still verify what it signed, and cache the JWKS)
    #: until this time, then it is withdrawn (is_active False); None: not rotated out
    retire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def private_pem(self) -> str:
        try:
            return _fernet().decrypt(self.private_key_encrypted.encode()).decode()
        except InvalidToken:  # SECRET_KEY changed: a new key pair is made (platforms refetch the JWKS)
            return ""

    @private_pem.setter
    def private_pem(self, value: str) -> None:
        self.private_key_encrypted = _fernet().encrypt(value.encode()).decode()


class LtiLaunchState(db.Model):
    """A login initiation waiting for its launch: the `state` (also in a cookie of the browser that started
    it) and the `nonce` the id_token must carry. Deleted when used, so a launch cannot be replayed."""

    __tablename__ = "lti_launch_states"

    state: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
