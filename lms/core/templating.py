"""Template globals and filters shared by every page."""
from __future__ import annotations

from flask import g, has_app_context
from flask.globals import _cv_request
from flask_babel import get_locale, get_timezone, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup

from lms.core.i18n import LANGUAGE_NAMES, format_names, keep_wtforms_catalogues, local_datetime, zone_label
from lms.core.urls import external_url


def init_app(app) -> None:
    from lms.core.text import render_markdown

    app.jinja_env.filters["localtime"] = local_datetime
    app.jinja_env.filters["markdown"] = render_markdown  # returns sanitized HTML (Markup)
    app.jinja_env.filters["names"] = format_names  # a list as the language writes one: "A, B, and C", "A、B和C"
    # links people copy and share (an invite) point to the configured public host, as mail does
    app.jinja_env.globals["external_url"] = external_url
    # a global, not a context variable, so imported form macros can name the zone a field is read in
    app.jinja_env.globals["zone_label"] = zone_label
    app.jinja_env.globals["url_for"] = _cached_url_for(app)
    _install_gettext(app.jinja_env)
    keep_wtforms_catalogues()

    @app.context_processor
    def inject():
        # the page's own gettext, bound to the catalogue of this render's locale (imported macros, which
        # see only the globals, use the module functions below: same answers)
        translations = _translations()
        gettext = _make_gettext(lambda: translations)
        locale = str(get_locale())
        return {
            "_": gettext,
            "gettext": gettext,
            "ngettext": _make_ngettext(lambda: translations),
            "language_names": LANGUAGE_NAMES,
            "current_locale": locale,
            "time_zone": str(get_timezone()),
            "html_lang": locale.replace("_", "-"),  # en, zh-Hans, zh-Hant (BCP 47)
        }


def _cached_url_for(app, limit: int = 2048):
    """Templates' url_for, keeping the links it built per app and script root: a page builds the same
    navigation, asset and circle links on every request, and building one walks the URL map. Kept only
    when every value is a plain int or str and the link is not external; a relative ".endpoint", an app
    with url_defaults or a call outside a request builds each time, as url_for does. At `limit` links
    the store starts again."""
    url_for, kept, plain = app.url_for, {}, (int, str)

    def cached_url_for(endpoint: str, **values):
        # the request from its context variable: through the `request` proxy each look-up cost more
        # than the rest of a cached link (a feed page builds about 80)
        ctx = _cv_request.get(None)
        if ctx is None or endpoint[:1] == "." or app.url_default_functions:
            return url_for(endpoint, **values)
        for value in values.values():
            if type(value) not in plain:  # a bool (_external=True), None, an object: as url_for does
                return url_for(endpoint, **values)
        # keyword order is the call site's: the same link under another order is only kept twice
        key = (endpoint, ctx.request.root_path, *values.items())
        url = kept.get(key)
        if url is None:
            url = url_for(endpoint, **values)
            if "://" not in url:  # never one made external (a scheme asked for, another host)
                if len(kept) >= limit:
                    kept.clear()
                kept[key] = url
        return url

    return cached_url_for


def _translations():
    """Flask-Babel's translations for the current locale, resolved once per request and locale.
    Flask-Babel resolves its context, domain and locale again for every string, and a page has
    dozens of strings (scripts/bench/pages)."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()  # follows force_locale() and refresh()
    cached = g.get("_lms_translations")
    if cached is None or cached[0] is not locale:
        cached = g._lms_translations = (locale, get_translations())
    return cached[1]


def _finished(translations) -> dict:
    """Strings of one catalogue as templates print them without variables under autoescape (translated,
    %-formatted, marked safe), kept on the catalogue: pages repeat the same few hundred."""
    try:
        return translations._lms_finished
    except AttributeError:
        translations._lms_finished = {}
        return translations._lms_finished


def _make_gettext(translations_of):
    @pass_eval_context
    def gettext(eval_ctx, __string: str, **variables):
        """Jinja's newstyle gettext: the translation, marked safe under autoescape, always %-formatted
        (jinja2.ext._make_new_gettext, without its second template call per string)."""
        translations = translations_of()
        if variables or not eval_ctx.autoescape:
            rv = translations.ugettext(__string)
            return (Markup(rv) if eval_ctx.autoescape else rv) % variables
        finished = _finished(translations)
        rv = finished.get(__string)
        if rv is None:
            rv = finished[__string] = Markup(translations.ugettext(__string)) % variables
        return rv
    return gettext


def _make_ngettext(translations_of):
    @pass_eval_context
    def ngettext(eval_ctx, __singular: str, __plural: str, __num: int, **variables):
        """Jinja's newstyle ngettext (jinja2.ext._make_new_ngettext): `num` is there to format."""
        variables.setdefault("num", __num)
        rv = translations_of().ungettext(__singular, __plural, __num)
        return (Markup(rv) if eval_ctx.autoescape else rv) % variables
    return ngettext


_gettext = _make_gettext(_translations)
_ngettext = _make_ngettext(_translations)


def _install_gettext(env) -> None:
    """The templates' gettext functions, with the meaning Flask-Babel installs (newstyle) but
    reading _translations()."""
    env.install_gettext_callables(
        gettext=lambda string: _translations().ugettext(string),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    # `_` is an alias that looks `gettext` up in the template's context on each call; nothing
    # defines another `gettext`, so `_` is the function itself.
    env.globals.update(gettext=_gettext, ngettext=_ngettext, _=_gettext)
