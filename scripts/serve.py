"""Serve pages and Socket.IO from one process (the embedded default); `scripts/run` calls this."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click  # noqa: E402

from lms import create_app, jobs  # noqa: E402
from lms.accounts.queries import site_is_set_up  # noqa: E402
from lms.core.mail import mail_folder  # noqa: E402
from lms.core.serving import make_embedded_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--demo", action="store_true",
                        help="load the demo school first (`flask demo load`) and print its accounts last")
    args = parser.parse_args()

    app = create_app()
    demo_text = None
    with app.app_context():
        if args.demo:
            from lms.demo import load_and_describe

            try:
                demo_text = load_and_describe()
            except click.ClickException as error:
                error.show()
                sys.exit(error.exit_code)
        set_up = site_is_set_up()
    # the periodic jobs start once the demo is in: their first round runs at once, and on SQLite a job writing
    # while the demo's one long transaction holds the database waited out the busy timeout ("database is
    # locked", the trash clean-up's on a first `scripts/run --demo`)
    jobs.start_scheduler(app)
    # the live stage's Janus, when installed (lms.live.stage.local): real-time lessons; else HLS only
    from lms.live.stage.local import start_local_janus

    janus = start_local_janus(app, args.host)
    # Werkzeug's own server, as Flask-SocketIO's run() uses in threading mode, without the banner and
    # development-server warnings run() prints: this is the documented embedded default, and the
    # newcomer's first screen is the address, where mail goes, and the demo's accounts.
    server = make_embedded_server(args.host, args.port, app)
    print(f"\nCircles is running at http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)
    if app.config["MAIL_BACKEND"] == "file":
        print(f"Mail is not sent: each message is written to {_shown(mail_folder(app))}/", flush=True)
    if not set_up:
        print("No account exists yet: the first visit creates the administrator.", flush=True)
    if janus is not None:
        print(f"Real-time lessons: Janus at {app.config['JANUS_PUBLIC_WS_URL']} (stopped with Circles)", flush=True)
    if demo_text:
        print(f"\n{demo_text}", flush=True)
    try:
        server.serve_forever()
    finally:
        if janus is not None:
            janus.stop()


def _shown(path: Path) -> str:
    """A path relative to the current folder when it is inside it (instance/mail), else as it is."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
