"""The kinds of notification the domains register (what it is called, how it reads, how it is mailed by
default), and the two small enums every caller names: how a kind is mailed to a person, and whether a
call follows the person's preference."""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString


class Channel(enum.StrEnum):
    """How a kind is mailed to a person: at once, in the daily digest, or not at all."""

    now = "now"
    digest = "digest"
    off = "off"


class MailRule(enum.StrEnum):
    """Whether one call of `notify` mails by the recipient's preference, always, or never."""

    preference = "preference"  #: the recipient's setting for this kind (now / daily digest / off)
    always = "always"  #: escalation: mail now (held past the recipient's quiet hours) whatever the setting
    never = "never"  #: in-app only (bell and page)


@dataclass(frozen=True)
class Kind:
    """One kind of notification. `message` is formatted with the notification's params in the recipient's
    language, so it is a lazy string written once (`_l("%(actor)s posted “%(title)s”")`)."""

    name: str  #: stored on each Notification, e.g. "notice_published"
    label: LazyString  #: the preferences page's row, e.g. _l("New notices in my circles")
    message: LazyString  #: e.g. _l("%(actor)s posted the notice “%(title)s” in %(circle)s")
    default: Channel = Channel.now
    staff_only: bool = False  #: shown on the preferences page only to people who teach somewhere
    #: the mail's subject when it is mailed on its own (default: the message), formatted the same way
    subject: LazyString | None = None
    #: a text template under templates/email/ for a richer mail (context: user, params, message, link,
    #: unsubscribe_url); default: email/notifications/notification (.txt and .html)
    mail_template: str | None = None
    #: messages for the variants of one kind (one preference row), chosen by the params' "variant"
    #: (e.g. a post hidden / removed / rejected); `message` when the variant is absent or unknown
    variants: tuple[tuple[str, LazyString], ...] = ()
    #: more context for `mail_template`, read when the mail is written (`mail_context(notification) ->
    #: dict`, in the reader's locale): what is too big to store on every notification, e.g. a notice's text
    mail_context: Callable[[Any], dict] | None = None

    def message_for(self, params: dict | None) -> LazyString:
        variant = (params or {}).get("variant")
        return next((message for name, message in self.variants if name == variant), self.message)


#: every registered kind by name, in the order registered (the preferences page's order)
_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Make `kind` known (its preference row, its message): call at module level when the domain's module
    is imported. Idempotent by name (a re-import registers the newer object). Returns `kind`."""
    if len(kind.name) > MAX_KIND_LENGTH:
        raise ValueError(f"kind name {kind.name!r} is longer than {MAX_KIND_LENGTH}")
    _KINDS[kind.name] = kind
    return kind


def registered_kinds() -> list[Kind]:
    return list(_KINDS.values())


def find_kind(name: str) -> Kind | None:
    return _KINDS.get(name)


def get_kind(kind: Kind | str) -> Kind:
    """The registered kind of that name; raises ValueError for an unknown one (a caller's typo fails at
    once, not in a page that cannot word the message)."""
    name = kind.name if isinstance(kind, Kind) else kind
    found = _KINDS.get(name)
    if found is None:
        if isinstance(kind, Kind):
            return register_kind(kind)
        raise ValueError(f"unknown notification kind {name!r}: register it with register_kind")
    return found


MAX_KIND_LENGTH = 50

#: how the domains above say whether a person teaches or runs something (circles: staff of a circle);
#: staff-only kinds are offered on the preferences page to those people
_STAFF_CHECKS: dict[str, Callable[[Any], bool]] = {}


def register_staff_check(name: str, check: Callable[[Any], bool]) -> None:
    """Let a domain say who is staff somewhere (`check(user) -> bool`), at import of its module."""
    _STAFF_CHECKS[name] = check


def is_staff_somewhere(user) -> bool:
    """Is `user` a site admin or staff by any registered check (everyone, when no domain registered one)?"""
    if getattr(user, "is_admin", False) or not _STAFF_CHECKS:
        return True
    return any(check(user) for check in _STAFF_CHECKS.values())
