"""A circle's files: folders, files with their versions, and the circle's file settings."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lms.accounts.models import User
from lms.circles.models import Circle, MembershipStatus
from lms.core.inputs import comparison_key
from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db
from lms.uploads.models import Media

#: Longest folder or file name (what a file system takes).
NAME_MAX = 255
#: Days a deleted file or folder stays in the trash before the purge job deletes it for good.
TRASH_DAYS = 30


def can_view_files(circle: Circle, user: User | None) -> bool:
    """See the Files tab, open folders, download current versions: members and overseers."""
    return circle.can_view(user)


def can_manage_files(circle: Circle, user: User | None) -> bool:
    """Upload anywhere, make folders, rename, move, replace, delete, restore, see older versions and
    the trash: the staff (owner, teachers, assistants, overseers), while the circle is not archived."""
    return not circle.is_archived and circle.can_manage_members(user)


def can_see_file_history(circle: Circle, user: User | None) -> bool:
    """Older versions and the trash: the staff, also in an archived circle."""
    return circle.can_manage_members(user)


class FileSettings(db.Model):
    """What members may do with a circle's files (one row per circle; none means the defaults)."""

    __tablename__ = "circle_file_settings"

    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    #: whether members (not only the staff) may upload, and only into `member_folder`
    members_may_upload: Mapped[bool] = mapped_column(default=False)
    member_folder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("folders.id", ondelete="SET NULL"))
    #: bytes the circle's files may take (every version, the trash included); None: the site's FILES_CIRCLE_QUOTA_BYTES
    quota_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)


class Folder(db.Model):
    """A folder of a circle's files. Each circle has one root (no parent, no name), made on first use."""

    __tablename__ = "folders"
    __table_args__ = (
        # Names are unique in a folder as people compare them ("Week 1", "week 1" and "Ｗｅｅｋ 1" are one).
        sa.UniqueConstraint("parent_id", "name_key", name="uq_folders_parent_name_key"),
        # One root per circle.
        sa.Index("uq_folders_circle_root", "circle_id", unique=True,
                 sqlite_where=sa.text("parent_id IS NULL"), postgresql_where=sa.text("parent_id IS NULL")),
        sa.Index("ix_folders_circle", "circle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("folders.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX), default="")
    #: the name as compared (lms.core.inputs.comparison_key), kept by the setter of `name`
    name_key: Mapped[str] = mapped_column(sa.String(NAME_MAX), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: in the trash since; a folder's trash time is also set on everything inside it deleted with it
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    circle: Mapped[Circle] = relationship()

    @validates("name")
    def _keep_name_key(self, _key, value):
        self.name_key = comparison_key(value)[:NAME_MAX] if value else ""
        return value

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    def can_view(self, user: User | None) -> bool:
        return can_view_files(self.circle, user) and (not self.in_trash or can_see_file_history(self.circle, user))

    def can_manage(self, user: User | None) -> bool:
        return can_manage_files(self.circle, user)

    def can_upload(self, user: User | None, settings: FileSettings | None) -> bool:
        """Staff into any folder; an active member into the members' folder when the settings allow it."""
        if self.in_trash or self.circle.is_archived:
            return False
        if can_manage_files(self.circle, user):
            return True
        membership = self.circle.membership_of(user)
        return bool(settings and settings.members_may_upload and settings.member_folder_id == self.id
                    and membership is not None and membership.status == MembershipStatus.active)

    def __repr__(self) -> str:
        return f"<Folder {self.id} {self.name!r}>"


class CircleFile(db.Model):
    """A file in a circle's folder; its bytes are its current version's."""

    __tablename__ = "circle_files"
    __table_args__ = (sa.Index("ix_circle_files_folder", "folder_id", "deleted_at"),
                      sa.Index("ix_circle_files_circle_deleted", "circle_id", "deleted_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id", ondelete="CASCADE"))
    folder_id: Mapped[int] = mapped_column(sa.ForeignKey("folders.id", ondelete="CASCADE"))
    #: the name shown and offered when downloading (escaped, never a path or a storage key)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    name_key: Mapped[str] = mapped_column(sa.String(NAME_MAX), default="")
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("file_versions.id", ondelete="SET NULL", use_alter=True, name="fk_circle_files_current_version"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: in the trash since (purged TRASH_DAYS later)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    circle: Mapped[Circle] = relationship()
    folder: Mapped[Folder] = relationship()
    current_version: Mapped[FileVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    versions: Mapped[list[FileVersion]] = relationship(
        back_populates="file", foreign_keys="FileVersion.file_id", order_by="FileVersion.number.desc()",
        cascade="all, delete-orphan", passive_deletes=True)

    @validates("name")
    def _keep_name_key(self, _key, value):
        self.name_key = comparison_key(value)[:NAME_MAX]
        return value

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    def can_view(self, user: User | None) -> bool:
        """Open and download the current version: members; a file in the trash only the staff."""
        return can_view_files(self.circle, user) and (not self.in_trash or can_see_file_history(self.circle, user))

    def can_manage(self, user: User | None) -> bool:
        return can_manage_files(self.circle, user)

    def can_rename_or_trash(self, user: User | None) -> bool:
        """Rename it or put it in the trash: the staff; and its uploader while an active member of a circle
        that is not archived (a member's own upload to the members' folder, as Moodle and Canvas let a
        student manage their own files). Moving, new versions and restoring stay with the staff."""
        if self.in_trash or self.circle.is_archived:
            return can_manage_files(self.circle, user)
        if can_manage_files(self.circle, user):
            return True
        if user is None or not getattr(user, "is_authenticated", False) or self.uploaded_by_id != user.id:
            return False
        membership = self.circle.membership_of(user)
        return membership is not None and membership.status == MembershipStatus.active

    def can_fetch_version(self, user: User | None, version: FileVersion) -> bool:
        """The current version for whoever sees the file; older ones for the staff."""
        if version.file_id != self.id or not self.can_view(user):
            return False
        return version.id == self.current_version_id or can_see_file_history(self.circle, user)

    def __repr__(self) -> str:
        return f"<CircleFile {self.id} {self.name!r}>"


class FileVersion(db.Model):
    """One upload of a file's bytes. Replacing a file adds a version; none is overwritten."""

    __tablename__ = "file_versions"
    __table_args__ = (sa.UniqueConstraint("file_id", "number", name="uq_file_versions_file_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("circle_files.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    #: the upload the bytes came from (counts against its uploader's quota; deleted with the version)
    media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"), index=True)
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: audio and video: what the media pipeline made of a copy of the bytes to play in the page (owned by
    #: the version's uploader, who gets its state pushed); the bytes themselves are only downloaded
    preview_media_id: Mapped[int | None] = mapped_column(sa.ForeignKey("media.id", ondelete="SET NULL"), index=True)
    #: what the bytes are, sniffed by the server (lms/files/sniff.py); never what the browser said
    content_type: Mapped[str] = mapped_column(sa.String(100), default="application/octet-stream")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file: Mapped[CircleFile] = relationship(back_populates="versions", foreign_keys=[file_id])
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    preview_media: Mapped[Media | None] = relationship(foreign_keys=[preview_media_id])

    def __repr__(self) -> str:
        return f"<FileVersion {self.id} of {self.file_id} #{self.number}>"
