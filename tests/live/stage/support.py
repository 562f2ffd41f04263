"""A stand-in for a browser's Janus client: the same HTTP requests janus.js makes (session with a token,
attach to the VideoRoom, join as publisher or subscriber), answering what Janus said."""
from __future__ import annotations

import requests

#: a publisher's SDP offer (audio mid 0, video mid 1) as a browser would send it; no media ever flows (no
#: ICE peer), but Janus sets up the publisher's streams from it, which is what mutes and kicks act on
_FINGERPRINT = ":".join(["AB"] * 32)


def _media(kind: str, mid: str, rtpmap: str, payload: int, ssrc: int) -> list[str]:
    return [f"m={kind} 9 UDP/TLS/RTP/SAVPF {payload}", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
            "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx", f"a=fingerprint:sha-256 {_FINGERPRINT}",
            "a=setup:actpass", f"a=mid:{mid}", "a=sendonly", f"a=msid:stream {kind}0", "a=rtcp-mux",
            f"a=rtpmap:{payload} {rtpmap}", f"a=ssrc:{ssrc} cname:test"]


OFFER = "\r\n".join(["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
                      "a=msid-semantic: WMS stream", *_media("audio", "0", "opus/48000/2", 111, 1111),
                      *_media("video", "1", "VP8/90000", 96, 2222), ""])


class JanusBrowser:
    def __init__(self, http_url: str, token: str):
        self.url = http_url.rstrip("/")
        self.token = token
        self.session = None
        self.handle = None

    def _post(self, path: str, body: dict) -> dict:
        return requests.post(self.url + path, json={**body, "transaction": "t", "token": self.token}, timeout=5).json()

    def connect(self) -> dict:
        """Create the session and attach a VideoRoom handle; Janus's error object, or None."""
        answer = self._post("", {"janus": "create"})
        if answer["janus"] == "error":
            return answer["error"]
        self.session = answer["data"]["id"]
        answer = self._post(f"/{self.session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})
        if answer["janus"] == "error":
            return answer["error"]
        self.handle = answer["data"]["id"]
        return None

    def join(self, room: int, room_token: str | None, ptype: str, feed: int | None = None) -> dict:
        """The VideoRoom's answer to a join (its `data`: "joined", or an event with error_code)."""
        body = {"request": "join", "room": room, "ptype": ptype}
        if room_token is not None:
            body["token"] = room_token
        if ptype == "publisher":
            body["id"] = feed
        else:
            body["streams"] = [{"feed": feed}]
        answer = self._post(f"/{self.session}/{self.handle}", {"janus": "message", "body": body})
        assert answer["janus"] == "ack", answer
        event = requests.get(f"{self.url}/{self.session}", params={"token": self.token, "maxev": 1}, timeout=10).json()
        return event["plugindata"]["data"]

    def publish(self, room: int, room_token: str, feed: int) -> dict:
        """Join as publisher and send an offer at once (joinandconfigure), as janus.js does; the VideoRoom's
        answer (`joined` with the streams, or an error event)."""
        body = {"request": "joinandconfigure", "room": room, "ptype": "publisher", "id": feed, "token": room_token}
        answer = self._post(f"/{self.session}/{self.handle}", {"janus": "message", "body": body,
                                                              "jsep": {"type": "offer", "sdp": OFFER}})
        assert answer["janus"] == "ack", answer
        event = requests.get(f"{self.url}/{self.session}", params={"token": self.token, "maxev": 1}, timeout=10).json()
        return event["plugindata"]["data"]

    def close(self) -> None:
        if self.session is not None:
            self._post(f"/{self.session}", {"janus": "destroy"})
            self.session = None


def connect(answer: dict) -> JanusBrowser:
    """A connected browser stand-in from a token answer (the contract's §2)."""
    browser = JanusBrowser(answer["janus"]["http_url"], answer["token"])
    assert browser.connect() is None
    return browser
