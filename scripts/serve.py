"""Serve pages and Socket.IO from one process (the embedded default); `scripts/run` calls this."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms import create_app, jobs  # noqa: E402
from lms.accounts.queries import site_is_set_up  # noqa: E402
from lms.extensions import socketio  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()

    app = create_app()
    jobs.start_scheduler(app)
    with app.app_context():
        set_up = site_is_set_up()
    print(f"\nCircles is running at http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)
    if not set_up:
        print("No account exists yet: the first visit creates the administrator.", flush=True)
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
