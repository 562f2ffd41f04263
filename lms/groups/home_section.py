"""The circle home page's "My group" card (lms/circles/home.py): a student's group and who is in it. One
query for a learner, none for anyone else."""
from __future__ import annotations

from lms.accounts.models import User
from lms.circles.home import SIDE, HomeSection
from lms.circles.models import Circle, Membership
from lms.groups.models import GROUPED_ROLES
from lms.groups.queries import own_group


def load_own_group(circle: Circle, viewer: User, membership: Membership | None) -> dict | None:
    """The card's context, or None (staff, people in no group)."""
    if membership is None or not membership.is_active or membership.role not in GROUPED_ROLES:
        return None
    mine = own_group(circle, viewer)
    if mine is None:
        return None
    return {"own_group": mine}


SECTION = HomeSection(name="own_group", column=SIDE, order=20, template="groups/_home_group.html",
                      load=load_own_group)
