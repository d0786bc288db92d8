"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (the Procfile's web).

Each value can be set from the environment, as hosting platforms expect."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Web processes hold no state another needs (SPEC §4): run as many as the machine can carry.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (with jitter), so slow leaks cannot build up;
# open portals ask every 2 s, so 1,000 of them make 500 requests a second: a lower count would
# restart a busy process every few seconds.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# The app writes one structured line per request itself; gunicorn's own lines go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# No control socket: its default path is shared by every gunicorn of a machine, and deploys
# restart processes through the platform, not through it.
control_socket_disable = True


def post_worker_init(worker) -> None:
    """The worker has built the app (wsgi.py) and serves with it from now on."""
    from app import settle

    settle()
