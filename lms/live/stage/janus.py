"""A small client of Janus's HTTP API for the app's own requests (never a browser's): VideoRoom rooms with
their secrets, the allowed list, kicks, mutes, RTP forwards; and the Admin API to look a feed up.

The app authenticates with `api_secret` (Janus lets a request in with either it or a valid token), creates
rooms with the VideoRoom's `admin_key`, and manages each room with its own `secret` (derived from the app's
JANUS_ADMIN_KEY and the room id: nothing stored). Each call opens a Janus session, attaches one handle, sends
the synchronous VideoRoom requests and destroys the session: a few milliseconds on loopback, and nothing for
Janus to time out between lessons.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable

import requests

logger = logging.getLogger(__name__)

#: VideoRoom error codes (janus_videoroom.c)
NO_SUCH_ROOM = 426
ROOM_EXISTS = 427
UNAUTHORIZED = 433
NO_SUCH_FEED = 428
ID_EXISTS = 436


class JanusError(Exception):
    """Janus refused a request, or could not be reached (code None)."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message if code is None else f"{code}: {message}")
        self.code = code
        self.reason = message


class Janus:
    def __init__(self, api_url: str, api_secret: str, admin_key: str, admin_url: str | None = None,
                 admin_secret: str | None = None, timeout: float = 5.0):
        self.api_url = api_url.rstrip("/")
        self.api_secret = api_secret
        self.admin_key = admin_key
        self.admin_url = admin_url.rstrip("/") if admin_url else None
        self.admin_secret = admin_secret
        self.timeout = timeout
        self._http = requests.Session()

    @classmethod
    def from_config(cls, config) -> Janus | None:
        """The app's Janus (config JANUS_API_URL...), or None when it has none (lessons play over HLS)."""
        if not config.get("JANUS_API_URL") or not config.get("JANUS_TOKEN_SECRET"):
            return None
        return cls(config["JANUS_API_URL"], config.get("JANUS_API_SECRET") or "", config.get("JANUS_ADMIN_KEY") or "",
                   config.get("JANUS_ADMIN_URL"), config.get("JANUS_ADMIN_SECRET"),
                   float(config.get("JANUS_TIMEOUT_SECONDS") or 5.0))

    # -- transport ---------------------------------------------------------------------------------
    def _post(self, url: str, body: dict, admin: bool = False) -> dict:
        body = {**body, "transaction": secrets.token_hex(8)}
        if admin:
            body["admin_secret"] = self.admin_secret
        else:
            body["apisecret"] = self.api_secret
        try:
            response = self._http.post(url, json=body, timeout=self.timeout)
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise JanusError(f"Janus is unreachable: {error}") from None
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(error.get("reason", "error"), error.get("code"))
        return answer

    def info(self) -> dict:
        try:
            return self._http.post(self.api_url, json={"janus": "info", "transaction": "info"},
                                   timeout=self.timeout).json()
        except (requests.RequestException, ValueError) as error:
            raise JanusError(f"Janus is unreachable: {error}") from None

    def available(self) -> bool:
        try:
            return "janus.plugin.videoroom" in (self.info().get("plugins") or {})
        except JanusError:
            return False

    def videoroom(self, requests_: Iterable[dict]) -> list[dict]:
        """Send VideoRoom requests in one session; each answer's plugin data. Raises JanusError at the first
        refused (its VideoRoom error code)."""
        session = self._post(self.api_url, {"janus": "create"})["data"]["id"]
        base = f"{self.api_url}/{session}"
        try:
            handle = self._post(base, {"janus": "attach", "plugin": "janus.plugin.videoroom"})["data"]["id"]
            answers = []
            for body in requests_:
                answer = self._post(f"{base}/{handle}", {"janus": "message", "body": body})
                data = ((answer.get("plugindata") or {}).get("data")) or {}
                if data.get("videoroom") == "event" and data.get("error_code"):
                    raise JanusError(data.get("error", "error"), data["error_code"])
                answers.append(data)
            return answers
        finally:
            try:
                self._post(base, {"janus": "destroy"})
            except JanusError:
                pass

    def one(self, body: dict) -> dict:
        return self.videoroom([body])[0]

    # -- rooms ---------------------------------------------------------------------------------------
    def room_secret(self, room: int) -> str:
        """Each room's `secret`: HMAC of its id with the app's admin key (the app can always recompute it)."""
        return hmac.new(f"room-secret:{self.admin_key}".encode(), str(int(room)).encode(),
                        hashlib.sha256).hexdigest()

    def create_room(self, room: int, description: str, publishers: int, allowed: Iterable[str] = (),
                    bitrate: int = 1_000_000) -> dict:
        """A room for one lesson: signed tokens to join, an allowed list to publish, a secret to manage it."""
        return self.one({
            "request": "create", "room": int(room), "admin_key": self.admin_key, "permanent": False,
            "description": description[:100], "secret": self.room_secret(room), "is_private": True,
            "signed_tokens": True, "allowed": list(allowed), "require_pvtid": False,
            "publishers": int(publishers), "bitrate": int(bitrate), "fir_freq": 10,
            "audiocodec": "opus", "videocodec": "vp8,h264", "audiolevel_event": True, "notify_joining": False,
        })

    def destroy_room(self, room: int) -> bool:
        """Destroy it (everyone in it is dropped); False when it did not exist."""
        try:
            self.one({"request": "destroy", "room": int(room), "secret": self.room_secret(room), "permanent": False})
            return True
        except JanusError as error:
            if error.code == NO_SUCH_ROOM:
                return False
            raise

    def rooms(self) -> list[dict]:
        """Every VideoRoom room, the private ones too (listed for a request with the `admin_key`,
        janus_videoroom.c "list"): [{"room": int, "description": str, "num_participants": int, ...}]."""
        return self.one({"request": "list", "admin_key": self.admin_key}).get("list") or []

    def exists(self, room: int) -> bool:
        return bool(self.one({"request": "exists", "room": int(room)}).get("exists"))

    def allow(self, room: int, tokens: Iterable[str], add: bool = True) -> list[str]:
        """Add tokens to (or remove them from) the room's allowed list; returns the list."""
        tokens = list(tokens)
        if not tokens:
            return []
        answer = self.one({"request": "allowed", "room": int(room), "secret": self.room_secret(room),
                           "action": "add" if add else "remove", "allowed": tokens})
        return answer.get("allowed") or []

    def participants(self, room: int) -> list[dict]:
        return self.one({"request": "listparticipants", "room": int(room)}).get("participants") or []

    def kick(self, room: int, feed: int) -> bool:
        """Drop one publisher (False when it is not there)."""
        try:
            self.one({"request": "kick", "room": int(room), "id": int(feed), "secret": self.room_secret(room)})
            return True
        except JanusError as error:
            if error.code == NO_SUCH_FEED:
                return False
            raise

    def kick_all_but(self, room: int, keep: set[int]) -> list[int]:
        """Drop every publisher whose id is not in `keep` (someone off stage, or an id the app never gave)."""
        kicked = []
        for p in self.participants(room):
            feed = p.get("id")
            if isinstance(feed, int) and feed not in keep and self.kick(room, feed):
                kicked.append(feed)
        return kicked

    def moderate(self, room: int, feed: int, mid: str, mute: bool) -> None:
        self.one({"request": "moderate", "room": int(room), "id": int(feed), "mid": str(mid), "mute": bool(mute),
                  "secret": self.room_secret(room)})

    def publisher_streams(self, room: int, feed: int) -> list[dict]:
        """The streams (type, mid) the publisher `feed` sends, from the Admin API (the Janus API lists
        participants without their streams). Empty when there is no admin API or no such publisher."""
        if not self.admin_url:
            return []
        sessions = self._post(self.admin_url, {"janus": "list_sessions"}, admin=True).get("sessions") or []
        for session in sessions:
            try:
                handles = self._post(f"{self.admin_url}/{session}", {"janus": "list_handles"},
                                     admin=True).get("handles") or []
                for handle in handles:
                    info = self._post(f"{self.admin_url}/{session}/{handle}", {"janus": "handle_info"},
                                      admin=True).get("info") or {}
                    specific = info.get("plugin_specific") or {}
                    if specific.get("type") == "publisher" and specific.get("room") == room and specific.get("id") == feed:
                        return specific.get("streams") or []
            except JanusError:  # a session or handle that went away meanwhile
                continue
        return []

    def mute_audio(self, room: int, feed: int, mute: bool) -> int:
        """Mute (or unmute) every audio stream of a publisher; returns how many."""
        mids = [s.get("mid") for s in self.publisher_streams(room, feed) if s.get("type") == "audio"]
        for mid in mids:
            self.moderate(room, feed, mid, mute)
        return len(mids)

    def rtp_forward(self, room: int, feed: int, host: str, audio_port: int, video_port: int) -> dict:
        """Forward a publisher's audio and video as plain RTP to `host` (ffmpeg reading an SDP there)."""
        streams = self.publisher_streams(room, feed)
        forwards = []
        for s in streams:
            if s.get("type") == "audio" and audio_port:
                forwards.append({"mid": s["mid"], "host": host, "port": int(audio_port)})
                audio_port = 0
            elif s.get("type") == "video" and video_port:
                forwards.append({"mid": s["mid"], "host": host, "port": int(video_port)})
                video_port = 0
        return self.one({"request": "rtp_forward", "room": int(room), "publisher_id": int(feed),
                         "secret": self.room_secret(room), "admin_key": self.admin_key, "host": host,
                         "streams": forwards})
