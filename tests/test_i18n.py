"""Translations: every message of the code has a Chinese translation, and pages speak the reader's language.

The catalog check extracts the messages the way `scripts/i18n extract` does (babel.cfg, same
keywords), so a string added to a template or a Python file without a zh_Hans translation fails
here. Fix: `scripts/i18n extract && scripts/i18n update`, translate, `scripts/i18n compile`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lms.accounts.models import User
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "lms" / "translations"
ZH_PO = TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po"
ZH_MO = TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.mo"
#: The keywords of scripts/i18n extract (-k _l -k lazy_gettext -k lazy_ngettext:1,2).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
#: Folders scripts/i18n does not walk.
SKIPPED_DIRS = {"tests", "instance", "node_modules", "migrations", "static", "scripts"}


def _skip_dir(path: str) -> bool:
    name = os.path.basename(path)
    return not (name.startswith((".", "_")) or name in SKIPPED_DIRS)


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """The messages of lms/ and templates/ as `pybabel extract -F babel.cfg` finds them now."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=_skip_dir):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


@pytest.fixture(scope="module")
def chinese() -> Catalog:
    with open(ZH_PO, "rb") as f:
        return read_po(f, locale="zh_Hans")


def _label(message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{msgid!r} ({where})"


def test_every_message_has_a_chinese_translation(extracted, chinese):
    """Is any message of the templates or the code missing, untranslated or fuzzy in zh_Hans?"""
    assert len(extracted) > 100, "extraction found almost nothing: is babel.cfg right?"
    problems = []
    for message in extracted:
        if not message.id:
            continue
        found = chinese.get(message.id, message.context)
        if found is None:
            problems.append(f"missing: {_label(message)}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {_label(message)}")
        elif not all(found.string) if isinstance(found.string, tuple) else not found.string:
            problems.append(f"untranslated: {_label(message)}")
    assert not problems, (
        f"{len(problems)} zh_Hans entries need work (scripts/i18n extract && scripts/i18n update, "
        "translate, scripts/i18n compile):\n" + "\n".join(problems))


def test_chinese_catalog_has_one_plural_form(chinese):
    """Does the zh_Hans catalog use Chinese plural rules (one form)?"""
    assert chinese.plural_forms == "nplurals=1; plural=0;"
    for message in chinese:
        if message.pluralizable and message.id:
            assert len(message.string) == 1, _label(message)


def test_translations_keep_their_placeholders(chinese):
    """Does every translation use exactly the %(name)s placeholders of its English message?"""
    pattern = re.compile(r"%\((\w+)\)[sdif]")
    problems = []
    for message in chinese:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(pattern.findall(ids[-1]))
        for string in strings:
            if string and set(pattern.findall(string)) != wanted:
                problems.append(f"{_label(message)} -> {string!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_compiled_catalog_is_up_to_date(chinese):
    """Does the committed .mo hold the same translations as the .po (was scripts/i18n compile run)?"""
    with open(ZH_MO, "rb") as f:
        compiled = read_mo(f)
    stale = []
    for message in chinese:
        if not message.id or message.fuzzy:
            continue
        found = compiled.get(message.id, message.context)
        if found is None or _strings(found) != _strings(message):
            stale.append(_label(message))
    assert not stale, "run scripts/i18n compile; the .mo differs for:\n" + "\n".join(stale)


def _strings(message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def _nav_text(response) -> str:
    html = response.get_data(as_text=True)
    nav = re.search(r'<nav class="topnav">(.*?)</nav>', html, re.S)
    assert nav, html[:500]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", nav.group(1)))


@pytest.mark.parametrize(("accept", "lang", "seen", "unseen"), [
    ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans", "我的圈子", "My circles"),
    ("en-US,en;q=0.9", "en", "My circles", "我的圈子"),
])
def test_page_speaks_the_browser_language(client, make, login, accept, lang, seen, unseen):
    """Does a signed-in user without a language preference get the page in their browser's language?"""
    login(make.user())
    response = client.get("/", headers={"Accept-Language": accept})
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)
    nav = _nav_text(response)
    assert seen in nav and unseen not in nav, nav


def test_chosen_language_wins_over_the_browser(client, make, login):
    """Does a user who chose Chinese in the footer get Chinese even from an English browser?"""
    user = make.user()
    login(user)
    response = client.post("/language", data={"locale": "zh_Hans", "next": "/"},
                           headers={"Accept-Language": "en-US"})
    assert response.status_code == 302
    response = client.get("/", headers={"Accept-Language": "en-US"})
    assert '<html lang="zh-Hans">' in response.get_data(as_text=True)
    assert "我的圈子" in _nav_text(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "zh_Hans"
