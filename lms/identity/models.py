"""OpenID Connect providers (site-wide or an organization's) and the external identities linked to accounts."""
from __future__ import annotations

import base64
import enum
from datetime import datetime

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class IdentityKind(enum.StrEnum):
    """Where an external identity comes from; stored as a plain string."""

    oidc = "oidc"
    lti = "lti"


def _fernet() -> Fernet:
    """A Fernet key derived from the app's SECRET_KEY (HKDF-SHA256, its own `info`), so the stored client
    secrets are useless without the key and no other use of SECRET_KEY can produce it."""
    secret = current_app.config["SECRET_KEY"]
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"circles identity provider client secret").derive(raw)
    return Fernet(base64.urlsafe_b64encode(key))


class IdentityProvider(db.Model):
    """An OpenID Connect provider people sign in with: site-wide (`org_id` None) or an organization's."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))  #: on the button: "Sign in with <name>"
    issuer: Mapped[str] = mapped_column(sa.String(500))  #: discovery is <issuer>/.well-known/openid-configuration
    client_id: Mapped[str] = mapped_column(sa.String(255))
    #: Fernet token of the client secret (key derived from SECRET_KEY); read through `client_secret`
    client_secret_encrypted: Mapped[str] = mapped_column("client_secret", sa.Text, default="")
    scopes: Mapped[str] = mapped_column(sa.String(500), default="openid email profile")
    email_claim: Mapped[str] = mapped_column(sa.String(100), default="email")
    name_claim: Mapped[str] = mapped_column(sa.String(100), default="name")
    student_number_claim: Mapped[str | None] = mapped_column(sa.String(100))
    role_claim: Mapped[str | None] = mapped_column(sa.String(100))
    #: lower-case email domains allowed to sign in ("school.edu"); empty: any
    allowed_domains: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: the organization's members may sign in only this way (no password sign-in, no password reset)
    is_exclusive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def client_secret(self) -> str:
        """The client secret in clear (needs the app's SECRET_KEY); "" if none or it cannot be read."""
        if not self.client_secret_encrypted:
            return ""
        try:
            return _fernet().decrypt(self.client_secret_encrypted.encode()).decode()
        except InvalidToken:  # SECRET_KEY changed since it was stored: the admin enters it again
            return ""

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = _fernet().encrypt(value.encode()).decode() if value else ""

    @property
    def secret_hint(self) -> str:
        """What a page may show of the secret: its last 4 characters, when it is long enough."""
        secret = self.client_secret
        return secret[-4:] if len(secret) >= 12 else ""

    def allows_email(self, email: str | None) -> bool:
        """Is `email`'s domain one this provider may sign in (always, when no domain is listed)?"""
        if not self.allowed_domains:
            return True
        domain = (email or "").rpartition("@")[2].strip().lower()
        return bool(domain) and domain in self.allowed_domains

    def __repr__(self) -> str:
        return f"<IdentityProvider {self.id} {self.issuer}>"


class ExternalIdentity(db.Model):
    """An identity another system vouches for (an OpenID provider now, an LTI platform later), linked to
    one account. (issuer, subject) names the person at that system, whatever their email says."""

    __tablename__ = "external_identities"
    __table_args__ = (sa.UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default=IdentityKind.oidc.value)  #: an IdentityKind
    #: the provider it was linked through; NULL once that provider is deleted (the link still names the issuer)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("identity_providers.id", ondelete="SET NULL"),
                                                    index=True)
    issuer: Mapped[str] = mapped_column(sa.String(500))
    subject: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(254))  #: as the issuer last said it
    #: the student number and role the issuer last gave (the claims the provider names), for circles that ask
    student_number: Mapped[str | None] = mapped_column(sa.String(64))
    role: Mapped[str | None] = mapped_column(sa.String(64))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    provider: Mapped[IdentityProvider | None] = relationship(lazy="joined")

    def can_unlink(self, user: User) -> bool:
        return user.is_authenticated and self.user_id == user.id

    @property
    def audit_label(self) -> str:
        return f"{self.issuer} · {self.subject}"

    def __repr__(self) -> str:
        return f"<ExternalIdentity {self.id} user={self.user_id} {self.issuer}>"
