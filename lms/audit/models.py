"""The audit log: an append-only record of privileged actions (who, what, when, from where)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class AuditAction(enum.StrEnum):
    """Standard names of audited actions. Stored as plain strings (not a database enum), so a
    record written under a name that is later retired still reads back."""

    admin_granted = "admin_granted"
    admin_revoked = "admin_revoked"
    account_disabled = "account_disabled"
    account_enabled = "account_enabled"
    identity_changed = "identity_changed"
    org_admin_granted = "org_admin_granted"
    org_admin_revoked = "org_admin_revoked"
    org_teacher_granted = "org_teacher_granted"
    org_teacher_revoked = "org_teacher_revoked"
    circle_moved_to_org = "circle_moved_to_org"
    circle_removed_from_org = "circle_removed_from_org"
    term_archived = "term_archived"
    term_changed = "term_changed"
    term_deleted = "term_deleted"
    class_copied_to_term = "class_copied_to_term"
    class_defaults_changed = "class_defaults_changed"
    class_defaults_applied = "class_defaults_applied"
    member_role_changed = "member_role_changed"
    member_removed = "member_removed"
    member_readmitted = "member_readmitted"
    member_muted = "member_muted"
    member_unmuted = "member_unmuted"
    owner_changed = "owner_changed"
    grade_changed = "grade_changed"
    grade_released = "grade_released"
    grade_excused = "grade_excused"
    grade_unexcused = "grade_unexcused"
    grade_unreleased = "grade_unreleased"
    grades_exported = "grades_exported"
    extension_granted = "extension_granted"
    extension_changed = "extension_changed"
    extension_removed = "extension_removed"
    peer_review_changed = "peer_review_changed"
    review_reassigned = "review_reassigned"
    review_added = "review_added"
    review_reopened = "review_reopened"
    review_extension_granted = "review_extension_granted"
    review_extension_changed = "review_extension_changed"
    review_extension_removed = "review_extension_removed"
    notice_edited = "notice_edited"
    notice_deleted = "notice_deleted"
    notice_reminded = "notice_reminded"
    feed_post_hidden = "feed_post_hidden"
    feed_post_shown = "feed_post_shown"
    feed_post_removed = "feed_post_removed"
    feed_post_rejected = "feed_post_rejected"
    feed_comment_hidden = "feed_comment_hidden"
    feed_comment_removed = "feed_comment_removed"
    feed_settings_changed = "feed_settings_changed"
    group_created = "group_created"
    group_renamed = "group_renamed"
    group_deleted = "group_deleted"
    group_members_added = "group_members_added"
    group_member_moved = "group_member_moved"
    group_member_removed = "group_member_removed"
    groups_split = "groups_split"
    live_lesson_cancelled = "live_lesson_cancelled"
    live_stream_key_made = "live_stream_key_made"
    sign_in_provider_changed = "sign_in_provider_changed"
    sign_in_linked = "sign_in_linked"
    sign_in_unlinked = "sign_in_unlinked"
    api_token_created = "api_token_created"
    api_token_revoked = "api_token_revoked"
    accounts_merged = "accounts_merged"
    accounts_unmerged = "accounts_unmerged"
    merge_dismissed = "merge_dismissed"
    lti_platform_changed = "lti_platform_changed"
    checkin_task_deleted = "checkin_task_deleted"
    checkin_reminded = "checkin_reminded"
    roster_imported = "roster_imported"
    file_deleted = "file_deleted"
    file_restored = "file_restored"
    file_replaced = "file_replaced"
    folder_deleted = "folder_deleted"
    folder_restored = "folder_restored"
    file_settings_changed = "file_settings_changed"
    moderation_hide = "moderation_hide"
    moderation_unhide = "moderation_unhide"
    moderation_delete = "moderation_delete"
    moderation_approve = "moderation_approve"
    moderation_warn = "moderation_warn"
    moderation_mute = "moderation_mute"
    moderation_remove = "moderation_remove"
    moderation_ban = "moderation_ban"
    moderation_dismiss = "moderation_dismiss"
    moderation_site_hide = "moderation_site_hide"
    moderation_suspend = "moderation_suspend"
    moderation_settings_changed = "moderation_settings_changed"
    chat_channel_renamed = "chat_channel_renamed"
    chat_channel_closed = "chat_channel_closed"
    chat_channel_reopened = "chat_channel_reopened"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self, self.value))


ACTION_LABELS = {
    AuditAction.admin_granted: _l("Site admin granted"),
    AuditAction.admin_revoked: _l("Site admin revoked"),
    AuditAction.account_disabled: _l("Account disabled"),
    AuditAction.account_enabled: _l("Account enabled"),
    AuditAction.identity_changed: _l("Identity changed"),
    AuditAction.org_admin_granted: _l("Organization admin granted"),
    AuditAction.org_admin_revoked: _l("Organization admin revoked"),
    AuditAction.org_teacher_granted: _l("Organization teacher granted"),
    AuditAction.org_teacher_revoked: _l("Organization teacher revoked"),
    AuditAction.circle_moved_to_org: _l("Circle placed in the organization"),
    AuditAction.term_archived: _l("Term closed: its classes archived"),
    AuditAction.term_changed: _l("Term's name or dates changed"),
    AuditAction.term_deleted: _l("Term deleted"),
    AuditAction.class_copied_to_term: _l("Class copied into a term"),
    AuditAction.class_defaults_changed: _l("School settings for classes changed"),
    AuditAction.class_defaults_applied: _l("School settings applied to existing classes"),
    AuditAction.circle_removed_from_org: _l("Circle taken out of the organization"),
    AuditAction.member_role_changed: _l("Member role changed"),
    AuditAction.member_removed: _l("Member removed"),
    AuditAction.member_readmitted: _l("Member readmitted"),
    AuditAction.member_muted: _l("Member muted"),
    AuditAction.member_unmuted: _l("Member no longer muted"),
    AuditAction.owner_changed: _l("Circle owner changed"),
    AuditAction.grade_changed: _l("Grade changed"),
    AuditAction.grade_released: _l("Grades released"),
    AuditAction.grade_excused: _l("Grade excused"),
    AuditAction.grade_unexcused: _l("Grade no longer excused"),
    AuditAction.grade_unreleased: _l("Grades hidden again"),
    AuditAction.grades_exported: _l("Grades exported"),
    AuditAction.extension_granted: _l("Extension granted"),
    AuditAction.extension_changed: _l("Extension changed"),
    AuditAction.extension_removed: _l("Extension removed"),
    AuditAction.peer_review_changed: _l("Peer review set up"),
    AuditAction.review_reassigned: _l("Review task reassigned"),
    AuditAction.review_added: _l("Review task added by hand"),
    AuditAction.review_reopened: _l("Handed-in review reopened"),
    AuditAction.review_extension_granted: _l("Review window extended for a student"),
    AuditAction.review_extension_changed: _l("Student's review window extension changed"),
    AuditAction.review_extension_removed: _l("Student's review window extension removed"),
    AuditAction.notice_edited: _l("Notice edited"),
    AuditAction.notice_deleted: _l("Notice deleted"),
    AuditAction.notice_reminded: _l("Reminder sent about a notice"),
    AuditAction.feed_post_hidden: _l("Post hidden"),
    AuditAction.feed_post_shown: _l("Post shown again"),
    AuditAction.feed_post_removed: _l("Post deleted by the staff"),
    AuditAction.feed_post_rejected: _l("Post rejected"),
    AuditAction.feed_comment_hidden: _l("Comment hidden"),
    AuditAction.feed_comment_removed: _l("Comment deleted by the staff"),
    AuditAction.feed_settings_changed: _l("Feed settings changed"),
    AuditAction.group_created: _l("Group created"),
    AuditAction.group_renamed: _l("Group renamed"),
    AuditAction.group_deleted: _l("Group deleted"),
    AuditAction.group_members_added: _l("Added to a group"),
    AuditAction.group_member_moved: _l("Moved to another group"),
    AuditAction.group_member_removed: _l("Taken out of a group"),
    AuditAction.groups_split: _l("Students split into groups at random"),
    AuditAction.live_lesson_cancelled: _l("Live lesson cancelled"),
    AuditAction.live_stream_key_made: _l("New stream key made for a live lesson"),
    AuditAction.sign_in_provider_changed: _l("School sign-in provider set up or changed"),
    AuditAction.sign_in_linked: _l("School sign-in linked to an account"),
    AuditAction.sign_in_unlinked: _l("School sign-in unlinked from an account"),
    AuditAction.api_token_created: _l("API token created"),
    AuditAction.api_token_revoked: _l("API token revoked"),
    AuditAction.accounts_merged: _l("Accounts merged"),
    AuditAction.accounts_unmerged: _l("Account merge undone"),
    AuditAction.merge_dismissed: _l("Accounts marked “not a duplicate”"),
    AuditAction.lti_platform_changed: _l("LTI platform registered or changed"),
    AuditAction.checkin_task_deleted: _l("Check-in task deleted"),
    AuditAction.checkin_reminded: _l("Members reminded to check in"),
    AuditAction.roster_imported: _l("Roster imported (OneRoster)"),
    AuditAction.file_deleted: _l("File moved to the trash"),
    AuditAction.file_restored: _l("File restored from the trash"),
    AuditAction.file_replaced: _l("New version of a file uploaded"),
    AuditAction.folder_deleted: _l("Folder moved to the trash"),
    AuditAction.folder_restored: _l("Folder restored from the trash"),
    AuditAction.file_settings_changed: _l("File settings changed"),
    AuditAction.moderation_hide: _l("Reported content hidden"),
    AuditAction.moderation_unhide: _l("Hidden content shown again"),
    AuditAction.moderation_delete: _l("Reported content deleted"),
    AuditAction.moderation_approve: _l("Content held for review approved"),
    AuditAction.moderation_warn: _l("Member warned"),
    AuditAction.moderation_mute: _l("Member muted from the review queue"),
    AuditAction.moderation_remove: _l("Member removed from the review queue"),
    AuditAction.moderation_ban: _l("Member banned from a circle"),
    AuditAction.moderation_dismiss: _l("Report dismissed"),
    AuditAction.moderation_site_hide: _l("Content hidden by a site administrator"),
    AuditAction.moderation_suspend: _l("Account suspended from the review queue"),
    AuditAction.moderation_settings_changed: _l("Circle moderation settings changed"),
    AuditAction.chat_channel_renamed: _l("Chat channel renamed"),
    AuditAction.chat_channel_closed: _l("Chat channel closed"),
    AuditAction.chat_channel_reopened: _l("Chat channel reopened"),
}


class AuditEventImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit record."""


class AuditEvent(db.Model):
    """One privileged action. Rows are only ever inserted.

    Who and what are kept twice: as ids (for filtering) and as labels frozen at the time, so the
    record still reads right after the account is renamed or deleted, or the object is gone.
    `circle_id` and `org_id` are plain indexed integers, not foreign keys: deleting a circle or an
    organization must never cascade into its audit trail.
    """

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: set to NULL by the database if the account is deleted; `actor_label` keeps who it was
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(400), default="")  #: "Name <email>" at the time
    action: Mapped[str] = mapped_column(sa.String(64), index=True)  #: an AuditAction value
    target_type: Mapped[str | None] = mapped_column(sa.String(64))  #: the target's table name
    target_id: Mapped[int | None] = mapped_column()
    target_label: Mapped[str] = mapped_column(sa.String(400), default="")
    circle_id: Mapped[int | None] = mapped_column(index=True)
    org_id: Mapped[int | None] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(45))  #: the client address (IPv6 at most 45 chars)
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))  #: truncated
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} by {self.actor_id}>"


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditEventImmutable(f"audit event {target.id} is append-only and cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditEventImmutable(f"audit event {target.id} is append-only and cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    """ORM bulk statements (`update(AuditEvent)`, `delete(AuditEvent)`) skip the mapper events."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is AuditEvent:
        raise AuditEventImmutable("audit events are append-only and cannot be changed or deleted")


# The database refuses changes too, so no code path (raw SQL, another tool) rewrites history. The one
# UPDATE allowed is the foreign key's own ON DELETE SET NULL of `actor_id` when an account is deleted.
# On SQLite only UPDATE is refused: the embedded mode has one process, and the test suite clears
# tables with DELETE. The lead's migration must run APPEND_ONLY_DDL[dialect] after creating the table.
_KEPT = [c.name for c in AuditEvent.__table__.columns if c.name != "actor_id"]
APPEND_ONLY_DDL = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events WHEN NOT (NEW.actor_id IS NULL AND "
        + " AND ".join(f"NEW.{name} IS OLD.{name}" for name in _KEPT)
        + ") BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
}


@event.listens_for(AuditEvent.__table__, "after_create")
def _install_append_only_triggers(table, connection, **_kw) -> None:
    for statement in APPEND_ONLY_DDL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
