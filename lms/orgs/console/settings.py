"""The school's settings for its classes: what every new class takes (OrgClassDefaults), which settings the
classes may not change, and putting them on the existing classes. Operations flush; the request commits.

It also tells lms/orgs/class_defaults.py how the feed's, chat's, files' and moderation's part of a class is set
(those domains sit above the organizations and below the console)."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.chat.models import ChatSettings
from lms.chat.operations import ensure_main_channel
from lms.circles.models import Circle, JoinPolicy
from lms.extensions import db
from lms.feed.posts.models import FeedSettings, WhoMayPost
from lms.files.models import FileSettings
from lms.moderation.models import CircleModeration
from lms.moderation.policy import forget_settings
from lms.orgs.class_defaults import apply_class_defaults, defaults_of, register_class_setup
from lms.orgs.models import ClassSetting, OrgClassDefaults, Organization, PostingRule

#: the largest file quota a school may give a class, in bytes (1 TiB)
QUOTA_MAX = 1024**4
#: the longest word list, in characters: a class's own (lms.moderation.operations MAX_WORDS, a layer above)
MAX_WORDS = 20000


class SettingsError(ValueError):
    """A refused change of the school's settings; the message is for the user."""


def update_class_defaults(org: Organization, actor: User, *, join_policy: JoinPolicy, require_real_name: bool,
                          require_student_no: bool, who_may_post: PostingRule, chat_enabled: bool | None,
                          file_quota_bytes: int | None, word_list: str, locked: Iterable[str],
                          reapply: bool = False) -> int | None:
    """Set what every new class of `org` takes and which settings its classes may not change (`locked`:
    ClassSetting names). The caller checked `org.can_manage(actor)`. A lock is the school's value in every
    class, as Canvas's locked account settings are: a setting locked now, or a locked one whose value changed,
    is put on the school's classes that are not archived (apply_to_classes); the unlocked ones stay as each
    class has them; with `reapply`, every locked setting is put on them again. Returns the number of classes the
    locked settings were put on, or None when none were. Audited with what changed. Raises SettingsError for a quota outside 0..QUOTA_MAX, a word
    list longer than a class's, or an unknown setting name."""
    if file_quota_bytes is not None and not 0 <= file_quota_bytes <= QUOTA_MAX:
        raise SettingsError(_l("Enter a whole number of MB from 0 to %(max)d.", max=QUOTA_MAX // (1024 * 1024)))
    if len(word_list or "") > MAX_WORDS:
        raise SettingsError(_l("The word list is too long: at most %(num)d characters.", num=MAX_WORDS))
    try:
        locked_names = sorted({str(ClassSetting(name)) for name in locked})
    except ValueError:
        raise SettingsError(_l("Unknown setting.")) from None
    words = "\n".join(w.strip() for w in (word_list or "").splitlines() if w.strip())
    defaults = defaults_of(org)
    values = {"join_policy": JoinPolicy(join_policy), "require_real_name": bool(require_real_name),
              "require_student_no": bool(require_student_no), "who_may_post": PostingRule(who_may_post),
              "chat_enabled": chat_enabled, "file_quota_bytes": file_quota_bytes, "word_list": words,
              "locked": locked_names}
    locked_before = set(defaults.locked or [])
    changes = {}
    for key, value in values.items():
        before = getattr(defaults, key)
        if before != value:
            changes[key] = {"from": _plain(before), "to": _plain(value)}
            setattr(defaults, key, value)
    if defaults not in db.session:
        db.session.add(defaults)
    db.session.flush()
    if changes:
        # the word list itself is not copied into the log (it may hold words nobody wants to read there)
        details = {key: (change if key != "word_list" else {"from": _count(change["from"]), "to": _count(change["to"])})
                   for key, change in changes.items()}
        record_event(AuditAction.class_defaults_changed, actor, target=org, org_id=org.id,
                     details={"org": org.name, **details})
    column = {str(ClassSetting.file_quota): "file_quota_bytes"}  # the setting's value column, where named otherwise
    enforced = locked_names if reapply else [
        name for name in locked_names if name not in locked_before or column.get(name, name) in changes]
    return apply_to_classes(org, actor, enforced) if enforced else None


def apply_to_classes(org: Organization, actor: User, names: Iterable[str]) -> int:
    """Give every class of `org` that is not archived the school's `names` settings (ClassSetting names), as
    it stands now. Returns the number of classes. The caller checked `org.can_manage(actor)`. Audited."""
    names = sorted({str(ClassSetting(n)) for n in names})
    if not names:
        return 0
    circles = list(db.session.scalars(db.select(Circle).where(Circle.org_id == org.id, Circle.is_archived.is_(False))))
    for circle in circles:
        apply_class_defaults(circle, org, only=names)
    record_event(AuditAction.class_defaults_applied, actor, target=org, org_id=org.id,
                 details={"org": org.name, "settings": names, "classes_changed": len(circles)})
    return len(circles)


def _plain(value):
    if value is None or isinstance(value, (bool, int, list)):
        return value
    return str(value)


def _count(words: str | None) -> int:
    return len([w for w in (words or "").splitlines() if w.strip()])


# -- how a class takes the school's settings (lms/orgs/class_defaults.py) ------------------------------

def _set_feed(circle: Circle, defaults: OrgClassDefaults, names: frozenset[str]) -> None:
    if ClassSetting.who_may_post not in names:
        return
    settings = db.session.get(FeedSettings, circle.id)
    if settings is None:
        settings = FeedSettings(circle_id=circle.id, needs_approval=False, has_contest=False)
        db.session.add(settings)
    settings.who_may_post = WhoMayPost(defaults.who_may_post.value)


def _set_chat(circle: Circle, defaults: OrgClassDefaults, names: frozenset[str]) -> None:
    if ClassSetting.chat_enabled not in names or defaults.chat_enabled is None:
        return
    settings = db.session.get(ChatSettings, circle.id)
    if settings is None:
        settings = ChatSettings(circle_id=circle.id, members_may_message_members=False)
        db.session.add(settings)
    settings.is_enabled = defaults.chat_enabled
    circle.__dict__.pop("_chat_settings", None)
    db.session.flush()
    if settings.is_enabled:
        ensure_main_channel(circle)


def _set_files(circle: Circle, defaults: OrgClassDefaults, names: frozenset[str]) -> None:
    if ClassSetting.file_quota not in names:
        return
    settings = db.session.get(FileSettings, circle.id)
    if settings is None:
        if defaults.file_quota_bytes is None:
            return
        settings = FileSettings(circle_id=circle.id, members_may_upload=False)
        db.session.add(settings)
    settings.quota_bytes = defaults.file_quota_bytes


def _set_moderation(circle: Circle, defaults: OrgClassDefaults, names: frozenset[str]) -> None:
    if ClassSetting.word_list not in names:
        return
    settings = db.session.get(CircleModeration, circle.id)
    if settings is None:
        if not defaults.word_list:
            return
        settings = CircleModeration(circle_id=circle.id, links_allowed=True)
        db.session.add(settings)
    settings.word_list = defaults.word_list
    forget_settings(circle)


for _name, _setup in (("feed", _set_feed), ("chat", _set_chat), ("files", _set_files),
                      ("moderation", _set_moderation)):
    register_class_setup(_name, _setup)
