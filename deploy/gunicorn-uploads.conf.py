"""gunicorn settings of the upload process: `gunicorn -c deploy/gunicorn-uploads.conf.py`.

nginx sends /uploads to it (README, Production). Upload requests last as long as the client's link
needs: a phone at 30 KB/s spends minutes on one chunk. So:

- `gthread` workers: each request has its own thread, and the worker's main loop keeps telling
  the arbiter it is alive, so `timeout` never kills a slow request (a sync worker would be killed
  mid-chunk after `timeout` seconds, and would serve nobody else meanwhile).
- many threads: a waiting upload costs a thread and a socket, no CPU; it holds no database
  connection while its bytes arrive (lms/uploads/routes.py). Size `threads` for the uploads you
  expect at once (a deadline rush), the database pool is not the limit.
- the bytes are written as they come and fsync'd often (lms/uploads/parts.py), so a client cut
  off at any moment resumes from the last byte that arrived.

Every setting can be overridden on the command line (which wins over this file), e.g.
`gunicorn -c deploy/gunicorn-uploads.conf.py -b 127.0.0.1:9000 --threads 200`.
"""
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("LMS_UPLOADS_BIND", "127.0.0.1:8002")
worker_class = "gthread"
workers = int(os.environ.get("LMS_UPLOADS_WORKERS", "2"))
threads = int(os.environ.get("LMS_UPLOADS_THREADS", "64"))
#: how long the worker's main loop may be silent before it is restarted; not a limit on a request
timeout = 60
graceful_timeout = 60  # a restart lets uploads in flight finish their chunk
keepalive = 75  # clients send chunk after chunk on one connection
#: gunicorn's control socket (gunicornc); each master needs its own, the default path is shared by all
control_socket = os.environ.get("LMS_UPLOADS_CONTROL_SOCKET", "instance/gunicorn-uploads.ctl")
