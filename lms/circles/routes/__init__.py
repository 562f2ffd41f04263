"""Circle views, one module per aggregate; importing this package attaches them all to `bp`."""
from lms.circles import bp, display
from lms.circles.archived import refuse_writes_to_archived
from lms.circles.codes import format_code
from lms.circles.forms import KIND_NAMES, POLICY_LABELS, ROLE_LABELS
from lms.circles.queries import removal_reason
from lms.circles.routes import circles, enrolment, joining, roster  # noqa: F401  (registers the views)

# How a circle's words read on every page (any domain's templates show a role or a course code).
bp.add_app_template_filter(format_code, "code")
bp.add_app_template_global(ROLE_LABELS.get, "role_label")
bp.add_app_template_global(KIND_NAMES.get, "kind_label")  # a word; the form explains the kinds
bp.add_app_template_global(POLICY_LABELS.get, "policy_label")
# How a person looks on any page (_partials/avatar.html and member.html hand these on)
bp.add_app_template_global(display.avatar, "avatar")
bp.add_app_template_global(display.member_name, "member_name")
# The pages a removed member meets (circles/barred.html, errors/removed.html) give the staff's reason
bp.add_app_template_global(removal_reason, "removal_reason")
# An archived circle is read-only for every domain's views (lms/circles/archived.py)
bp.before_app_request(refuse_writes_to_archived)


@bp.record_once
def _register_with_accounts(state) -> None:
    """Members of a circle see each other's avatars; an invite link names its circle on the sign-up page."""
    from lms.accounts.hooks import register_avatar_rule, register_invitation_finder
    from lms.circles.queries import circle_invited_to, shares_a_circle_with

    register_avatar_rule(state.app, "circles", shares_a_circle_with)
    register_invitation_finder(state.app, "circles", circle_invited_to)


@bp.record_once
def _register_with_errors(state) -> None:
    """A refused page or form of a circle someone was removed from says so (lms.core.errors)."""
    from lms.circles.queries import removed_from
    from lms.core.errors import REMOVED_FROM

    state.app.extensions[REMOVED_FROM] = removed_from


@bp.record_once
def _register_with_audit(state) -> None:
    """How the circles' events read on the audit log, and how it names and finds circles."""
    from lms.circles import audit_details

    audit_details.register(state.app)


__all__ = ["bp"]
