"""Readable names for what a merge moves: the merge pages and messages say "Grades given" or "Check-ins",
never a table or column name. Every (table, column) of lms/merge/rules.py gets a label here
(tests/merge/test_labels.py keeps them whole); a new one without reads as "Other records"."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: what a table's rows are, as the person whose account it is would say it
TABLES = {
    "api_tokens": _l("API tokens"),
    "assignments": _l("Assignments"),
    "audit_events": _l("Audit log entries"),
    "calendar_tokens": _l("Calendar subscriptions"),
    "chat_channel_members": _l("Chat channel memberships"),
    "chat_channels": _l("Chat channels"),
    "chat_messages": _l("Chat messages"),
    "chat_reads": _l("Chat read places"),
    "checkin_comments": _l("Check-in comments"),
    "checkin_likes": _l("Check-in likes"),
    "checkin_reminders": _l("Check-in reminders"),
    "checkin_streaks": _l("Check-in streaks"),
    "checkin_tasks": _l("Check-in tasks"),
    "checkins": _l("Check-ins"),
    "circle_files": _l("Circle files"),
    "circle_groups": _l("Groups"),
    "circles": _l("Circles"),
    "course_codes": _l("Course codes"),
    "extension_changes": _l("Deadline extension history"),
    "extensions": _l("Deadline extensions"),
    "external_identities": _l("Linked sign-ins (school, LMS)"),
    "feed_comments": _l("Comments"),
    "file_versions": _l("File versions"),
    "folders": _l("Folders"),
    "feed_likes": _l("Likes"),
    "feed_posts": _l("Posts"),
    "grade_changes": _l("Grade history"),
    "grades": _l("Grades"),
    "group_members": _l("Group memberships"),
    "invites": _l("Invitations"),
    "live_attendance": _l("Live lesson attendance"),
    "live_hands": _l("Raised hands"),
    "live_lessons": _l("Live lessons"),
    "live_messages": _l("Live lesson chat and questions"),
    "live_poll_votes": _l("Poll votes"),
    "live_polls": _l("Polls"),
    "live_replay_views": _l("Replays watched"),
    "live_sanctions": _l("Live lesson mutes and removals"),
    "live_stage_seats": _l("Time on a live lesson's stage"),
    "media": _l("Videos and files"),
    "memberships": _l("Circle memberships"),
    "moderation_actions": _l("Moderation actions"),
    "moderation_approved_writers": _l("Approved first posts"),
    "moderation_reports": _l("Reports"),
    "merge_dismissals": _l("Pairs marked “not a duplicate”"),
    "notice_reads": _l("Notices read"),
    "notice_revisions": _l("Notice edits"),
    "notices": _l("Notices"),
    "notification_fan_outs": _l("Notification deliveries"),
    "notification_preferences": _l("Notification preferences"),
    "notification_settings": _l("Notification settings"),
    "notifications": _l("Notifications"),
    "org_memberships": _l("Organization roles"),
    "peer_practice_reviews": _l("Practice peer reviews"),
    "peer_review_examples": _l("Peer review examples"),
    "peer_review_extensions": _l("Peer review extensions"),
    "peer_review_settings": _l("Peer review settings"),
    "peer_reviews": _l("Peer reviews"),
    "regrade_requests": _l("Regrade requests"),
    "review_allocations": _l("Peer review tasks"),
    "roster_imports": _l("Roster imports"),
    "roster_links": _l("Links to the school's student information system"),
    "rubrics": _l("Rubrics"),
    "submission_drafts": _l("Submission drafts"),
    "submissions": _l("Submissions (all versions)"),
    "uploads": _l("Uploads"),
    "user_sessions": _l("Sign-in sessions"),
    "users": _l("Accounts"),
    "video_comments": _l("Video comments"),
}

#: columns that say whose the row is: the row reads as the table's label alone
OWNER_COLUMNS = {"user_id", "student_id", "author_id", "owner_id"}

#: other columns: the part the account played in the row
ROLES = {
    "actor_id": _l("%(what)s: done by this account"),
    "answered_by_id": _l("%(what)s: answered by this account"),
    "by_id": _l("%(what)s: given by this account"),
    "changed_by_id": _l("%(what)s: changes made by this account"),
    "created_by_id": _l("%(what)s: created by this account"),
    "deleted_by_id": _l("%(what)s: deleted by this account"),
    "dismissed_by_id": _l("%(what)s: marked by this account"),
    "edited_by_id": _l("%(what)s: edits made by this account"),
    "graded_by_id": _l("%(what)s: given as grader"),
    "granted_by_id": _l("%(what)s: granted by this account"),
    "hidden_by_id": _l("%(what)s: hidden by this account"),
    "invited_by_id": _l("%(what)s: invited by this account"),
    "lowered_by_id": _l("%(what)s: lowered by this account"),
    "moderated_by_id": _l("%(what)s: moderated by this account"),
    "redeemed_by_id": _l("%(what)s: redeemed by this account"),
    "released_by_id": _l("%(what)s: released by this account"),
    "reopened_by_id": _l("%(what)s: reopened by this account"),
    "resolved_by_id": _l("%(what)s: resolved by this account"),
    "reviewer_id": _l("%(what)s: this account as the reviewer"),
    "updated_by_id": _l("%(what)s: updated by this account"),
    "uploaded_by_id": _l("%(what)s: uploaded by this account"),
}

#: where neither rule above reads right
SPECIAL = {
    ("users", "merged_into_id"): _l("Accounts merged into this one earlier"),
    ("review_allocations", "author_id"): _l("Peer review tasks: as the author reviewed"),
    ("merge_dismissals", "user_a_id"): _l("Pairs marked “not a duplicate”"),
    ("merge_dismissals", "user_b_id"): _l("Pairs marked “not a duplicate”"),
    ("notification_fan_outs", "progress_to"): _l("Notification deliveries in progress"),
    ("notification_fan_outs", "recipients"): _l("Notification deliveries in progress"),
    ("notification_fan_outs", "payload"): _l("Notification deliveries in progress"),
    ("audit_events", "target_id"): _l("Audit log entries: acted on"),
    ("audit_events", "details"): _l("Audit log entries"),
    ("peer_review_settings", "shortfall"): _l("Peer review settings: last round's notes"),
    ("peer_review_settings", "idle"): _l("Peer review settings: last round's notes"),
    ("lti_contexts", "roster_report"): _l("LMS course roster reports"),
    ("roster_imports", "lines"): _l("Roster imports"),
    ("roster_imports", "problems"): _l("Roster imports"),
    ("chat_messages", "mention_ids"): _l("Chat messages: mentions of this account"),
    ("live_lessons", "stage_turns"): _l("Live lessons: turns on stage"),
    ("moderation_reports", "reporter_id"): _l("Reports made by this account"),
    ("moderation_reports", "author_id"): _l("Reports: about this account's writing"),
    ("moderation_actions", "target_user_id"): _l("Moderation actions: taken on this account"),
}

OTHER = _l("Other records")


def has_label(key: tuple[str, str]) -> bool:
    table, column = key
    return key in SPECIAL or (table in TABLES and (column in OWNER_COLUMNS or column in ROLES or column == "local_id"))


def label(key: str | tuple[str, str]) -> str:
    """The readable name of a merge plan or report key ("grades.student_id" or its tuple)."""
    table, _sep, column = key.partition(".") if isinstance(key, str) else (key[0], ".", key[1])
    if (table, column) in SPECIAL:
        return str(SPECIAL[(table, column)])
    what = TABLES.get(table)
    if what is None:
        return str(OTHER)
    if column in OWNER_COLUMNS:
        return str(what)
    role = ROLES.get(column)
    return str(role % {"what": what}) if role is not None else str(what)
