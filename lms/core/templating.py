"""Template globals and filters shared by every page."""
from __future__ import annotations

import types

from flask import g, has_app_context
from flask.globals import _cv_request
from flask_babel import format_percent, get_locale, get_timezone, get_translations, pgettext
from jinja2 import pass_eval_context
from jinja2.runtime import Context
from jinja2.utils import _PassArg, internalcode
from markupsafe import Markup, escape

from lms.core.i18n import (LANGUAGE_NAMES, format_names, join_sentences, keep_wtforms_catalogues, local_datetime,
                           moment_in_zone, spaced_after_text, zone_label)
from lms.core.urls import external_url


def init_app(app) -> None:
    from lms.core.text import render_markdown

    app.jinja_env.filters["localtime"] = local_datetime
    # the same with the zone named, for a sentence that says which zone: "Review until 3/12/31, 6:00 PM Asia/Shanghai
    # (GMT+08:00)." (moment_in_zone: the reader's words for the zone, the offset of that time)
    app.jinja_env.filters["localtime_zoned"] = moment_in_zone
    app.jinja_env.filters["markdown"] = render_markdown  # returns sanitized HTML (Markup)
    app.jinja_env.filters["names"] = format_names  # a list as the language writes one: "A, B, and C", "A、B和C"
    app.jinja_env.filters["parenthesized"] = parenthesized  # " (3)", "（3）"
    app.jinja_env.filters["after_text"] = after_text  # " (past)", "（已截止）"
    app.jinja_env.filters["percent"] = format_percent  # a share (0.45) as the language writes it: "45%"
    # links people copy and share (an invite) point to the configured public host, as mail does
    app.jinja_env.globals["external_url"] = external_url
    # a global, not a context variable, so imported form macros can name the zone a field is read in
    app.jinja_env.globals["zone_label"] = zone_label
    app.jinja_env.globals["join_sentences"] = join_sentences
    app.jinja_env.globals["url_for"] = _cached_url_for(app)
    # a global for imported macros, and in the page's context below (Flask-WTF puts its own in both)
    csrf_token = app.jinja_env.globals["csrf_token"] = _kept_csrf_token(app)
    app.jinja_env.context_class = _Context
    app.jinja_env.globals["tabs_more"] = tabs_more
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
            "csrf_token": csrf_token,
        }


def parenthesized(note) -> Markup:
    """`note` (a count, a role, an email) between the reader's language's parentheses, set after the text before
    it: " (Owner)" in English, "（班主任）" in Chinese, which writes full-width ones with no space before them
    ("(" and ")" pieced around a value in a template stay ASCII in every language, and a space before "（" shows as
    a gap). A template writes it right after that text: `{{ name }}{{ role | parenthesized }}`. `note` is escaped
    unless it is Markup."""
    pattern = pgettext("a note in parentheses", "(%(note)s)")
    return after_text(Markup(escape(pattern).replace("%(note)s", "\x00")).replace("\x00", escape(note)))


def after_text(note) -> Markup:
    """A note that carries its own parentheses (a translated "(past)", "（已截止）") set after the text before it:
    a space before an ASCII "(", none before a full-width "（". `note` is escaped unless it is Markup."""
    return Markup(spaced_after_text(escape(note)))


def tabs_more(id: str) -> Markup:  # noqa: A002 (the element's id)
    """The end of a tab bar (<nav class="tabs" data-tabs>): its "More" menu, filled by static/js/core/app.js
    with the tabs that do not fit in one row (without scripts the row wraps and this stays hidden). `id`:
    unique on the page. A template global, not a macro: importing a macro module costs every page with a tab
    bar a look-up. The label is the translator's text, as a template's pgettext gives it."""
    menu = escape(id)
    label = Markup(pgettext("tab bar", "More"))
    return Markup(f'<div class="tabs-more" data-tabs-more hidden>\n'
                  f'  <button type="button" aria-expanded="false" aria-controls="{menu}">{label} '
                  f'<span aria-hidden="true">▾</span></button>\n'
                  f'  <div class="tabs-more-menu" id="{menu}" data-tabs-menu hidden></div>\n</div>')


#: what a template calls most (url_for, gettext, a bound predicate such as circle.can_view, a dict's get)
_PLAIN_CALLABLES = frozenset({types.FunctionType, types.MethodType, types.BuiltinFunctionType})


class _Context(Context):
    """Jinja's template context with a quicker call of a plain function: a page makes about a hundred
    calls, and Jinja asks each callable (and its __call__) how it wants to be called (three attribute
    look-ups) before calling it. A function or method that asks for nothing, the evaluation context
    (gettext) or the environment is called here as Jinja would call it; anything else (one that asks
    for the context, a callable object) takes Jinja's own path."""

    @internalcode
    def call(__self, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        if type(__obj) not in _PLAIN_CALLABLES:
            return super().call(__obj, *args, **kwargs)
        pass_arg = getattr(__obj, "jinja_pass_arg", None)
        if pass_arg is _PassArg.eval_context:
            args = (__self.eval_ctx, *args)
        elif pass_arg is _PassArg.environment:
            args = (__self.environment, *args)
        elif pass_arg is not None:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


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


def _kept_csrf_token(app, limit: int = 4096):
    """Templates' csrf_token(): Flask-WTF's generate_csrf, keeping the signed form of each session's token
    instead of signing it again (an HMAC and a timestamp) on every page. Only while tokens never expire
    (WTF_CSRF_TIME_LIMIT None: the signature's time is never read) and the session already holds its token;
    otherwise, and for a secret or field name of another app, generate_csrf as ever. The request's token is
    set on `g` as generate_csrf sets it, so forms built later in the request carry the same one."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    kept: dict[tuple, str] = {}

    def csrf_token() -> str:
        config = app.config
        field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        signed = g.get(field)
        if signed is not None:
            return signed
        raw = session.get(field)
        if config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None or type(raw) is not str:
            return generate_csrf()
        key = (config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, field, raw)
        signed = kept.get(key)
        if signed is None:
            signed = generate_csrf()  # signs the session's token and sets it on g
            if len(kept) >= limit:
                kept.clear()
            kept[key] = signed
        else:
            setattr(g, field, signed)
        return signed

    return csrf_token


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
