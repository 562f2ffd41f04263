"""`flask storage …`: set up the S3 bucket the site stores in (run once, and again after a change of
origin; it is idempotent)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("storage", help="File storage (the S3 bucket).")


def site_origin(config) -> str | None:
    """The origin browsers load the site from: PREFERRED_URL_SCHEME and SERVER_NAME."""
    server = config.get("SERVER_NAME")
    if not server:
        return None
    return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{server}"


@cli.command("setup-bucket")
@click.option("--origin", "origins", multiple=True, metavar="URL",
              help="An origin that may upload to and play from the bucket (repeatable; default: the "
                   "site's own, from LMS_PREFERRED_URL_SCHEME and LMS_SERVER_NAME).")
@click.option("--abort-incomplete-days", default=2, show_default=True, type=click.IntRange(1),
              help="Days after which an unfinished multipart upload is aborted and its parts freed.")
def setup_bucket(origins: tuple[str, ...], abort_incomplete_days: int) -> None:
    """Create the bucket if it is missing; let the site's pages send upload parts to it straight from
    the browser (CORS: PUT, with the ETag header readable) and play videos from it (GET, HEAD: the
    HLS player fetches playlists and segments across origins); abort multipart uploads left unfinished
    (lifecycle rule). Prints what the bucket says back; fails if a rule could not be set."""
    from lms.storage.s3 import S3Storage

    storage = current_app.extensions["lms_storage"]
    if not isinstance(storage, S3Storage):
        raise click.ClickException("the site does not store in a bucket (set LMS_STORAGE_BACKEND=s3)")
    origins = tuple(o.rstrip("/") for o in origins) or tuple(filter(None, [site_origin(current_app.config)]))
    if not origins:
        raise click.ClickException("no origin: set LMS_SERVER_NAME or give --origin https://your.site")
    failed = storage.ensure_bucket(origins, abort_incomplete_days=abort_incomplete_days)
    rules = [] if "CORS" in failed else storage.client.get_bucket_cors(Bucket=storage.bucket)["CORSRules"]
    for rule in rules:
        click.echo(f"CORS: {', '.join(rule['AllowedMethods'])} from {', '.join(rule['AllowedOrigins'])}"
                   f" (exposes {', '.join(rule.get('ExposeHeaders', []))})")
    if "lifecycle" not in failed:
        click.echo(f"lifecycle: unfinished multipart uploads aborted after {abort_incomplete_days} days")
    if failed:
        raise click.ClickException(f"bucket {storage.bucket}: could not set {' and '.join(failed)} "
                                   "(see the warning above); set them with your provider's tools")
    click.echo(f"bucket {storage.bucket} is ready")
