"""A local Janus (Debian's `janus` 1.1.x) for the stage: its configuration for a given set of ports and
secrets, and a process that runs it as the current user. `scripts/serve.py` starts one when the binary is
installed (the embedded default), the tests start one on free ports; production runs Janus on its own hosts
from the same generated files (deploy/janus/README.md).

What the configuration enforces (issue 18, docs/stage: the app is the authority):

- the Janus API (HTTP + WebSocket transports) listens on loopback only, unless `bind` says otherwise; every
  request needs `api_secret` (the app's own requests) or a signed token (`token_auth_secret`: browsers);
- the Admin API (HTTP, loopback) needs `admin_secret`;
- the VideoRoom plugin creates rooms only with `admin_key` (the app), and RTP forwards need it too
  (`lock_rtp_forward`); every room the app creates has a `secret` (destroy, kick, mute, allowed list),
  `signed_tokens` (joining needs a token signed for this room) and an `allowed` list (publishing needs a
  publisher token put there by the app);
- only the VideoRoom plugin and the HTTP/WebSocket transports are loaded.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

#: where Debian's package puts Janus's modules
LIB_DIR = Path("/usr/lib/x86_64-linux-gnu/janus")
PLUGIN = "libjanus_videoroom.so"
TRANSPORTS = ("libjanus_http.so", "libjanus_websockets.so")


def janus_binary() -> str | None:
    """The janus executable (JANUS_BINARY or on PATH), or None when it is not installed."""
    explicit = os.environ.get("JANUS_BINARY")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("janus") or (("/usr/bin/janus") if os.access("/usr/bin/janus", os.X_OK) else None)


def lib_dir() -> Path:
    """Janus's module folder: Debian's on amd64, else found next to the binary's prefix."""
    if LIB_DIR.is_dir():
        return LIB_DIR
    for candidate in Path("/usr/lib").glob("*/janus"):
        if (candidate / "plugins").is_dir():
            return candidate
    for candidate in (Path("/usr/lib/janus"), Path("/usr/local/lib/janus"), Path("/opt/janus/lib/janus")):
        if (candidate / "plugins").is_dir():
            return candidate
    return LIB_DIR


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class JanusSettings:
    """One Janus's ports and secrets (the app's JANUS_* config says the same, see `app_config`)."""

    http_port: int = 8088
    ws_port: int = 8188
    admin_port: int = 7088
    rtp_ports: tuple[int, int] = (20000, 40000)
    bind: str = "127.0.0.1"  #: where the API and the admin API listen
    api_secret: str = ""
    admin_secret: str = ""
    admin_key: str = ""  #: the VideoRoom's key for creating rooms and RTP forwards
    token_secret: str = ""  #: token_auth_secret: HMAC-SHA1 key of the browsers' signed tokens
    public_host: str = "127.0.0.1"  #: how browsers reach it (embedded default: this machine)
    nat_1_1: str | None = None  #: public IP of a Janus behind NAT (production)
    stun_server: str | None = None  #: "host:port", for Janus's own candidates
    ice_enforce: str | None = None  #: e.g. "lo" to gather on loopback only (tests on one machine)
    debug_level: int = 3
    extra: dict = field(default_factory=dict)

    @classmethod
    def random(cls, **kwargs) -> JanusSettings:
        """Free ports now and fresh secrets (the tests, the embedded default)."""
        import secrets

        rtp = free_port()
        values = dict(http_port=free_port(), ws_port=free_port(), admin_port=free_port(), rtp_ports=(rtp, rtp + 200),
                      api_secret=secrets.token_urlsafe(24), admin_secret=secrets.token_urlsafe(24),
                      admin_key=secrets.token_urlsafe(24), token_secret=secrets.token_urlsafe(32))
        values.update(kwargs)
        return cls(**values)

    @property
    def api_url(self) -> str:
        return f"http://{_host(self.bind)}:{self.http_port}/janus"

    @property
    def admin_url(self) -> str:
        return f"http://{_host(self.bind)}:{self.admin_port}/admin"

    def app_config(self) -> dict:
        """The app's config keys for this Janus (lms/config.py's JANUS_*)."""
        return {
            "JANUS_API_URL": self.api_url,
            "JANUS_ADMIN_URL": self.admin_url,
            "JANUS_API_SECRET": self.api_secret,
            "JANUS_ADMIN_SECRET": self.admin_secret,
            "JANUS_ADMIN_KEY": self.admin_key,
            "JANUS_TOKEN_SECRET": self.token_secret,
            "JANUS_PUBLIC_WS_URL": f"ws://{self.public_host}:{self.ws_port}/",
            "JANUS_PUBLIC_HTTP_URL": f"http://{self.public_host}:{self.http_port}/janus",
        }


def _host(bind: str) -> str:
    return "127.0.0.1" if bind in ("0.0.0.0", "") else bind


def _q(value) -> str:
    """A jcfg (libconfig) string."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(settings: JanusSettings, config_dir: Path, log_file: Path | None = None) -> dict[str, str]:
    """The configuration files' names and texts."""
    libs = lib_dir()
    others = sorted(p.name for p in (libs / "plugins").glob("*.so") if p.name != PLUGIN)
    other_transports = sorted(p.name for p in (libs / "transports").glob("*.so") if p.name not in TRANSPORTS)
    loggers = sorted(p.name for p in (libs / "loggers").glob("*.so"))
    handlers = sorted(p.name for p in (libs / "events").glob("*.so"))
    nat = [f"\tice_ignore_list = {_q('vmnet')}"]
    if settings.nat_1_1:
        nat.append(f"\tnat_1_1_mapping = {_q(settings.nat_1_1)}")
    if settings.stun_server:
        host, _, port = settings.stun_server.rpartition(":")
        nat += [f"\tstun_server = {_q(host)}", f"\tstun_port = {int(port)}"]
    if settings.ice_enforce:
        nat.append(f"\tice_enforce_list = {_q(settings.ice_enforce)}")
    general = [
        f"\tconfigs_folder = {_q(config_dir)}",
        f"\tplugins_folder = {_q(libs / 'plugins')}",
        f"\ttransports_folder = {_q(libs / 'transports')}",
        f"\tevents_folder = {_q(libs / 'events')}",
        f"\tloggers_folder = {_q(libs / 'loggers')}",
        f"\tdebug_level = {int(settings.debug_level)}",
        f"\tapi_secret = {_q(settings.api_secret)}",
        "\ttoken_auth = true",
        f"\ttoken_auth_secret = {_q(settings.token_secret)}",
        f"\tadmin_secret = {_q(settings.admin_secret)}",
        "\tsession_timeout = 60",
        "\tserver_name = \"circles-stage\"",
    ]
    if log_file is not None:
        general.append(f"\tlog_to_file = {_q(log_file)}")
    janus = "\n".join([
        "# Generated by lms.live.stage.janus_conf (Circles): do not edit, regenerate.",
        "general: {", *general, "}",
        "certificates: {", "}",
        "media: {", f"\trtp_port_range = {_q('%d-%d' % settings.rtp_ports)}", "}",
        "nat: {", *nat, "}",
        "plugins: {", f"\tdisable = {_q(','.join(others))}", "}",
        "transports: {", f"\tdisable = {_q(','.join(other_transports))}", "}",
        "loggers: {", f"\tdisable = {_q(','.join(loggers))}", "}",
        "events: {", "\tbroadcast = false", f"\tdisable = {_q(','.join(handlers))}", "}",
        "",
    ])
    http = "\n".join([
        "general: {", "\tjson = \"plain\"", "\tbase_path = \"/janus\"", "\thttp = true",
        f"\tport = {settings.http_port}", f"\tip = {_q(settings.bind)}", "\thttps = false", "}",
        "admin: {", "\tadmin_base_path = \"/admin\"", "\tadmin_http = true", f"\tadmin_port = {settings.admin_port}",
        f"\tadmin_ip = {_q(_host(settings.bind))}", "\tadmin_https = false", "}",
        "cors: {", "}", "",
    ])
    ws = "\n".join([
        "general: {", "\tjson = \"plain\"", "\tws = true", f"\tws_port = {settings.ws_port}",
        f"\tws_ip = {_q(settings.bind)}", "\twss = false", "}",
        "admin: {", "\tadmin_ws = false", "\tadmin_wss = false", "}",
        "cors: {", "}", "",
    ])
    videoroom = "\n".join([
        "general: {", f"\tadmin_key = {_q(settings.admin_key)}", "\tlock_rtp_forward = true",
        "\tstring_ids = false", "}", "",
    ])
    return {
        "janus.jcfg": janus,
        "janus.transport.http.jcfg": http,
        "janus.transport.websockets.jcfg": ws,
        "janus.plugin.videoroom.jcfg": videoroom,
    }


def write_config(settings: JanusSettings, config_dir: Path, log_file: Path | None = None) -> Path:
    """Write the files into `config_dir` (made private: they hold secrets); returns the folder."""
    config_dir = Path(config_dir)
    config_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config_dir, 0o700)
    for name, text in render(settings, config_dir, log_file).items():
        path = config_dir / name
        path.write_text(text)
        os.chmod(path, 0o600)
    return config_dir


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it dies, however it dies (a killed
    scripts/serve.py or test run leaves no Janus behind). Linux only; elsewhere nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class JanusProcess:
    """A Janus started as a child of this process, as the current user, from a generated folder."""

    def __init__(self, settings: JanusSettings, workdir: Path, binary: str | None = None):
        self.settings = settings
        self.workdir = Path(workdir)
        self.binary = binary or janus_binary()
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "janus.log"

    def start(self, timeout: float = 20.0) -> JanusProcess:
        if self.binary is None:
            raise RuntimeError("janus is not installed (scripts/setup installs Debian's package)")
        config_dir = write_config(self.settings, self.workdir / "conf")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.binary, "--configs-folder", str(config_dir), "--config", str(config_dir / "janus.jcfg"),
             "--disable-colors"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_die_with_parent)
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"janus exited ({self.process.returncode}): {self.log_tail()}")
            try:
                r = requests.post(self.settings.api_url, json={"janus": "info", "transaction": "ready"}, timeout=1)
                if r.ok:
                    with socket.create_connection((_host(self.settings.bind), self.settings.ws_port), timeout=1):
                        return
            except (OSError, requests.RequestException):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"janus did not answer within {timeout:.0f} s: {self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
