"""The circle home page's sections: what the domains above circles show on it (notices, the feed,
the next due assignments, later the next live lesson), registered per app so circles never imports them.

A domain registers its section when its blueprint is registered (`bp.record_once`); the home page
renders, in each column, the sections whose `load` answers something, lower `order` first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask.signals import before_render_template, template_rendered
from markupsafe import Markup

from lms.accounts.models import User
from lms.circles.models import Circle, Membership

MAIN = "main"
SIDE = "side"
COLUMNS = (MAIN, SIDE)

_EXTENSION = "lms.circles.home"


@dataclass(frozen=True)
class HomeSection:
    name: str  #: "notices", "feed", "assignments_due", later "live"
    column: str  #: "main" or "side"
    order: int  #: lower first within the column: notices 10, feed 30; side: assignments_due 10
    template: str  #: a partial, rendered with the dict `load` returns plus `circle`, `me`
    #: (circle, viewer, membership or None) -> the partial's context, or None when the section is not shown;
    #: costs a fixed number of queries whatever the circle's size
    load: Callable[[Circle, User, Membership | None], dict[str, Any] | None]


def register_home_section(app: Flask, section: HomeSection) -> None:
    """Show `section` on every circle's home page (call from a blueprint's `record_once`); a second
    registration under the same name replaces the first."""
    if section.column not in COLUMNS:
        raise ValueError(f"unknown home page column {section.column!r}")
    app.extensions.setdefault(_EXTENSION, {})[section.name] = section


def home_sections(circle: Circle, viewer: User, membership: Membership | None) -> list[tuple[HomeSection, dict]]:
    """The registered sections this viewer sees on the circle's home page, with their context, by
    column (main first) then order then name."""
    registered = current_app.extensions.get(_EXTENSION, {}).values()
    shown = []
    for section in sorted(registered, key=lambda s: (COLUMNS.index(s.column), s.order, s.name)):
        context = section.load(circle, viewer, membership)
        if context is not None:
            shown.append((section, context))
    return shown


def render_home_sections(circle: Circle, viewer: User, membership: Membership | None,
                         shared: dict[str, Any] | None = None) -> dict[str, list[Markup]]:
    """The sections this viewer sees, each rendered from its partial, by column. The context processors
    run once for all of them (render_template would run them again for each partial); `shared`, when
    given, is their answer already."""
    columns: dict[str, list[Markup]] = {column: [] for column in COLUMNS}
    shown = home_sections(circle, viewer, membership)
    if shown:
        app = current_app._get_current_object()
        if shared is None:
            shared = {}
            app.update_template_context(shared)
        for section, context in shown:
            template = app.jinja_env.get_template(section.template)
            columns[section.column].append(
                Markup(template.render({**shared, **context, "circle": circle, "me": membership})))
    return columns


def render_home_page(template_name: str, circle: Circle, viewer: User, membership: Membership | None,
                     **context: Any) -> str:
    """The home page: `template_name` rendered with `context`, `circle`, `me` and the rendered sections
    (`main_sections`, `side_sections`). As render_template does (its signals included), but the context
    processors run once for the page and all its sections."""
    app = current_app._get_current_object()
    shared: dict[str, Any] = {}
    app.update_template_context(shared)
    columns = render_home_sections(circle, viewer, membership, shared)
    page = {**shared, **context, "circle": circle, "me": membership,
            "main_sections": columns[MAIN], "side_sections": columns[SIDE]}
    template = app.jinja_env.get_or_select_template(template_name)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=page)
    html = template.render(page)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=page)
    return html
