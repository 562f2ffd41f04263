"""Templates' gettext: translations looked up once per request, with Jinja's newstyle meaning."""
from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale, gettext, ngettext, refresh


def test_template_strings_follow_force_locale_within_a_request(app):
    """Does a template rendered under force_locale (mail to someone in another language) speak that
    language, and the page speak the request's language again afterwards?"""
    page = '{{ _("Sign out") }}'
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        chinese = render_template_string(page)
        with force_locale("en"):
            english = render_template_string(page)
            assert english == gettext("Sign out") == "Sign out"
        assert chinese == render_template_string(page) == gettext("Sign out") != "Sign out"


def test_template_strings_follow_a_refreshed_locale(app):
    """After the language is changed mid-request (flask_babel.refresh), do templates use the new one?"""
    page = '{{ _("Sign out") }} {{ ngettext("%(num)d member", "%(num)d members", 2) }}'
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}) as ctx:
        assert render_template_string(page) == "Sign out 2 members"
        ctx.session["locale"] = "zh_Hans"
        refresh()
        chinese = f'{gettext("Sign out")} {ngettext("%(num)d member", "%(num)d members", 2)}'
        assert render_template_string(page) == chinese != "Sign out 2 members"


def test_template_gettext_formats_and_escapes_as_jinja_newstyle(app):
    """Are variables escaped and formatted, `num` given to ngettext, and %% read as a literal percent,
    as Jinja's newstyle gettext does, in trans blocks too, and nothing escaped without autoescape?"""
    page = ('{{ _("Hello %(name)s", name="<b>Ann</b>") }}|{{ _("100%% sure") }}|'
            '{{ ngettext("%(num)d file", "%(num)d files", 3) }}|'
            '{{ ngettext("%(num)d of %(what)s", "%(num)d of %(what)s", 1, what="<i>") }}|'
            '{% trans n=2 %}{{ n }} apple{% pluralize %}{{ n }} apples{% endtrans %}')
    with app.app_context(), app.test_request_context():
        assert render_template_string(page) == "Hello &lt;b&gt;Ann&lt;/b&gt;|100% sure|3 files|1 of &lt;i&gt;|2 apples"
        plain = '{% autoescape false %}{{ _("Hello %(name)s", name="<b>") }}{% endautoescape %}'
        assert render_template_string(plain) == "Hello <b>"


def test_finished_strings_are_kept_per_catalogue(app, monkeypatch):
    """Template strings without variables are kept finished per catalogue: does the same string read in each
    language as gettext says, again on a second render, from the page, from an imported macro (which sees only
    the globals) and in an include, and unescaped, with %% read as %, where autoescape is off?"""
    from jinja2 import ChoiceLoader, DictLoader

    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader({
        "t/macro.html": '{% macro out() %}{{ _("Sign out") }}{% endmacro %}',
        "t/include.html": '{{ _("Sign out") }}'}), app.jinja_env.loader]))
    page = ('{% from "t/macro.html" import out %}{{ _("Sign out") }}|{{ out() }}|{% include "t/include.html" %}|'
            '{{ _("100%% sure") }}|{% autoescape false %}{{ _("100%% sure") }}{% endautoescape %}')
    for accept in ("zh-CN", "en", "zh-CN"):
        with app.app_context(), app.test_request_context(headers={"Accept-Language": accept}):
            word = gettext("Sign out")
            for _round in range(2):
                assert render_template_string(page) == f"{word}|{word}|{word}|100% sure|100% sure"
            assert (word != "Sign out") == (accept == "zh-CN")


def test_template_links_follow_the_script_root_and_values(app):
    """Templates keep the links they built: do they still follow the prefix the site is served under
    (SCRIPT_NAME) and their values, and do external links and unknown endpoints behave as url_for does?"""
    from flask import url_for
    from werkzeug.routing import BuildError

    page = ("{{ url_for('circles.index') }}|{{ url_for('static', filename='css/app.css') }}|"
            "{{ url_for('circles.home', circle_id=3) }}|{{ url_for('circles.home', circle_id=4) }}|"
            "{{ url_for('circles.members', circle_id=3, status='pending') }}|"
            "{{ url_for('circles.index', _external=True) }}|{{ url_for('circles.index', _scheme='https') }}")
    for base in ("http://school.example/", "http://school.example/lms/", "http://other.example/", "http://x/lms/"):
        with app.test_request_context(base_url=base):
            expected = "|".join([url_for("circles.index"), url_for("static", filename="css/app.css"),
                                 url_for("circles.home", circle_id=3), url_for("circles.home", circle_id=4),
                                 url_for("circles.members", circle_id=3, status="pending"),
                                 url_for("circles.index", _external=True), url_for("circles.index", _scheme="https")])
            assert render_template_string(page) == render_template_string(page) == expected
            assert expected.startswith("/lms/|/lms/static/css/app.css|/lms/c/3|/lms/c/4|" if "/lms/" in base
                                       else "/|/static/css/app.css|/c/3|/c/4|")
            *_links, external, secure = expected.split("|")
            assert external.startswith("http://") and secure.startswith("https://")
            with pytest.raises(BuildError):
                render_template_string("{{ url_for('no.such_endpoint') }}")


def test_template_calls_pass_what_each_callable_asks_for(app):
    """Templates call functions through a quicker path: does each kind of callable still get what Jinja
    would give it (nothing, the evaluation context, the environment, the context with a loop's variables, a
    callable object's pass_context __call__), keyword arguments, and an undefined value for StopIteration?"""
    from jinja2 import pass_context, pass_environment, pass_eval_context

    class Greeter:
        def hello(self, name, punct="!"):
            return f"hello {name}{punct}"

        @pass_context
        def __call__(self, context, name):
            return f"{context['who']}/{name}"

    def stop():
        raise StopIteration

    page = ("{{ plain(1, b=2) }}|{{ greeter.hello('x', punct='?') }}|{{ names.get('a') }}|{{ ev() }}|{{ env() }}|"
            "{% for _ in [1] %}{% set who = 'loop' %}{{ ctx() }}{% endfor %}|{{ ctx() }}|{{ greeter('y') }}|"
            "{{ stop() is undefined }}")
    with app.test_request_context():
        assert render_template_string(
            page, plain=lambda a, b: a + b, greeter=Greeter(), names={"a": "A"},
            ev=pass_eval_context(lambda eval_ctx: eval_ctx.autoescape),
            env=pass_environment(lambda env: env is app.jinja_env),
            ctx=pass_context(lambda context: context.get("who", "page")), who="page", stop=stop,
        ) == "3|hello x?|A|True|True|loop|page|page/y|True"


def test_tab_bar_more_menu_speaks_the_page_language_and_escapes_its_id(app):
    """Does the tab bar's "More" menu (a template global, once a macro) carry its id escaped, point its button
    at the menu, and read the word in the page's language as the template's pgettext did?"""
    from flask_babel import pgettext

    for accept in ("en", "zh-CN", "zh-TW"):
        with app.test_request_context(headers={"Accept-Language": accept}):
            refresh()  # the test's app context outlives each request's
            word = pgettext("tab bar", "More")
            assert render_template_string('{{ tabs_more("a<b") }}') == (
                '<div class="tabs-more" data-tabs-more hidden>\n'
                f'  <button type="button" aria-expanded="false" aria-controls="a&lt;b">{word}'
                ' <span aria-hidden="true">▾</span></button>\n'
                '  <div class="tabs-more-menu" id="a&lt;b" data-tabs-menu hidden></div>\n</div>')
            assert (word == "More") == (accept == "en")


def test_page_csrf_token_is_signed_once_per_session_and_stays_valid(app, monkeypatch):
    """Templates keep each session's signed CSRF token: does a later page of the same session carry the same
    token without signing it again, which the server's check accepts, a form built after the page in the same
    request the page's, another session another token, and a session without one get a new one as Flask-WTF
    gives it?"""
    import flask_wtf.csrf
    from flask import g, session
    from flask_wtf.csrf import generate_csrf, validate_csrf

    signed = []

    class Counting(flask_wtf.csrf.URLSafeTimedSerializer):
        def dumps(self, obj, salt=None):
            signed.append(obj)
            return super().dumps(obj, salt)

    monkeypatch.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", Counting)

    with app.test_request_context():
        g.pop("csrf_token", None)  # a request's own (the tests' app context outlives one)
        session["csrf_token"] = "a" * 40
        first = render_template_string("{{ csrf_token() }}")
        assert first == generate_csrf()
        validate_csrf(first)
    with app.test_request_context():
        g.pop("csrf_token", None)  # a request's own (the tests' app context outlives one)
        session["csrf_token"] = "a" * 40
        assert render_template_string("{{ csrf_token() }}|{{ csrf_token() }}") == f"{first}|{first}"
        assert generate_csrf() == first
        validate_csrf(first)
    assert signed == ["a" * 40]
    with app.test_request_context():
        g.pop("csrf_token", None)  # a request's own (the tests' app context outlives one)
        session["csrf_token"] = "b" * 40
        other = render_template_string("{{ csrf_token() }}")
        assert other != first
        validate_csrf(other)
    with app.test_request_context():
        g.pop("csrf_token", None)
        fresh = render_template_string("{{ csrf_token() }}")
        assert session["csrf_token"] and fresh not in (first, other)
        validate_csrf(fresh)
