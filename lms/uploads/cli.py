"""`flask media …`: check or process a local file with the upload pipeline, retry and sweep media items."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from lms import media as media_lib

cli = AppGroup("media", help="Check and process videos; retry failed media items.")


def _limits() -> media_lib.Limits:
    config = current_app.config
    return media_lib.Limits(max_bytes=config["MAX_UPLOAD_BYTES"], max_seconds=config["MAX_VIDEO_SECONDS"])


def _validate_or_exit(path: str) -> media_lib.ProbeResult:
    """The upload validation on PATH; a rejection exits 1 with its reason on the last line, an ffmpeg
    failure (no verdict on the file) exits 2."""
    try:
        return media_lib.validate(path, _limits())
    except media_lib.MediaRejected as rejected:
        click.echo(f"rejected ({rejected.code})")
        click.echo(rejected.message)
        sys.exit(1)
    except media_lib.FFmpegError as error:
        click.echo(f"error: {error}")
        click.echo("could not check the file: ffmpeg failed or timed out (not a verdict on the file)")
        sys.exit(2)


@cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check(path: str) -> None:
    """Run exactly the validation an upload gets on PATH and print the verdict.

    Exit 0 when accepted; exit 1 when rejected, with the reason on the last line.
    """
    info = _validate_or_exit(path)
    click.echo(f"accepted: {info.format_name}, {info.width}x{info.height}, {info.duration:.1f} s, "
               f"video {info.video_codec}, audio {info.audio_codec or 'none'}")


@cli.command("process")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.argument("outdir", type=click.Path(file_okay=False))
def process(path: str, outdir: str) -> None:
    """Run the whole pipeline on the local file PATH, writing video.mp4, poster.jpg (and hls/ for long
    videos) into OUTDIR. Exit 1 when the file is rejected."""
    config = current_app.config
    info = _validate_or_exit(path)
    click.echo(f"accepted: {info.width}x{info.height}, {info.duration:.1f} s; transcoding…")
    last = [-10]

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent >= last[0] + 10 or percent == 100:
            last[0] = percent
            click.echo(f"  {percent} %")

    made = media_lib.make_renditions(path, outdir, duration=info.duration, max_seconds=config["MAX_VIDEO_SECONDS"],
                                     hls_min_seconds=config["MEDIA_HLS_MIN_SECONDS"], progress=progress)
    if made.hls_playlist is not None:
        click.echo(f"wrote {made.hls_playlist}")
    click.echo(f"wrote {made.mp4} ({made.width}x{made.height}, {made.duration:.1f} s, {made.video_codec}/"
               f"{made.audio_codec or 'no audio'}) and {made.poster}")


@cli.command("retry")
@click.argument("media_id", type=int)
def retry(media_id: int) -> None:
    """Queue failed media item MEDIA_ID for processing again, from its kept original."""
    from lms.extensions import db
    from lms.uploads import operations as ops
    from lms.uploads.models import Media

    media = db.session.get(Media, media_id)
    if media is None:
        raise click.ClickException(f"there is no media item {media_id}")
    try:
        ops.retry_media(media)
    except ops.UploadError as error:
        raise click.ClickException(f"media {media_id} is {media.state.value}: {error.message}") from None
    db.session.commit()
    click.echo(f"media {media_id} queued for processing")


@cli.command("strip-originals")
def strip_originals() -> None:
    """Remove GPS position and device metadata from video originals and video attachments stored
    before processing did so (what teachers download): each is replaced by its stream-copy remux
    without metadata. Cut or damaged uploads, and files that are not videos, are left as they are.
    Safe to run again."""
    from lms.extensions import db
    from lms.uploads.models import Media, MediaKind, MediaState
    from lms.uploads.tasks import STRIP_REJECTED, strip_stored_video

    query = (db.select(Media).where(Media.original_key.is_not(None))
             .where(db.or_(Media.state == MediaState.ready,
                           db.and_(Media.state == MediaState.failed, Media.kind == MediaKind.video,
                                   Media.error_code.in_(sorted(STRIP_REJECTED)))))
             .order_by(Media.id))
    counts = {"stripped": 0, "left": 0, "missing": 0}
    last = 0
    while rows := db.session.scalars(query.where(Media.id > last).limit(100)).all():
        for media in rows:
            try:
                size = strip_stored_video(media.original_key)
            except FileNotFoundError:
                counts["missing"] += 1
                continue
            except media_lib.FFmpegError as error:
                click.echo(f"media {media.id}: {error}, left as it is")
                size = None
            if size is None:
                counts["left"] += 1
                continue
            counts["stripped"] += 1
            if media.kind == MediaKind.file:
                media.bytes = size
        db.session.commit()
        last = rows[-1].id
    click.echo(f"{counts['stripped']} originals stripped, {counts['left']} left as they are (not videos "
               f"ffmpeg can remux), {counts['missing']} missing from storage")


@cli.command("sweep")
def sweep() -> None:
    """Re-queue media whose worker died or whose job was lost, delete abandoned uploads, and remove
    the work folders of jobs killed on this host (what the periodic jobs do)."""
    from lms.extensions import db
    from lms.uploads import operations as ops
    from lms.uploads.tasks import sweep_work_folders

    requeued, failed = ops.sweep_media()
    expired = ops.expire_uploads()
    db.session.commit()
    folders = sweep_work_folders()
    click.echo(f"re-queued {requeued}, failed {failed}, deleted {expired} abandoned uploads, "
               f"removed {folders} work folders of dead jobs")


