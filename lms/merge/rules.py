"""Merge rules: what happens to each column that references users.id when two accounts merge.

Every foreign key to users.id in the metadata needs a rule here; tests/merge/test_rules.py fails
for one without. Rules are data: `MOVE` (the row now belongs to the kept account), `MOVE_UNIQUE` (move,
except rows whose unique key the kept account already holds: those stay on the merged-away account,
disabled, and are counted as conflicts in the report; nothing is deleted), `LEAVE` (the column names
who did something at the time and stays as written), each with its reason. Memberships, submissions,
sessions and tokens have a step of their own in operations.py before their rule applies.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class RuleKind(enum.StrEnum):
    move = "move"
    move_unique = "move_unique"
    #: move; where the kept account already has the row (the same like twice) the merged account's
    #: duplicate is removed, kept whole in the merge record so undo puts it back
    dedupe = "dedupe"
    leave = "leave"


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    why: str = ""


MOVE = Rule(RuleKind.move)
#: the kept account's row wins; the other stays on the merged-away account and is reported
MOVE_UNIQUE = Rule(RuleKind.move_unique, "kept account's row wins where both have one")


#: one like per person: where both accounts liked the same thing, one like stays
DEDUPE = Rule(RuleKind.dedupe, "the same thing liked by both accounts is liked once")


def leave(why: str) -> Rule:
    return Rule(RuleKind.leave, why)


#: (table, column) → rule, for every foreign key to users.id.
RULES: dict[tuple[str, str], Rule] = {
    # accounts
    ("users", "merged_into_id"): Rule(RuleKind.move, "an account merged into the merged one points on"),
    ("user_sessions", "user_id"): leave("sessions of the merged account end; the rows stay"),
    ("api_tokens", "user_id"): leave("tokens of the merged account are revoked, not moved: "
                                      "their holder chose scopes for the other account"),
    ("external_identities", "user_id"): MOVE,
    ("calendar_tokens", "user_id"): MOVE_UNIQUE,
    ("audit_events", "actor_id"): leave("the audit log is append-only: it keeps who acted at the time"),
    # notifications
    ("notifications", "user_id"): MOVE_UNIQUE,
    ("notifications", "actor_id"): MOVE,
    ("notification_preferences", "user_id"): MOVE_UNIQUE,
    ("notification_settings", "user_id"): MOVE_UNIQUE,
    ("notification_fan_outs", "progress_to"): leave("a fan-out cursor (a position in user ids), not an owner"),
    # uploads and media
    ("uploads", "owner_id"): MOVE,
    ("media", "owner_id"): MOVE,
    # orgs, circles, roster
    ("org_memberships", "user_id"): MOVE_UNIQUE,
    ("roster_imports", "actor_id"): MOVE,
    ("circles", "created_by_id"): MOVE,
    ("memberships", "user_id"): Rule(RuleKind.move_unique, "one membership stays per circle: the earliest join, the stronger "
                                       "role, the real name and number of either; the other is marked left"),
    ("invites", "created_by_id"): MOVE,
    ("course_codes", "redeemed_by_id"): MOVE,
    ("circle_groups", "created_by_id"): MOVE,
    ("group_members", "user_id"): MOVE_UNIQUE,
    # feed
    ("feed_posts", "author_id"): MOVE,
    ("feed_posts", "moderated_by_id"): MOVE,
    ("feed_comments", "author_id"): MOVE,
    ("feed_comments", "moderated_by_id"): MOVE,
    ("feed_likes", "user_id"): DEDUPE,
    ("notices", "author_id"): MOVE,
    ("notice_reads", "user_id"): MOVE_UNIQUE,
    ("notice_revisions", "edited_by_id"): MOVE,
    # homework
    ("assignments", "created_by_id"): MOVE,
    ("submissions", "student_id"): Rule(RuleKind.move_unique, "versions of both move; the merged account's versions of an "
                                          "assignment are numbered after the kept account's"),
    ("submission_drafts", "student_id"): MOVE_UNIQUE,
    ("extensions", "student_id"): MOVE_UNIQUE,
    ("extensions", "created_by_id"): MOVE,
    ("extension_changes", "student_id"): MOVE,
    ("extension_changes", "changed_by_id"): MOVE,
    ("video_comments", "author_id"): MOVE,
    # reviews
    ("review_allocations", "reviewer_id"): MOVE_UNIQUE,
    ("review_allocations", "author_id"): MOVE_UNIQUE,
    ("review_allocations", "created_by_id"): MOVE,
    ("peer_reviews", "reopened_by_id"): MOVE,
    ("peer_review_examples", "created_by_id"): MOVE,
    ("peer_practice_reviews", "reviewer_id"): MOVE_UNIQUE,
    ("peer_review_extensions", "user_id"): MOVE_UNIQUE,
    ("peer_review_extensions", "granted_by_id"): MOVE,
    ("peer_review_settings", "updated_by_id"): MOVE,
    ("peer_review_settings", "released_by_id"): MOVE,
    # grading: where both accounts hold a grade for one assignment the kept account's grade stays
    # (as Canvas keeps the target user's grade); the other stays on the merged-away account and is
    # listed in the report for the teacher to look at.
    ("grades", "student_id"): MOVE_UNIQUE,
    ("grades", "graded_by_id"): MOVE,
    ("grade_changes", "changed_by_id"): MOVE,
    ("regrade_requests", "student_id"): MOVE,
    ("regrade_requests", "resolved_by_id"): MOVE,
    ("rubrics", "created_by_id"): MOVE,
    # live
    ("live_lessons", "created_by_id"): MOVE,
    ("live_attendance", "user_id"): MOVE,
    ("live_hands", "user_id"): MOVE,
    ("live_hands", "lowered_by_id"): MOVE,
    ("live_messages", "user_id"): MOVE,
    ("live_messages", "deleted_by_id"): MOVE,
    ("live_messages", "answered_by_id"): MOVE,
    ("live_polls", "created_by_id"): MOVE,
    ("live_poll_votes", "user_id"): MOVE_UNIQUE,
    ("live_replay_views", "user_id"): MOVE_UNIQUE,
    ("live_sanctions", "user_id"): MOVE,
    ("live_sanctions", "by_id"): MOVE,
    ("live_stage_seats", "user_id"): MOVE,
    ("live_stage_seats", "invited_by_id"): MOVE,
    ("checkin_tasks", "created_by_id"): MOVE,
    ("checkins", "user_id"): Rule(RuleKind.move_unique, "one check-in per task and day: the kept account's wins"),
    ("checkin_likes", "user_id"): DEDUPE,
    ("checkin_comments", "author_id"): MOVE,
    ("checkin_streaks", "user_id"): Rule(RuleKind.move_unique, "a summary per task: the kept account's stays "
                                         "(recomputed at its next check-in)"),
    ("checkin_reminders", "user_id"): MOVE_UNIQUE,
    # files of a circle: who made, uploaded or trashed them
    ("folders", "created_by_id"): MOVE,
    ("circle_files", "uploaded_by_id"): MOVE,
    ("circle_files", "deleted_by_id"): MOVE,
    ("file_versions", "uploaded_by_id"): MOVE,
    # chat: who wrote, deleted, hid; where each person is in each channel
    ("chat_channels", "created_by_id"): MOVE,
    ("chat_channel_members", "user_id"): MOVE_UNIQUE,
    ("chat_messages", "author_id"): MOVE,
    ("chat_messages", "deleted_by_id"): MOVE,
    ("chat_messages", "hidden_by_id"): MOVE,
    ("chat_reads", "user_id"): MOVE_UNIQUE,
    # moderation: reports and actions follow the person (an author's record of warnings and bans, a
    # reporter's reports, a moderator's work); one report per person and thing, one approval per circle
    ("moderation_reports", "reporter_id"): Rule(RuleKind.move_unique, "one report per person and thing: where both "
                                                "accounts reported it, the kept account's report stays"),
    ("moderation_reports", "author_id"): MOVE,
    ("moderation_reports", "resolved_by_id"): MOVE,
    ("moderation_actions", "actor_id"): MOVE,
    ("moderation_actions", "target_user_id"): MOVE,
    ("moderation_approved_writers", "user_id"): MOVE_UNIQUE,
    # the merge's own "not a duplicate" marks: about the two accounts as they were (the merged one is
    # disabled and no longer listed); who dismissed moves
    ("merge_dismissals", "user_a_id"): leave("a pair marked not one person stays as marked"),
    ("merge_dismissals", "user_b_id"): leave("a pair marked not one person stays as marked"),
    ("merge_dismissals", "dismissed_by_id"): MOVE,
}

#: a denormalized count kept on a parent row that a DEDUPE rule's removals (and their undo) adjust:
#: (table, column) → (parent table, counter column, the child's column naming the parent)
COUNTERS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("checkin_likes", "user_id"): ("checkins", "like_count", "checkin_id"),
}


@dataclass(frozen=True)
class Reference:
    """A column that holds a user id without a foreign key, in the rows where every `when` column has
    its value (roster_links.local_id is a user id where kind = 'user')."""

    rule: Rule
    when: tuple[tuple[str, str], ...] = ()


#: (table, column) → Reference, for every column that stores a user id without a foreign key
#: (tests/merge/test_rules.py fails for an id or JSON column that is in neither this nor NOT_USER_IDS)
NON_FK_REFERENCES: dict[tuple[str, str], Reference] = {
    ("roster_links", "local_id"): Reference(Rule(RuleKind.move, "the school system's person is the kept account: "
                                                 "the next import finds them, not a stranger"),
                                            when=(("kind", "user"),)),
    ("audit_events", "target_id"): Reference(leave("the audit log is history: it names the account acted on then"),
                                             when=(("target_type", "users"),)),
    ("notification_fan_outs", "recipients"): Reference(leave("a delivery list written once; the merged account "
                                                             "is disabled and its sessions ended")),
    ("notification_fan_outs", "payload"): Reference(leave("the actor of a notification being delivered, as sent")),
    ("peer_review_settings", "shortfall"): Reference(leave("the last allocation round's note, rewritten each round")),
    ("peer_review_settings", "idle"): Reference(leave("the last allocation round's note, rewritten each round")),
    ("lti_contexts", "roster_report"): Reference(leave("the report of the last roster sync, as it was")),
    ("roster_imports", "lines"): Reference(leave("an import's report is history")),
    ("roster_imports", "problems"): Reference(leave("an import's report is history")),
    ("audit_events", "details"): Reference(leave("the audit log is history")),
    ("chat_messages", "mention_ids"): Reference(leave("who a message mentioned when it was sent; they were told then")),
    ("live_lessons", "stage_turns"): Reference(leave("a running lesson's turn order, rebuilt when turns start again")),
}

#: id-like or JSON columns without a foreign key that hold no user id (checked by the same test)
NOT_USER_IDS: dict[tuple[str, str], str] = {
    ("audit_events", "circle_id"): "a circle", ("audit_events", "org_id"): "an organization",
    ("notifications", "subject_id"): "an assignment, join request or merge record (subject_type)",
    ("notifications", "params"): "names and titles as text", ("uploads", "purpose_id"): "the purpose's row",
    ("lti_tool_keys", "public_jwk"): "a key", ("api_tokens", "scopes"): "scope names",
    ("identity_providers", "allowed_domains"): "domains", ("lti_platforms", "deployment_ids"): "platform ids",
    ("roster_imports", "counts"): "numbers", ("lti_contexts", "ags_scopes"): "scope names",
    ("media", "error_params"): "message parameters", ("rubric_criteria", "levels"): "levels",
    ("peer_review_examples", "criterion_scores"): "scores", ("grades", "criterion_scores"): "scores",
    ("grade_changes", "criterion_scores"): "scores", ("peer_reviews", "criterion_scores"): "scores",
    ("peer_practice_reviews", "criterion_scores"): "scores", ("live_polls", "options"): "poll options",
    ("live_replay_views", "watched"): "replay segments", ("chat_channels", "pinned_message_id"): "a chat message",
    ("chat_reads", "last_read_id"): "a chat message", ("live_stage_seats", "tokens"): "Janus room tokens",
    ("moderation_reports", "object_id"): "the reported thing, or a membership (kind)",
    ("moderation_actions", "object_id"): "the thing acted on, or a membership (kind)",
    ("org_class_defaults", "locked"): "setting names", ("class_figures", "figures"): "a class's counts",
}
