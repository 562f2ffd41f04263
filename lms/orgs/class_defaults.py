"""What a class of an organization takes from the school's settings (OrgClassDefaults): every setting when the
organization creates it, the locked ones when a teacher places their own circle into it.

The circle's own columns (join policy, real name, student number) are set here; the feed's, chat's, files' and
moderation's settings live in domains above the organizations, so the school's console registers how each is
set (lms/orgs/console/settings.py), as lms/circles/oversight.py takes rules from above.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from lms.circles.models import Circle, JoinPolicy
from lms.extensions import db
from lms.orgs.models import ClassSetting, OrgClassDefaults, Organization, PostingRule

#: sets the settings named (ClassSetting values) of a class from the school's defaults
ClassSetup = Callable[[Circle, OrgClassDefaults, frozenset[str]], None]

_SETUPS: dict[str, ClassSetup] = {}

#: the settings stored on the circle itself
_CIRCLE_COLUMNS = (ClassSetting.join_policy, ClassSetting.require_real_name, ClassSetting.require_student_no)


def register_class_setup(name: str, setup: ClassSetup) -> None:
    """Add (or replace, by `name`) how a domain above the organizations sets its part of a class."""
    _SETUPS[name] = setup


def defaults_of(org: Organization) -> OrgClassDefaults:
    """The organization's class defaults; the site's (not stored, nothing locked) when its admins never set them."""
    defaults = db.session.get(OrgClassDefaults, org.id)
    if defaults is None:
        defaults = OrgClassDefaults(org_id=org.id, join_policy=JoinPolicy.code, require_real_name=False,
                                    require_student_no=False, who_may_post=PostingRule.everyone, chat_enabled=None,
                                    file_quota_bytes=None, word_list="", locked=[])
    return defaults


def apply_class_defaults(circle: Circle, org: Organization, *, only: Iterable[str] | None = None,
                         keep: Iterable[str] = ()) -> frozenset[str]:
    """Give `circle`, a class of `org`, the school's settings: those named in `only` (None: every setting),
    but not those in `keep` unless the school locks them (a locked setting always comes from the school).
    Nothing is written when the organization never set its defaults. Returns the names set; flushes."""
    stored = db.session.get(OrgClassDefaults, org.id)
    if stored is None:
        return frozenset()
    names = set(ClassSetting) if only is None else {ClassSetting(n) for n in only}
    names -= {ClassSetting(n) for n in keep if not stored.is_locked(n)}
    names_str = frozenset(str(n) for n in names)
    for setting in _CIRCLE_COLUMNS:
        if setting in names:
            setattr(circle, str(setting), getattr(stored, str(setting)))
    for setup in _SETUPS.values():
        setup(circle, stored, names_str)
    circle.__dict__.pop("_org_locks", None)
    db.session.flush()
    return names_str
