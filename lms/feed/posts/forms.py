"""Feed forms: a post, a comment, a reason for the staff's action, the feed's settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.feed.posts.models import WhoMayPost
from lms.feed.posts.operations import MAX_BODY, MAX_COMMENT, MAX_REASON


class PostForm(FlaskForm):
    body_md = TextAreaField(_l("What would you like to share?"), validators=[Optional(), Length(max=MAX_BODY)],
                            render_kw={"rows": 4})
    #: images are accepted by their content (lms.core.images), never by name or type
    images = MultipleFileField(_l("Images"))
    #: the id of the author's own video, set by the upload widget
    media_id = IntegerField(validators=[Optional()])
    is_entry = BooleanField(_l("This is a contest entry"))


class EditPostForm(PostForm):
    remove_video = BooleanField(_l("Remove the video"))


class CommentForm(FlaskForm):
    body_md = TextAreaField(_l("Write a comment"), validators=[DataRequired(), Length(max=MAX_COMMENT)],
                            render_kw={"rows": 2})
    #: the comment replied to (any comment of the post; the reply joins its thread)
    reply_to = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the author sees it)"), validators=[DataRequired(), Length(max=MAX_REASON)],
                           render_kw={"rows": 2})


WHO_LABELS = {
    WhoMayPost.everyone: _l("Every member"),
    WhoMayPost.staff: _l("Only the owner, teachers and assistants"),
}


class SettingsForm(FlaskForm):
    who_may_post = RadioField(_l("Who may post"), choices=[SelectChoice(str(k), v) for k, v in WHO_LABELS.items()],
                              validators=[DataRequired()])
    needs_approval = BooleanField(_l("Members' posts wait for the staff's approval"))
    has_contest = BooleanField(_l("Photo contest: members may post entries, ranked by likes"))
