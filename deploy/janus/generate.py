#!/usr/bin/env python3
"""Write a Janus configuration folder for the live stage (lms.live.stage.janus_conf), for a Janus host in
production or by hand: `deploy/janus/generate.py OUT_DIR [--http 8088 --ws 8188 --admin 7088
--rtp 20000-40000 --bind 0.0.0.0 --nat-1-1 PUBLIC_IP --stun stun.example.org:3478]`.

Secrets come from the environment, the same values the app's LMS_JANUS_* settings hold:
JANUS_API_SECRET, JANUS_ADMIN_SECRET, JANUS_ADMIN_KEY, JANUS_TOKEN_SECRET (a fresh random one is made and
printed for each one missing). Run Janus as its own user: `janus -F OUT_DIR -C OUT_DIR/janus.jcfg`.
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lms.live.stage.janus_conf import JanusSettings, write_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--http", type=int, default=8088)
    parser.add_argument("--ws", type=int, default=8188)
    parser.add_argument("--admin", type=int, default=7088)
    parser.add_argument("--rtp", default="20000-40000")
    parser.add_argument("--bind", default="127.0.0.1", help="where the API listens (a proxy in front: loopback)")
    parser.add_argument("--nat-1-1", default=None, help="the public IP of a Janus behind 1:1 NAT (cloud hosts)")
    parser.add_argument("--stun", default=None, help="host:port of a STUN server for Janus's own candidates")
    parser.add_argument("--log", type=Path, default=None, help="log to this file too")
    args = parser.parse_args()
    values = {}
    for name, env in (("api_secret", "JANUS_API_SECRET"), ("admin_secret", "JANUS_ADMIN_SECRET"),
                      ("admin_key", "JANUS_ADMIN_KEY"), ("token_secret", "JANUS_TOKEN_SECRET")):
        values[name] = os.environ.get(env) or os.environ.get(f"LMS_{env}")
        if not values[name]:
            values[name] = secrets.token_urlsafe(32)
            print(f"{env}={values[name]}  (new: give the app the same, LMS_{env})")
    low, high = (int(x) for x in args.rtp.split("-"))
    settings = JanusSettings(http_port=args.http, ws_port=args.ws, admin_port=args.admin, rtp_ports=(low, high),
                             bind=args.bind, nat_1_1=args.nat_1_1, stun_server=args.stun, **values)
    write_config(settings, args.out, args.log)
    print(f"wrote {args.out}/ (janus.jcfg, the HTTP and WebSocket transports, the VideoRoom)")


if __name__ == "__main__":
    main()
