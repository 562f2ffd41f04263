"""Notifications (stored, preferences, mail settings, fan-out progress), calendar feed addresses, notices
with revisions, attachments and read receipts, and the circle feed (settings, posts, images, comments,
likes) — issue 12

Revision ID: 4bb9c56ac4af
Revises: c37cfef0d07a
Create Date: 2026-11-30 01:53:45.473814

"""
from alembic import op
import sqlalchemy as sa
import lms.core.types


# revision identifiers, used by Alembic.
revision = '4bb9c56ac4af'
down_revision = 'c37cfef0d07a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_tokens')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_tokens_token')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_tokens_user_id'))
    )
    op.create_table('notification_fan_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('progress_to', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['progress_to'], ['users.id'], name=op.f('fk_notification_fan_outs_progress_to_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_fan_outs'))
    )
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.Enum('now', 'digest', 'off', name='notification_channel', native_enum=False, length=14), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notification_preferences_user_kind')
    )
    op.create_table('notification_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest_hour', sa.SmallInteger(), nullable=False),
    sa.Column('quiet_start', sa.SmallInteger(), nullable=True),
    sa.Column('quiet_end', sa.SmallInteger(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings'))
    )
    op.create_table('feed_settings',
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('who_may_post', sa.Enum('everyone', 'staff', name='feed_who_may_post', native_enum=False, length=16), nullable=False),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('has_contest', sa.Boolean(), nullable=False),
    sa.Column('updated_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_feed_settings_circle_id_circles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('circle_id', name=op.f('pk_feed_settings'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.Column('publish_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('announced_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('is_pinned', sa.Boolean(), nullable=False),
    sa.Column('is_must_read', sa.Boolean(), nullable=False),
    sa.Column('receipt_level', sa.Enum('opened', 'confirmed', name='notice_receipt_level', native_enum=False, length=17), nullable=False),
    sa.Column('confirm_by', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('remind_hours', sa.Integer(), nullable=True),
    sa.Column('escalate_hours', sa.Integer(), nullable=True),
    sa.Column('deadline_reminded_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('escalated_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('edited_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_notices_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_notices_circle_id_circles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_announce', ['announced_at', 'publish_at'], unique=False)
        batch_op.create_index('ix_notices_circle_publish', ['circle_id', 'publish_at'], unique=False)
        batch_op.create_index('ix_notices_confirm_by', ['confirm_by'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=30), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('dedupe_key', sa.String(length=100), nullable=True),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('read_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('mail_state', sa.Enum('none', 'due', 'digest', 'sent', name='notification_mail_state', native_enum=False, length=14), nullable=False),
    sa.Column('mail_due_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('mailed_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_notifications_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'dedupe_key', name='uq_notifications_user_dedupe_key')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_circle_id'), ['circle_id'], unique=False)
        batch_op.create_index('ix_notifications_mail_waiting', ['mail_state', 'mail_due_at'], unique=False, postgresql_where=sa.text("mail_state IN ('due', 'digest')"), sqlite_where=sa.text("mail_state IN ('due', 'digest')"))
        batch_op.create_index('ix_notifications_user_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_user_subject', ['user_id', 'subject_type', 'subject_id'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id'], unique=False, postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))

    op.create_table('feed_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('post', 'entry', name='feed_post_kind', native_enum=False, length=13), nullable=False),
    sa.Column('state', sa.Enum('published', 'pending', 'rejected', 'hidden', 'removed', name='feed_post_state', native_enum=False, length=17), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('is_essential', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('published_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('edited_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('moderation_reason', sa.Text(), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_feed_posts_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_feed_posts_circle_id_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_feed_posts_media_id_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_feed_posts_moderated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_posts'))
    )
    with op.batch_alter_table('feed_posts', schema=None) as batch_op:
        batch_op.create_index('ix_feed_posts_author', ['author_id'], unique=False)
        batch_op.create_index('ix_feed_posts_essentials', ['circle_id', 'is_essential', 'published_at', 'id'], unique=False)
        batch_op.create_index('ix_feed_posts_feed', ['circle_id', 'published_at', 'id'], unique=False)
        batch_op.create_index('ix_feed_posts_state', ['circle_id', 'state', 'created_at'], unique=False)

    op.create_table('notice_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_notice_attachments_media_id_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_attachments_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_attachments')),
    sa.UniqueConstraint('notice_id', 'media_id', name=op.f('uq_notice_attachments_notice_id'))
    )
    with op.batch_alter_table('notice_attachments', schema=None) as batch_op:
        batch_op.create_index('ix_notice_attachments_media', ['media_id'], unique=False)

    op.create_table('notice_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_reads_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notice_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_reads')),
    sa.UniqueConstraint('notice_id', 'user_id', name=op.f('uq_notice_reads_notice_id'))
    )
    with op.batch_alter_table('notice_reads', schema=None) as batch_op:
        batch_op.create_index('ix_notice_reads_user', ['user_id', 'notice_id'], unique=False)

    op.create_table('notice_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_notice_revisions_edited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_revisions_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_revisions')),
    sa.UniqueConstraint('notice_id', 'number', name=op.f('uq_notice_revisions_notice_id'))
    )
    op.create_table('feed_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('visible', 'hidden', 'removed', name='feed_comment_state', native_enum=False, length=15), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.Column('edited_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.Column('moderation_reason', sa.Text(), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', lms.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_feed_comments_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_feed_comments_moderated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['feed_comments.id'], name=op.f('fk_feed_comments_parent_id_feed_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['feed_posts.id'], name=op.f('fk_feed_comments_post_id_feed_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_comments'))
    )
    with op.batch_alter_table('feed_comments', schema=None) as batch_op:
        batch_op.create_index('ix_feed_comments_post', ['post_id', 'parent_id', 'id'], unique=False)

    op.create_table('feed_likes',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['feed_posts.id'], name=op.f('fk_feed_likes_post_id_feed_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feed_likes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'user_id', name=op.f('pk_feed_likes'))
    )
    with op.batch_alter_table('feed_likes', schema=None) as batch_op:
        batch_op.create_index('ix_feed_likes_user', ['user_id'], unique=False)

    op.create_table('feed_post_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['feed_posts.id'], name=op.f('fk_feed_post_images_post_id_feed_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_post_images'))
    )
    with op.batch_alter_table('feed_post_images', schema=None) as batch_op:
        batch_op.create_index('ix_feed_post_images_post', ['post_id', 'position'], unique=False)



def downgrade():
    with op.batch_alter_table('feed_post_images', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_post_images_post')

    op.drop_table('feed_post_images')
    with op.batch_alter_table('feed_likes', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_likes_user')

    op.drop_table('feed_likes')
    with op.batch_alter_table('feed_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_comments_post')

    op.drop_table('feed_comments')
    op.drop_table('notice_revisions')
    with op.batch_alter_table('notice_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_reads_user')

    op.drop_table('notice_reads')
    with op.batch_alter_table('notice_attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_attachments_media')

    op.drop_table('notice_attachments')
    with op.batch_alter_table('feed_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_posts_state')
        batch_op.drop_index('ix_feed_posts_feed')
        batch_op.drop_index('ix_feed_posts_essentials')
        batch_op.drop_index('ix_feed_posts_author')

    op.drop_table('feed_posts')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread', postgresql_where=sa.text('read_at IS NULL'), sqlite_where=sa.text('read_at IS NULL'))
        batch_op.drop_index('ix_notifications_user_subject')
        batch_op.drop_index('ix_notifications_user_id')
        batch_op.drop_index('ix_notifications_mail_waiting', postgresql_where=sa.text("mail_state IN ('due', 'digest')"), sqlite_where=sa.text("mail_state IN ('due', 'digest')"))
        batch_op.drop_index(batch_op.f('ix_notifications_circle_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_confirm_by')
        batch_op.drop_index('ix_notices_circle_publish')
        batch_op.drop_index('ix_notices_announce')

    op.drop_table('notices')
    op.drop_table('feed_settings')
    op.drop_table('notification_settings')
    op.drop_table('notification_preferences')
    op.drop_table('notification_fan_outs')
    op.drop_table('calendar_tokens')
