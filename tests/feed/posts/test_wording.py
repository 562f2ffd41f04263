"""The feed's words: its own msgids (not grading's "Comment"), distinct label and button, no Reply on a hidden comment."""
from __future__ import annotations

import re

from lms.extensions import db
from tests.feed.posts.conftest import last_comment, last_post, write_post


def test_the_comment_box_is_not_worded_as_a_grader_comment_in_chinese(feed):
    """In Simplified Chinese, does the comment box avoid 评语 (grading's "Comment", a grader's remark)?"""
    write_post(feed.clients["sam"], feed.circle.id, "Sunset at the lake")
    feed.pia.locale = "zh_Hans"
    db.session.commit()
    page = feed.clients["pia"].get(f"{feed.url}/{last_post().id}").get_data(as_text=True)
    assert 'id="comment-form"' in page and "评语" not in page


def test_the_boxes_have_their_own_labels_and_buttons(feed):
    """Does the post box ask "What would you like to share?" above a "Post" button, and the comment box say
    "Write a comment" above "Post comment" (a reply: "Write a reply", "Post reply")?"""
    feed_page = feed.clients["sam"].get(feed.url).get_data(as_text=True)
    assert re.search(r'<label for="body_md">What would you like to share\?</label>', feed_page)
    assert '<button type="submit" class="primary">Post</button>' in feed_page
    write_post(feed.clients["sam"], feed.circle.id, "Sunset at the lake")
    post = last_post()
    page = feed.clients["pia"].get(f"{feed.url}/{post.id}").get_data(as_text=True)
    assert '<label for="body_md">Write a comment</label>' in page and ">Post comment</button>" in page
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Lovely"})
    reply = feed.clients["sam"].get(f"{feed.url}/{post.id}?reply_to={last_comment().id}").get_data(as_text=True)
    assert '<label for="body_md">Write a reply</label>' in reply and ">Post reply</button>" in reply


def test_a_hidden_comment_offers_no_reply(feed):
    """When the staff hide Pia's comment, does her page (she still sees it, marked hidden) offer no Reply to
    it, while Sam's visible comment keeps its Reply?"""
    write_post(feed.clients["sam"], feed.circle.id, "Sunset at the lake")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Spam spam"})
    hidden = last_comment()
    feed.clients["sam"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Thanks all"})
    visible = last_comment()
    feed.clients["owner"].post(f"{feed.url}/{post.id}/comments/{hidden.id}/hide", data={"reason": "Spam"})
    page = feed.clients["pia"].get(f"{feed.url}/{post.id}").get_data(as_text=True)
    assert "Spam spam" in page
    assert f"?reply_to={hidden.id}#" not in page and f"?reply_to={visible.id}#" in page
