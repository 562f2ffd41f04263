"""The live stage (issue 18): real-time lessons over WebRTC through Janus's VideoRoom, and students on stage.

The app stays the authority: it creates a lesson's Janus room (with a secret, signed tokens to join, an
allowed list to publish) when the lesson switches to real-time video, hands each member short-lived tokens
for exactly their role, puts a publisher's room token on the allowed list when they go on stage and takes it
off (and kicks their feeds) when they leave, and destroys the room when the lesson ends. The browser's side
of it: /work/notes/stage_contract.md.

- janus_conf: a local Janus's configuration and process; janus: the client of its HTTP API;
- tokens: the signed tokens; operations: mode, invitations, stage, mutes, turns, state, pushes;
- routes: the token endpoint. The Socket.IO events are lms.live.events's `stage_*`.
"""
