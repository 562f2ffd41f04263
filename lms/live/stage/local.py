"""The embedded default's Janus: `scripts/serve.py` starts one on this machine when the binary is installed
and the app has no JANUS_API_URL of its own (production points at its Janus hosts instead); without it,
every lesson plays over HLS. Fresh ports and secrets at each start (the app learns them here; a lesson's
room is created again on the new Janus at its next token, lms.live.stage.operations.open_room)."""
from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path

from lms.live.stage.janus_conf import JanusProcess, JanusSettings, janus_binary

logger = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def start_local_janus(app, host: str = "127.0.0.1") -> JanusProcess | None:
    """Start a Janus for `app` (serving on `host`) and point the app's JANUS_* config at it; None when the
    app has its own Janus, LMS_JANUS=off, or janus is not installed (then: HLS only, and it says so)."""
    if app.config.get("JANUS_API_URL"):
        return None
    if os.environ.get("LMS_JANUS", "").lower() in {"0", "off", "false", "no"}:
        return None
    binary = janus_binary()
    if binary is None:
        print("Real-time lessons are off: janus is not installed (scripts/setup installs it); lessons play over HLS.",
              flush=True)
        return None
    server_host = (app.config.get("SERVER_NAME") or host).rsplit(":", 1)[0] or "127.0.0.1"
    local = host in LOOPBACK
    settings = JanusSettings.random(bind="127.0.0.1" if local else "0.0.0.0",
                                    public_host="127.0.0.1" if local else server_host)
    process = JanusProcess(settings, Path(app.instance_path) / "janus", binary)
    try:
        process.start()
    except RuntimeError as error:
        print(f"Real-time lessons are off: Janus did not start ({error}); lessons play over HLS.", flush=True)
        return None
    atexit.register(process.stop)
    app.config.update(settings.app_config())
    app.extensions.pop("circles_janus", None)
    return process
