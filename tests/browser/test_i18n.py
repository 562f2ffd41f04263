"""The scripts' words in a real browser: the upload widget of a Chinese page speaks Chinese."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from tests.browser.conftest import PASSWORD, make_clip

pytestmark = pytest.mark.browser

PROCESSING_MS = 60_000  # probe, full decode and transcode of a 3-second clip on a slow CI machine


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips"), "练习.mp4", 3)


def test_the_upload_widget_speaks_simplified_chinese(live_server, new_context, screenshots, clip):
    """Does a zh-CN browser on My uploads see the widget's script-made words in Chinese: a refusal
    with its sizes, then the progress and the processing states up to 已就绪, with no English left?"""
    from lms.accounts import operations as account_ops

    email = live_server.unique_email("chinese")
    with live_server.app.app_context():
        account_ops.register_user(email, PASSWORD, "陈静", timezone="Asia/Shanghai")
        db.session.commit()
        db.session.remove()
    page = new_context(locale="zh-CN").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/media/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.wait_for_function("() => window.Circles && Circles.socket && Circles.socket.connected()")
    uploader = page.locator("[data-uploader]")
    item = uploader.locator(".upload-item")
    with screenshots.on_failure(page, "refused"):
        uploader.evaluate("root => root.dataset.maxBytes = '10240'")  # 10 KB: refused before sending
        uploader.locator("input[type=file]").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text(re.compile(
            r"^“练习\.mp4”的大小为 \d+(\.\d)? KB，超过了 10 KB 的上限。请先剪短或压缩视频。$"))
    with screenshots.on_failure(page, "uploaded"):
        uploader.evaluate("root => root.dataset.maxBytes = String(1 << 30)")
        page.evaluate("""() => {
            window.seen = [];
            const line = () => document.querySelector('[data-uploader] .upload-item .upload-state');
            new MutationObserver(() => { const l = line(); if (l) seen.push(l.textContent); })
                .observe(document.querySelector('[data-uploader]'), {subtree: true, childList: true, characterData: true});
        }""")
        uploader.locator("input[type=file]").set_input_files(clip)
        expect(item.locator(".upload-state")).to_have_text("已就绪。", timeout=PROCESSING_MS)
        expect(item.locator(".upload-percent")).to_have_text("100%")
        seen = [text for text in page.evaluate("seen") if text]
        assert seen, "the state line never changed"
        english = [text for text in seen if re.search(r"[A-Za-z]{3,}", text.replace("练习.mp4", ""))]
        assert not english, seen
        assert any(text in ("正在上传…", "已上传，正在排队等待处理…", "正在检查视频…") or text.startswith("正在处理视频")
                   for text in seen), seen
        bar = item.locator(".upload-bar").get_attribute("aria-valuetext")
        assert re.fullmatch(r"\d+(\.\d)? KB / \d+(\.\d)? KB（100%）", bar), bar
    assert not errors, errors
