"""The app's `flask` commands; each domain adds its own group."""
from __future__ import annotations

import click


def register(app) -> None:
    from lms.accounts.cli import cli as users_cli
    from lms.demo import cli as demo_cli
    from lms.jobs.cli import cli as jobs_cli
    from lms.storage.cli import cli as storage_cli
    from lms.uploads.cli import cli as media_cli

    media_cli.add_command(clean_images)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(storage_cli)


@click.command("clean-images")
@click.option("--batch", default=200, show_default=True, help="Rows read and committed at a time.")
def clean_images(batch: int) -> None:
    """Re-encode every stored avatar, circle cover and image attachment from its pixels alone
    (lms.core.images.clean_image: no GPS position, device name, thumbnail), for images stored before
    uploads were cleaned. Meant to run once: running it again is harmless but re-encodes JPEGs again.
    An image that does not clean is taken away: an avatar or cover is removed, an attachment fails
    with the reason (no longer downloadable); each is listed."""
    from lms.accounts.models import User
    from lms.circles.models import Circle
    from lms.core.images import ImageRejected, clean_stored_image
    from lms.extensions import db
    from lms.jobs import delete_stored_after_commit
    from lms.uploads import operations as upload_ops
    from lms.uploads.models import Media, MediaKind, MediaState

    def each(model, key_column, *where):
        last = 0
        while rows := db.session.scalars(db.select(model).where(model.id > last, key_column.is_not(None), *where)
                                         .order_by(model.id).limit(batch)).all():
            yield from rows
            db.session.commit()  # and then the images taken away are deleted (delete_stored_after_commit)
            last = rows[-1].id

    counts = {"cleaned": 0, "refused": 0, "missing": 0}

    def clean(label: str, key: str) -> tuple[object, ImageRejected | None]:
        try:
            made = clean_stored_image(key)
        except FileNotFoundError:
            counts["missing"] += 1
            return None, None
        except ImageRejected as rejected:
            counts["refused"] += 1
            click.echo(f"{label}: {rejected.code}, taken away")
            return None, rejected
        counts["cleaned"] += made is not None
        return made, None

    for user in each(User, User.avatar_key):
        _made, rejected = clean(f"avatar of user {user.id}", user.avatar_key)
        if rejected:
            delete_stored_after_commit(user.avatar_key)
            user.avatar_key = None
    for circle in each(Circle, Circle.cover_key):
        _made, rejected = clean(f"cover of circle {circle.id}", circle.cover_key)
        if rejected:
            delete_stored_after_commit(circle.cover_key)
            circle.cover_key = None
    for media in each(Media, Media.original_key, Media.kind == MediaKind.file, Media.state == MediaState.ready):
        made, rejected = clean(f"attachment media {media.id}", media.original_key)
        if rejected:
            upload_ops.fail_media(media, rejected.code, rejected.params)
        elif made:
            media.bytes, media.width, media.height = made.bytes, made.width, made.height
    click.echo(f"{counts['cleaned']} images cleaned, {counts['refused']} taken away, "
               f"{counts['missing']} missing from storage")
