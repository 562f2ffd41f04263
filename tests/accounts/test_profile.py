"""The profile (name, language, timezone, avatar), password change and the language switcher."""
from __future__ import annotations

import io
import re

import pytest

from lms.accounts.models import User
from lms.extensions import db
from tests.accounts.helpers import png_bytes
from tests.fixtures.app import page_text
from tests.fixtures.images import same_picture
from tests.fixtures.factories import PASSWORD

NEW_PASSWORD = "seven green lanterns"


def _html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def _save_profile(client, **fields):
    data = {"name": "Bob Stone", "locale": "", "timezone": ""}
    data.update(fields)
    return client.post("/profile", data=data)


def _reload(user) -> User:
    return db.session.get(User, user.id)


def test_profile_needs_sign_in(client, make):
    """Does a signed-out visitor of the profile go to sign-in?"""
    make.user()
    assert client.get("/profile").status_code == 302
    assert client.post("/profile", data={"name": "x"}).status_code == 302


def test_change_name(client, make, login):
    """Is a new name saved and shown in the top bar?"""
    user = make.user(name="Bob")
    login(user)
    response = _save_profile(client, name="  Robert Stone  ")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile")
    assert _reload(user).name == "Robert Stone"
    page = client.get("/profile")
    assert "Your profile is saved." in page_text(page)
    assert "Robert Stone" in page_text(page)


def test_empty_name_is_refused(client, make, login):
    """Is an empty name refused with 422, keeping the old one?"""
    user = make.user(name="Bob")
    login(user)
    response = _save_profile(client, name="   ")
    assert response.status_code == 422
    assert "This field is required." in page_text(response)
    assert _reload(user).name == "Bob"


def test_language_changes_the_pages(client, make, login):
    """After choosing Chinese in the profile, are pages served in it (html lang), and after choosing
    "same as my browser" in the browser's language again?"""
    user = make.user()
    login(user)
    assert _html_lang(client.get("/profile")) == "en"
    _save_profile(client, name=user.name, locale="zh_Hans")
    assert _reload(user).locale == "zh_Hans"
    assert _html_lang(client.get("/", headers={"Accept-Language": "en"})) == "zh-Hans"
    _save_profile(client, name=user.name, locale="")
    assert _reload(user).locale is None
    assert _html_lang(client.get("/", headers={"Accept-Language": "en"})) == "en"
    assert _html_lang(client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})) == "zh-Hans"


def test_unknown_language_is_refused(client, make, login):
    """Is a language that is not offered refused with 422?"""
    user = make.user()
    login(user)
    response = _save_profile(client, name=user.name, locale="xx")
    assert response.status_code == 422
    assert _reload(user).locale is None


def test_timezone(client, make, login):
    """Is a real timezone saved and a made-up one refused with a message?"""
    user = make.user()
    login(user)
    assert _save_profile(client, name=user.name, timezone="Asia/Shanghai").status_code == 302
    assert _reload(user).timezone == "Asia/Shanghai"
    response = _save_profile(client, name=user.name, timezone="Mars/Olympus_Mons")
    assert response.status_code == 422
    assert "Choose a timezone from the list." in page_text(response)
    assert _reload(user).timezone == "Asia/Shanghai"


def test_png_avatar_is_accepted_and_served_as_png(client, make, login):
    """Is a real PNG avatar stored and served back as image/png, never sniffed?"""
    user = make.user()
    login(user)
    image = png_bytes()
    response = _save_profile(client, name=user.name, avatar=(io.BytesIO(image), "me.png"))
    assert response.status_code == 302
    assert _reload(user).avatar_key
    served = client.get(f"/users/{user.id}/avatar")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert same_picture(served.data, image)  # re-encoded without metadata, the same pixels
    assert f'src="/users/{user.id}/avatar"' in client.get("/profile").get_data(as_text=True)


def test_text_file_named_png_is_refused(client, make, login):
    """Is a text file named .png refused with the reason, and no avatar kept?"""
    user = make.user()
    login(user)
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    response = _save_profile(client, name="Changed", avatar=(fake, "me.png"))
    assert response.status_code == 422
    assert "This file is not a PNG, JPEG, GIF or WebP image." in page_text(response)
    assert _reload(user).avatar_key is None
    assert _reload(user).name != "Changed"
    assert client.get(f"/users/{user.id}/avatar").status_code == 404


def test_remove_avatar(client, make, login):
    """Does "remove my avatar" delete it?"""
    user = make.user()
    login(user)
    _save_profile(client, name=user.name, avatar=(io.BytesIO(png_bytes()), "me.png"))
    assert _save_profile(client, name=user.name, remove_avatar="y").status_code == 302
    assert _reload(user).avatar_key is None
    assert client.get(f"/users/{user.id}/avatar").status_code == 404


def test_avatar_needs_sign_in(client, make, login, app):
    """Is an avatar shown only to signed-in people?"""
    user = make.user()
    login(user)
    _save_profile(client, name=user.name, avatar=(io.BytesIO(png_bytes()), "me.png"))
    response = app.test_client().get(f"/users/{user.id}/avatar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- password change -------------------------------------------------------------------------

def _change_password(client, current, new, confirm=None):
    return client.post("/profile/password", csrf_prefixes=("pw",),
                       data={"pw-current": current, "pw-password": new, "pw-confirm": confirm or new})


def test_change_password_with_wrong_current_is_refused(client, make, login, app):
    """Is a password change with the wrong current password refused, with a message?"""
    user = make.user(email="bob@example.org")
    login(user)
    response = _change_password(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 422
    assert "Your current password is not right." in page_text(response)
    other = app.test_client()
    assert other.post("/login", data={"email": "bob@example.org", "password": PASSWORD}).status_code == 302


def test_change_password_refuses_a_weak_one(client, make, login):
    """Is a weak new password (here: the email's name) refused with the reason?"""
    user = make.user(email="marigold@example.org")
    login(user)
    response = _change_password(client, PASSWORD, "marigold-2024!")
    assert response.status_code == 422
    assert "Do not use your name or email address in your password." in page_text(response)


def test_change_password(client, make, app):
    """Does a password change keep this session, end the others, and make only the new password work?"""
    user = make.user(email="bob@example.org")
    phone = app.test_client()
    for c in (client, phone):
        assert c.post("/login", data={"email": "bob@example.org", "password": PASSWORD}).status_code == 302
    response = _change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert phone.get("/profile").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "bob@example.org", "password": PASSWORD}).status_code == 401
    assert fresh.post("/login", data={"email": "bob@example.org", "password": NEW_PASSWORD}).status_code == 302
    from lms.accounts.models import UserSession

    rows = db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.id)).all()
    # this browser's stays, the phone's ended; the fresh sign-in after the change is a new one
    assert [row.ended_at is None for row in rows] == [True, False, True]


# -- the language switcher -------------------------------------------------------------------

def test_language_switcher_signed_out(client, make):
    """Does the footer's language switcher work for a signed-out visitor (kept in the session)?"""
    make.user()
    response = client.post("/language", data={"locale": "zh_Hans", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _html_lang(client.get("/login", headers={"Accept-Language": "en"})) == "zh-Hans"


def test_language_switcher_signed_in_is_saved(client, make, login):
    """Is the language chosen in the footer by a signed-in person saved on the account?"""
    user = make.user()
    login(user)
    client.post("/language", data={"locale": "zh_Hans", "next": "/profile"})
    assert _reload(user).locale == "zh_Hans"
    assert _html_lang(client.get("/profile")) == "zh-Hans"


def test_language_switcher_choice_is_kept_at_registration(client, make, mailbox):
    """Does a language chosen before registering become the new account's language?"""
    from tests.accounts.helpers import register

    make.user()
    client.post("/language", data={"locale": "zh_Hans", "next": "/register"})
    register(client, mailbox, name="Ann", email="ann@example.org", password=NEW_PASSWORD)
    assert db.session.scalar(db.select(User.locale).where(User.email == "ann@example.org")) == "zh_Hans"


@pytest.mark.parametrize("locale, next_url, location", [
    ("xx", "/login", "/login"),  # an unknown language changes nothing
    ("en", "https://evil.example/", "/"),  # no open redirect
])
def test_language_switcher_bad_input(client, make, login, locale, next_url, location):
    """Are an unknown language and a foreign next address both ignored?"""
    user = make.user()
    login(user)
    response = client.post("/language", data={"locale": locale, "next": next_url})
    assert response.status_code == 302 and response.headers["Location"] == location
    assert _reload(user).locale == (None if locale == "xx" else locale)


def test_language_switcher_needs_csrf(client, make, login):
    """Is the language switch refused without the CSRF token?"""
    user = make.user()
    login(user)
    assert client.post("/language", data={"locale": "zh_Hans"}, csrf=False).status_code == 400
    assert _reload(user).locale is None


def test_change_password_keeps_this_browser_remembered(client, make):
    """After changing the password, does "keep me signed in" still work in the browser that changed it?"""
    make.user(email="bob@example.org")
    client.post("/login", data={"email": "bob@example.org", "password": PASSWORD, "remember": "y"})
    assert _change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    client.delete_cookie("session")
    assert client.get("/profile").status_code == 200


def _selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, flags=re.S).group(1)
    chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected|<option[^>]*selected[^>]*value="([^"]*)"', select)
    return next((v for v in chosen.groups() if v is not None), None) if chosen else None


def _zone_options(html: str, name: str = "timezone") -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, flags=re.S).group(1)
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select)


@pytest.mark.parametrize("locale, zone, picked, beside", [
    ("en", "America/New_York", "America/New_York", "America/New_York (GMT-0"),
    ("zh_Hans", "Asia/Shanghai", "中国（上海）时间", "中国（上海）时间（GMT+08:00）"),
    ("zh_Hant", "Asia/Taipei", "台灣時間", "台灣時間（GMT+08:00）"),
])
def test_a_time_zone_has_one_name_in_the_list_and_beside_times(client, make, login, locale, zone, picked, beside):
    """Is the zone a person picks in the profile named as the pages name it beside their times ("Times are
    shown in …"), not "中国时间 – 上海" in the list and "中国（上海）时间" on the page?"""
    login(make.user(locale=locale, timezone=zone))
    response = client.get("/profile")
    label = dict(_zone_options(response.get_data(as_text=True)))[zone]
    assert label.endswith((") " + picked, "）" + picked)), label
    assert beside in page_text(response)


def test_time_zones_are_offered_by_name_in_the_users_language(client, make, login):
    """Does a Chinese user pick "纽约" from a list of zones named in Chinese with their offset (common ones
    first, every canonical IANA zone there, the value the IANA id), is her zone preselected, and does the empty
    choice say it means the browser's zone (issue 8: typing 「纽约」 failed)?"""
    from lms.core.i18n import listed_timezones

    user = make.user(locale="zh_Hans", timezone="Asia/Shanghai")
    login(user)
    html = client.get("/profile").get_data(as_text=True)
    options = _zone_options(html)
    labels = dict(options)
    values = [v for v, _label in options]
    assert values[0] == "" and values[1:4] == ["Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong"]
    assert set(values[1:]) == listed_timezones()  # no aliases: each zone once (tests/orgs/test_console_leftovers.py)
    assert labels["Asia/Shanghai"] == "（GMT+08:00）中国（上海）时间"  # as beside every time (zone_label)
    assert "纽约" in labels["America/New_York"] and labels["America/New_York"].startswith("（GMT-0")
    assert _selected(html, "timezone") == "Asia/Shanghai"
    assert "UTC" not in labels[""] and "Leave empty" not in page_text(client.get("/profile"))
    assert _save_profile(client, name=user.name, timezone="America/New_York").status_code == 302
    assert _reload(user).timezone == "America/New_York"
    assert _save_profile(client, name=user.name, timezone="").status_code == 302
    assert _reload(user).timezone is None
