"""Reads of LTI contexts."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.circles.models import Circle, Membership
from lms.extensions import db
from lms.lti.models import LtiContext


def home_section(circle: Circle, viewer: User, membership: Membership | None) -> dict[str, Any] | None:
    """The circle's linked LMS course, for its staff (no query for anyone else); None if there is none."""
    if membership is None or not membership.is_active or not membership.is_staff:
        return None
    mapped = db.session.scalar(sa.select(LtiContext).options(joinedload(LtiContext.platform))
                               .where(LtiContext.circle_id == circle.id).order_by(LtiContext.id).limit(1))
    if mapped is None:
        return None
    from lms.lti.passback import failed_count

    return {"lti_context": mapped, "can_sync": bool(mapped.memberships_url) and circle.can_manage_members(viewer),
            "failed_passbacks": failed_count(mapped) if mapped.lineitems_url else 0}
