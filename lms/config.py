"""Configuration: defaults for the embedded default, overridden from LMS_* environment variables."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

#: Settings that may come from the environment as LMS_<NAME>, with how to parse them.
_ENV_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "SQLALCHEMY_DATABASE_URI": str,
    "REDIS_URL": str,
    "REDIS_PREFIX": str,
    "STORAGE_BACKEND": str,
    "STORAGE_ROOT": str,
    "S3_ENDPOINT_URL": str,
    "S3_PUBLIC_ENDPOINT_URL": str,
    "S3_BUCKET": str,
    "S3_REGION": str,
    "S3_ACCESS_KEY_ID": str,
    "S3_SECRET_ACCESS_KEY": str,
    "JOBS_BACKEND": str,
    "SOCKETIO_ASYNC_MODE": str,
    "SOCKETIO_TRANSPORTS": str,
    "SOCKETIO_MESSAGE_QUEUE": str,
    "MAIL_BACKEND": str,
    "MAIL_FROM": str,
    "MAIL_DIR": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_STARTTLS": bool,
    "SESSION_COOKIE_SECURE": bool,
    "SESSION_IDLE_SECONDS": int,
    "SESSION_MAX_SECONDS": int,
    "REGISTRATION_MAX_AGE": int,
    "PREFERRED_URL_SCHEME": str,
    "SERVER_NAME": str,
    "RATELIMIT_ENABLED": bool,
    "MAX_UPLOAD_BYTES": int,
    "USER_QUOTA_BYTES": int,
    "MAX_VIDEO_SECONDS": int,
    "UPLOAD_EXPIRY_HOURS": int,
    "UPLOAD_DIR": str,
    "MAX_FILE_BYTES": int,
    "MAX_IMAGE_PIXELS": int,
    "MEDIA_MAX_ATTEMPTS": int,
    "MEDIA_STALE_SECONDS": int,
    "MEDIA_HEARTBEAT_SECONDS": int,
    "MEDIA_HLS_MIN_SECONDS": int,
    "MEDIA_WORK_DIR": str,
    "LIVE_DIR": str,
    "LIVE_MAX_ENCODES": int,
    "LIVE_RTMP_URL": str,
    "LIVE_RTMP_CALLBACK_SECRET": str,
    "LIVE_ORIGIN": str,
    "LIVE_ORIGIN_SECRET": str,
    "HEALTH_TIMEOUT_SECONDS": float,
    "CONSOLE_FIGURES_MAX_AGE": int,
    "JOBS_SCHEDULER": bool,
    "PROXY_COUNT": int,
    "AUTO_MIGRATE": bool,
    "OUTBOUND_ALLOWED_HOSTS": list,
    "FILES_CIRCLE_QUOTA_BYTES": int,
    "LIVE_SEGMENT_TOKEN_SECONDS": int,
    "JANUS_API_URL": str,
    "JANUS_ADMIN_URL": str,
    "JANUS_API_SECRET": str,
    "JANUS_ADMIN_SECRET": str,
    "JANUS_ADMIN_KEY": str,
    "JANUS_TOKEN_SECRET": str,
    "JANUS_PUBLIC_WS_URL": str,
    "JANUS_PUBLIC_HTTP_URL": str,
    "JANUS_TOKEN_SECONDS": int,
    "STAGE_MAX": int,
    "MODERATION_ESCALATE_MINUTES": int,
    "ENV": str,
}


def _parse(kind: type, raw: str):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    if kind is list:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


class Config:
    """The embedded default: one machine, SQLite, local disk, in-process jobs and Socket.IO."""

    ENV = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # instance/lms.db when unset
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    #: what this site's names in Redis start with (job queues, rate-limit keys, the Socket.IO
    #: channel), so sites sharing one Redis server never meet (pub/sub ignores database numbers);
    #: unset: "lms-" and a short hash of SERVER_NAME, else of the database's host and name
    REDIS_PREFIX: str | None = None

    STORAGE_BACKEND = "local"  # local | s3
    STORAGE_ROOT: str | None = None  # instance/storage when unset
    S3_ENDPOINT_URL: str | None = None
    S3_PUBLIC_ENDPOINT_URL: str | None = None
    S3_BUCKET = "circles"
    S3_REGION = "us-east-1"
    S3_ACCESS_KEY_ID: str | None = None
    S3_SECRET_ACCESS_KEY: str | None = None

    JOBS_BACKEND = "thread"  # thread | rq | inline
    SOCKETIO_ASYNC_MODE = "threading"
    #: how browsers reach the Socket.IO process: "polling,websocket" (long-polling first, upgraded;
    #: works through any proxy, needs sticky sessions such as nginx ip_hash) or "websocket" (WebSocket
    #: only: no sticky sessions needed, so a school behind one address spreads over every process)
    SOCKETIO_TRANSPORTS = "polling,websocket"
    SOCKETIO_MESSAGE_QUEUE: str | None = None  # defaults to REDIS_URL when that is set

    MAIL_BACKEND = "file"  # file (log + instance/mail/) | smtp
    MAIL_FROM = "Circles <no-reply@localhost>"
    MAIL_DIR: str | None = None  #: where the file backend writes messages; instance/mail when unset
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = True

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 14 * 24 * 3600
    #: server-side sessions (accounts.UserSession): one unused this long ends, unless "keep me signed in"
    SESSION_IDLE_SECONDS = 14 * 24 * 3600
    #: any session ends this long after its sign-in; also the life of the "keep me signed in" cookie
    SESSION_MAX_SECONDS = 365 * 24 * 3600
    SESSION_TOUCH_SECONDS = 60  #: last_seen_at is written at most this often per session

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; a stale form loses nothing
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True

    # Password hashing (argon2id). The defaults are argon2-cffi's RFC 9106 "low memory" profile.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024  # KiB
    ARGON2_PARALLELISM = 4

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "zh_Hans", "zh_Hant")

    MAX_UPLOAD_BYTES = 2 * 1024**3
    MAX_IMAGE_BYTES = 5 * 1024**2
    #: pixels an uploaded image may decode to (all frames of an animation together): a 50 MP phone
    #: photo passes; a small file that unpacks to gigabytes (a decompression bomb) does not
    MAX_IMAGE_PIXELS = 52_000_000
    MAX_VIDEO_SECONDS = 20 * 60
    UPLOAD_EXPIRY_HOURS = 48  #: an upload with no new bytes for this long is deleted
    UPLOAD_DIR: str | None = None  # instance/uploads when unset: partial files of chunked uploads
    #: the largest PATCH the app's widget sends (any size up to Upload-Length is taken). The widget sizes
    #: each chunk to take about 7.5 s at the measured speed, so only a link faster than ~9 MB/s reaches
    #: this; there, fewer requests cost less (scripts/bench/upload: 8 MiB requests reach about half of
    #: a durable raw copy, 64 MiB ones all of it). Every byte of a cut chunk is kept either way.
    UPLOAD_CHUNK_BYTES = 64 * 1024**2
    S3_PART_BYTES = 16 * 1024**2  #: part size of direct-to-bucket uploads (S3 allows 10,000 parts)
    MAX_FILE_BYTES = 200 * 1024**2  #: attachments (documents, images)
    #: storage one person's uploads may take, all of them together (0: no limit); counted from the
    #: size each upload announced, so an upload under way already counts
    USER_QUOTA_BYTES = 5 * 1024**3
    MEDIA_MAX_ATTEMPTS = 3  #: processing runs before an item fails for good
    MEDIA_STALE_SECONDS = 120  #: a worker silent this long is presumed dead; its item is re-queued
    MEDIA_HEARTBEAT_SECONDS = 10
    MEDIA_HLS_MIN_SECONDS = 300  #: videos at least this long also get an HLS rendition
    #: how long a media URL in a page may be used (a page left open); who may use it is checked
    #: on every request, whatever its age
    MEDIA_URL_MAX_AGE = 12 * 3600
    #: life of a presigned S3 URL handed out after that check: what a viewer who just lost access
    #: can still fetch; the player asks the app again when it expires mid-video
    MEDIA_PRESIGN_SECONDS = 120
    MEDIA_WORK_DIR: str | None = None  # the system temp folder when unset
    #: live lessons' HLS folders (one per lesson, named by its stream_path), on the ingest host's disk;
    #: nginx-rtmp's `hls_path` must be the same folder. instance/live when unset
    LIVE_DIR: str | None = None
    #: live lessons whose browser video this process encodes to H.264 at once (≈0.5 core each at
    #: 720p); one more is refused with a message. None: the number of CPU cores
    LIVE_MAX_ENCODES: int | None = None
    LIVE_COPY_H264 = True  #: a browser that sends H.264 (Chromium) is copied, not encoded (≈0.1 core)
    LIVE_SEGMENT_SECONDS = 1.0  #: HLS segment length (a keyframe starts each one)
    LIVE_IDLE_SECONDS = 20  #: a browser stream with no piece for this long is closed (its lesson reconnecting)
    LIVE_MAX_SECONDS = 6 * 3600  #: a live stream is cut after this long
    #: the RTMP server URL shown to teachers for OBS (e.g. rtmp://circles.example.org/live); None: no RTMP
    LIVE_RTMP_URL: str | None = None
    #: nginx-rtmp's callbacks come from a loopback address; nginx on another host adds ?secret=<this> to
    #: their URLs (deploy/nginx/rtmp.conf) and the app then takes them from anywhere with it
    LIVE_RTMP_CALLBACK_SECRET: str | None = None
    #: several hosts: host:port where this ingest host's nginx serves its LIVE_DIR to the others
    #: (deploy/nginx/live-origin.conf; lms.live.origin); None: one host, segments read from LIVE_DIR
    LIVE_ORIGIN: str | None = None
    #: the header value deploy/nginx/live-origin.conf asks of whoever fetches from an origin
    LIVE_ORIGIN_SECRET: str | None = None
    #: the live stage's Janus (lms.live.stage; deploy/janus/README.md). No JANUS_API_URL: every lesson plays
    #: over HLS. The API and admin URLs are how the app reaches Janus; the public ones how browsers do
    JANUS_API_URL: str | None = None
    JANUS_ADMIN_URL: str | None = None
    JANUS_API_SECRET: str | None = None
    JANUS_ADMIN_SECRET: str | None = None
    JANUS_ADMIN_KEY: str | None = None  #: the VideoRoom's admin_key (creating rooms, RTP forwards)
    JANUS_TOKEN_SECRET: str | None = None  #: Janus's token_auth_secret: signs the browsers' tokens
    JANUS_PUBLIC_WS_URL: str | None = None
    JANUS_PUBLIC_HTTP_URL: str | None = None
    JANUS_ICE_SERVERS: list = []  #: RTCPeerConnection iceServers handed to browsers (STUN/TURN: coturn)
    JANUS_TOKEN_SECONDS = 1800  #: life of a browser's Janus tokens (renewed by the page before they end)
    STAGE_MAX = 16  #: people on a lesson's stage at once (and invited), teachers not counted
    STAGE_INVITE_SECONDS = 30  #: an invitation to the stage not accepted within this lapses
    STAGE_GONE_SECONDS = 20  #: someone on stage whose pages all closed is taken off after this (unless back)
    #: seconds /readyz waits for each of the database, Redis and storage before calling it failed
    HEALTH_TIMEOUT_SECONDS = 2.0
    JOBS_SCHEDULER = True  #: run periodic jobs (sweeps, clean-up) in this process's worker
    #: periodic jobs: task → seconds between runs; None: the schedule of lms.jobs.SCHEDULE, where each
    #: task is named by its lms.jobs.Task (configuration sits below jobs, so it names no task itself)
    PERIODIC_JOBS: dict | None = None
    PASSWORD_RESET_MAX_AGE = 3600
    REGISTRATION_MAX_AGE = 48 * 3600  #: how long the link that finishes a registration works
    COURSE_CODE_BATCH_MAX = 500
    MEMBERS_PER_PAGE = 50
    #: the school console's kept class figures are counted again when a viewer finds them older than this
    CONSOLE_FIGURES_MAX_AGE = 600
    AUTO_MIGRATE = False
    #: how many reverse proxies (nginx) stand in front: their X-Forwarded-For/-Proto/-Host are then
    #: trusted for the client's address (rate limits) and the public URL; 0 trusts none
    PROXY_COUNT = 0
    #: hosts on a private network that an organization's sign-in provider or LTI platform may use
    #: (e.g. a school's Keycloak at keycloak.school.internal); every other address those admins type
    #: must be on the public internet (lms.core.outbound). Environment: comma-separated.
    OUTBOUND_ALLOWED_HOSTS: tuple[str, ...] | list[str] = ()


class ProductionConfig(Config):
    """Scale-out defaults; every secret must come from the environment."""

    ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    """Fast and deterministic: inline jobs, cheap password hashing, no rate limits by default."""

    ENV = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    JOBS_BACKEND = "inline"
    RATELIMIT_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    SERVER_NAME = "localhost"
    JOBS_SCHEDULER = False
    #: the tests' OpenID provider and LTI platforms answer on this machine
    OUTBOUND_ALLOWED_HOSTS = ("127.0.0.1", "localhost")


def load_config(app, config: dict | type | None) -> None:
    """Fill app.config: the chosen class, then LMS_* environment variables, then `config` overrides.

    With no secret key configured outside production, one is generated once and kept in
    instance/secret_key so sessions survive restarts. Production refuses to start without one.
    """
    base = config if isinstance(config, type) else None
    if base is None:
        base = ProductionConfig if os.environ.get("LMS_ENV") == "production" else Config
    app.config.from_object(base)
    for name, kind in _ENV_SETTINGS.items():
        raw = os.environ.get(f"LMS_{name}")
        if raw is not None:
            app.config[name] = _parse(kind, raw)
    extra = os.environ.get("LMS_CONFIG_JSON")
    if extra:
        app.config.update(json.loads(extra))
    if isinstance(config, dict):
        app.config.update(config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'lms.db'}"
    if not app.config.get("STORAGE_ROOT"):
        app.config["STORAGE_ROOT"] = str(instance / "storage")
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(instance / "uploads")
    if not app.config.get("LIVE_DIR"):
        app.config["LIVE_DIR"] = str(instance / "live")
    if not app.config.get("SOCKETIO_MESSAGE_QUEUE") and app.config.get("REDIS_URL"):
        app.config["SOCKETIO_MESSAGE_QUEUE"] = app.config["REDIS_URL"]
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    if not app.config.get("REDIS_PREFIX"):
        app.config["REDIS_PREFIX"] = site_prefix(app.config)
    app.config["RATELIMIT_KEY_PREFIX"] = app.config["REDIS_PREFIX"]
    # Flask-Limiter keeps `enabled` on its one global object, so the last app built would decide
    # for every app in the process. The library stays on; RATE_LIMITING switches it per app.
    app.config["RATE_LIMITING"] = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_ENABLED"] = True
    # the "keep me signed in" cookie lives as long as the server-side session may
    app.config["REMEMBER_COOKIE_DURATION"] = app.config["SESSION_MAX_SECONDS"]
    app.config["MAX_CONTENT_LENGTH"] = None  # uploads are streamed and capped by their own routes
    app.config["MAX_FORM_MEMORY_SIZE"] = 2 * 1024**2
    if app.config["ENV"] == "production" and not app.config.get("SERVER_NAME"):
        # links in mail are built from it, never from a request's (forgeable) Host header
        raise RuntimeError("LMS_SERVER_NAME must be set in production (the public host, e.g. circles.example.org)")
    if not app.config.get("SECRET_KEY"):
        if app.config["ENV"] == "production":
            raise RuntimeError("LMS_SECRET_KEY must be set in production")
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if app.config["ENV"] == "production":
        for problem in https_problems(app.config):
            app.logger.error("%s", problem)


def https_problems(config) -> list[str]:
    """What start-up can tell about a production site that will not work over HTTPS: its cookies are
    Secure, so browsers keep no session over plain HTTP and every form fails its CSRF check. Each
    entry names the setting and the fix; the first request over plain HTTP is checked again
    (lms/core/security.py)."""
    if not config.get("SESSION_COOKIE_SECURE"):
        return []
    problems = []
    scheme = (config.get("PREFERRED_URL_SCHEME") or "https").lower()
    if scheme != "https":
        problems.append(
            f"LMS_PREFERRED_URL_SCHEME is {scheme!r} but cookies are Secure (HTTPS only): put TLS in front "
            "and set LMS_PREFERRED_URL_SCHEME=https, or set LMS_SESSION_COOKIE_SECURE=false to try the "
            "site over plain HTTP on purpose"
        )
    server_name = config.get("SERVER_NAME") or ""
    if "://" in server_name:
        problems.append(
            f"LMS_SERVER_NAME is {server_name!r}: give the host (and port) only, e.g. circles.example.org; "
            "the scheme is https in production"
        )
    if not config.get("PROXY_COUNT"):
        problems.append(
            "LMS_PROXY_COUNT is 0: the app trusts no proxy's X-Forwarded-Proto, so behind nginx every request "
            "looks like plain HTTP to it; set LMS_PROXY_COUNT to the number of proxies in front (1 for one "
            "nginx that terminates TLS and sends X-Forwarded-Proto)"
        )
    return problems


def site_prefix(config) -> str:
    """A short name for this site in a shared Redis: "lms-" and 8 hex digits hashed from the public
    host (SERVER_NAME), or without one from the database's host, port and name (never its password)."""
    site = config.get("SERVER_NAME")
    if not site:
        from sqlalchemy.engine import make_url

        url = make_url(config["SQLALCHEMY_DATABASE_URI"])
        site = f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
    return "lms-" + hashlib.sha256(site.encode()).hexdigest()[:8]


def _instance_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
