"""The circle home page's sections: what the domains above circles show on it (notices, the feed,
the next due assignments, later the next live lesson), registered per app so circles never imports them.

A domain registers its section when its blueprint is registered (`bp.record_once`); the home page
renders, in each column, the sections whose `load` answers something, lower `order` first. A section may
also give a `probe`, read with the circle in the page's first query: when it says the section has nothing to
show, `when_empty` answers instead of `load`, without the section's own query.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask.signals import before_render_template, template_rendered
from markupsafe import Markup

from lms.accounts.models import User
from lms.circles.models import Circle, Membership

MAIN = "main"
SIDE = "side"
COLUMNS = (MAIN, SIDE)

_EXTENSION = "lms.circles.home"

#: (the circles.id column, the viewer's id as a bound parameter) -> a condition on an index (an EXISTS), read with
#: the circle: false only when the section certainly has nothing to show this viewer
Probe = Callable[[sa.ColumnElement[int], sa.BindParameter[int]], sa.ColumnElement[bool]]


@dataclass(frozen=True)
class HomeSection:
    name: str  #: "notices", "feed", "assignments_due", later "live"
    column: str  #: "main" or "side"
    order: int  #: lower first within the column: notices 10, feed 30; side: assignments_due 10
    template: str  #: a partial, rendered with the dict `load` returns plus `circle`, `me`
    #: (circle, viewer, membership or None) -> the partial's context, or None when the section is not shown;
    #: costs a fixed number of queries whatever the circle's size
    load: Callable[[Circle, User, Membership | None], dict[str, Any] | None]
    #: read with the circle in the home page's first query (lms.circles.queries.get_circle_and_facts_or_404);
    #: when false, `when_empty` gives the context instead of `load` (a circle without notices, check-ins, ...
    #: costs no query for them)
    probe: Probe | None = None
    #: the context when the probe is false, without a query (as `load` would answer then); None: not shown
    when_empty: Callable[[Circle, User, Membership | None], dict[str, Any] | None] | None = None


def register_home_section(app: Flask, section: HomeSection) -> None:
    """Show `section` on every circle's home page (call from a blueprint's `record_once`); a second
    registration under the same name replaces the first."""
    if section.column not in COLUMNS:
        raise ValueError(f"unknown home page column {section.column!r}")
    app.extensions.setdefault(_EXTENSION, {})[section.name] = section


def home_probes(app: Flask) -> dict[str, Probe]:
    """The registered sections' probes by section name (for the circle's first query)."""
    return {name: section.probe for name, section in app.extensions.get(_EXTENSION, {}).items()
            if section.probe is not None}


def home_sections(circle: Circle, viewer: User, membership: Membership | None,
                  probed: dict[str, Any] | None = None) -> list[tuple[HomeSection, dict]]:
    """The registered sections this viewer sees on the circle's home page, with their context, by
    column (main first) then order then name. `probed`: the probes' answers by section name, read with
    the circle (None, or a section missing: its `load` answers)."""
    registered = current_app.extensions.get(_EXTENSION, {}).values()
    shown = []
    for section in sorted(registered, key=lambda s: (COLUMNS.index(s.column), s.order, s.name)):
        if probed is not None and section.probe is not None and probed.get(section.name, True) is False:
            context = section.when_empty(circle, viewer, membership) if section.when_empty else None
        else:
            context = section.load(circle, viewer, membership)
        if context is not None:
            shown.append((section, context))
    return shown


def render_home_sections(circle: Circle, viewer: User, membership: Membership | None,
                         shared: dict[str, Any] | None = None,
                         probed: dict[str, Any] | None = None) -> dict[str, list[Markup]]:
    """The sections this viewer sees, each rendered from its partial, by column. The context processors
    run once for all of them (render_template would run them again for each partial); `shared`, when
    given, is their answer already. `probed`: as home_sections takes it."""
    columns: dict[str, list[Markup]] = {column: [] for column in COLUMNS}
    shown = home_sections(circle, viewer, membership, probed)
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
                     probed: dict[str, Any] | None = None, **context: Any) -> str:
    """The home page: `template_name` rendered with `context`, `circle`, `me` and the rendered sections
    (`main_sections`, `side_sections`). As render_template does (its signals included), but the context
    processors run once for the page and all its sections. `probed`: as home_sections takes it."""
    app = current_app._get_current_object()
    shared: dict[str, Any] = {}
    app.update_template_context(shared)
    columns = render_home_sections(circle, viewer, membership, shared, probed)
    page = {**shared, **context, "circle": circle, "me": membership,
            "main_sections": columns[MAIN], "side_sections": columns[SIDE]}
    template = app.jinja_env.get_or_select_template(template_name)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=page)
    html = template.render(page)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=page)
    return html
