"""How a person looks on a page: their avatar and, in a circle, their one identity (templates call these as
`avatar(user)` and `member_name(member, show_real=False)`; _partials/avatar.html and member.html hand them on
to templates that import them from there).

Python, not Jinja macros: a circle's home page shows a couple of dozen people, and a macro call costs several
times what building the same markup here does (scripts/bench/pages). Every value is escaped."""
from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape

from lms.core.templating import parenthesized


def avatar(user, name: str | None = None) -> Markup:
    """The user's picture (served by accounts.avatar, to those who may see it), else the first letter of `name`
    (in a circle: the name they have there, so the letter never gives away an account's real name), else of
    their account name. `user` needs id, name and avatar_key (a User or circles.queries.ShownUser)."""
    if user.avatar_key:
        return Markup(f'<img class="avatar" src="{escape(url_for("accounts.avatar", user_id=user.id))}" alt="">')
    letter = escape((name or user.name or "?")[:1].upper())
    return Markup(f'<span class="avatar avatar-letter" aria-hidden="true">{letter}</span>')


def member_name(member, show_real: bool = False) -> Markup:
    """A member as everyone in the circle sees them (avatar and display name); with `show_real` (staff pages)
    their real name and student number after it. `member` needs id, display_name, real_name, student_no and
    user (a Membership or circles.queries.ShownMember)."""
    real = ""
    if show_real and (member.real_name or member.student_no):
        between = " · " if member.real_name and member.student_no else ""
        number = f'<span class="nowrap">{escape(member.student_no)}</span>' if member.student_no else ""
        note = Markup(f'{escape(member.real_name or "")}{between}{number}')  # a number never breaks mid-way
        real = f'<span class="member-real">{parenthesized(note)}</span>'
    return Markup(f'<span class="member" data-member-id="{escape(member.id)}">{avatar(member.user, member.display_name)}'
                  f'<span class="member-name">{escape(member.display_name)}</span>{real}</span>')
