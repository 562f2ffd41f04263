"""Media items (an uploaded video or file and what processing made of it) and upload sessions."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.core.types import UTCDateTime, enum_column, utcnow
from lms.extensions import db


class MediaKind(enum.StrEnum):
    video = "video"  #: validated and transcoded for the browser
    file = "file"  #: any document (an attachment); stored as received, downloaded, never opened


class MediaState(enum.StrEnum):
    uploading = "uploading"  #: bytes are arriving (resumable)
    uploaded = "uploaded"  #: every byte is here; waiting for a worker
    checking = "checking"  #: a worker is validating it
    processing = "processing"  #: a worker is transcoding it (see `progress`)
    ready = "ready"
    failed = "failed"  #: for good; `error_code` says why, the original is kept


#: States in which a worker holds the item and keeps `heartbeat_at` fresh.
WORKING_STATES = frozenset({MediaState.checking, MediaState.processing})


class Media(db.Model):
    """One uploaded video or file. Other domains point at it (a submission's video, a check-in's
    photo) and decide who may see it; the media item itself only knows its owner."""

    __tablename__ = "media"
    __table_args__ = (sa.Index("ix_media_state_retry", "state", "retry_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the circle it was uploaded for, if any (quotas, clean-up when a circle goes)
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id", ondelete="SET NULL"), index=True)
    kind: Mapped[MediaKind] = mapped_column(enum_column(MediaKind, name="media_kind"), default=MediaKind.video)
    state: Mapped[MediaState] = mapped_column(enum_column(MediaState, name="media_state"), default=MediaState.uploading)
    #: the name the uploader's device gave the file: displayed (escaped), never used as a path
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    original_key: Mapped[str | None] = mapped_column(sa.String(200))
    mp4_key: Mapped[str | None] = mapped_column(sa.String(200))
    poster_key: Mapped[str | None] = mapped_column(sa.String(200))
    #: folder holding index.m3u8 and its segments, for long videos
    hls_prefix: Mapped[str | None] = mapped_column(sa.String(200))
    #: the heavier web video (and HLS) the standard rendition replaced at `replaced_at`: pages signed
    #: before then keep playing it (a player mid-video must not get other bytes at the same URL) until
    #: the sweep deletes it, MEDIA_URL_MAX_AGE later, when no such page can fetch anything any more
    previous_mp4_key: Mapped[str | None] = mapped_column(sa.String(200))
    previous_hls_prefix: Mapped[str | None] = mapped_column(sa.String(200))
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: a sound-only file is accepted too (transcoded to AAC in MP4, no poster): a circle file's preview
    accepts_audio: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: the length limit it was validated against (the site's, or a tighter one the uploader asked for)
    max_seconds: Mapped[int | None] = mapped_column()
    duration: Mapped[float | None] = mapped_column(sa.Float)  #: seconds, of the playable result
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    #: percent of the current step (upload while uploading, transcode while processing)
    progress: Mapped[int] = mapped_column(default=0)
    #: why it failed: a MediaRejected code ("not_video", "too_long", …) or "processing_failed"
    error_code: Mapped[str | None] = mapped_column(sa.String(40))
    error_params: Mapped[dict | None] = mapped_column(sa.JSON)
    #: processing runs started so far; a worker that dies mid-job costs one
    attempts: Mapped[int] = mapped_column(default=0)
    #: refreshed by the worker while it holds the item; a stale one means the worker died
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the sweep should (re)queue an `uploaded` item if no worker has claimed it
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the server's clock when the last byte arrived: deadlines are judged by this
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()
    upload: Mapped[Upload | None] = relationship(back_populates="media", uselist=False, cascade="all, delete-orphan")

    @property
    def is_ready(self) -> bool:
        return self.state == MediaState.ready

    @property
    def is_failed(self) -> bool:
        return self.state == MediaState.failed

    @property
    def is_video(self) -> bool:
        return self.kind == MediaKind.video

    def can_manage(self, user: User | None) -> bool:
        """Cancel, retry or delete: only its owner. Everyone else sees it through what uses it."""
        return bool(user and user.is_authenticated and user.id == self.owner_id)

    def __repr__(self) -> str:
        return f"<Media {self.id} {self.kind} {self.state}>"


class UploadMode(enum.StrEnum):
    chunks = "chunks"  #: tus-style PATCH requests through the app, appended to a file on disk
    s3 = "s3"  #: the browser PUTs parts straight to the bucket with presigned URLs


class Upload(db.Model):
    """A resumable upload in progress (or finished) for one media item."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the secret in the upload's URL; with the owner check it keeps uploads apart
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    media_id: Mapped[int] = mapped_column(sa.ForeignKey("media.id", ondelete="CASCADE"), unique=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mode: Mapped[UploadMode] = mapped_column(enum_column(UploadMode, name="upload_mode"))
    #: the size the browser announced; the upload is complete when exactly this many bytes arrived
    length: Mapped[int] = mapped_column(sa.BigInteger)
    #: bytes received so far (chunks mode; S3 counts its parts)
    offset: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    s3_upload_id: Mapped[str | None] = mapped_column(sa.String(255))
    #: what the upload is for, as its creation named it (a registered purpose, e.g. "assignment", and
    #: that thing's id); None for an upload for nothing in particular. Before each chunk the purpose
    #: may refuse further bytes (lms.uploads.access.upload_refusal): an assignment that closed.
    purpose: Mapped[str | None] = mapped_column(sa.String(20))
    purpose_id: Mapped[int | None] = mapped_column()
    part_size: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: last time bytes arrived; orphans are judged by this
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    media: Mapped[Media] = relationship(back_populates="upload")

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
