"""Every state change of circles and memberships, one module per aggregate. Operations flush; the caller
commits. The public names are re-exported here: `from lms.circles.operations import X` works for all."""
from __future__ import annotations

from lms.circles.operations.circles import (create_circle, regenerate_join_code, set_archived, set_cover,
                                            update_circle)
from lms.circles.operations.errors import AlreadyMember, CircleError, IdentityError, MemberBarred
from lms.circles.operations.identity import KEEP, check_identity, update_identity
from lms.circles.operations.invites import create_invite, generate_course_codes, revoke_invite
from lms.circles.operations.joining import (approve_request, join_open_circle, join_with_code, join_with_course_code,
                                            join_with_invite, reject_request, request_to_join)
from lms.circles.operations.membership import (add_member, change_role, default_role, leave_circle, may_readmit,
                                               readmit_member, remove_member, transfer_ownership)
from lms.circles.operations.muting import mute_member

__all__ = [
    "KEEP", "AlreadyMember", "CircleError", "IdentityError", "MemberBarred",
    "add_member", "approve_request", "change_role", "check_identity", "create_circle", "create_invite",
    "default_role", "generate_course_codes", "join_open_circle", "join_with_code", "join_with_course_code",
    "join_with_invite", "leave_circle", "may_readmit", "mute_member", "readmit_member", "regenerate_join_code",
    "reject_request", "remove_member", "request_to_join", "revoke_invite", "set_archived", "set_cover", "transfer_ownership",
    "update_circle", "update_identity",
]
