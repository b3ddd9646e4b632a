"""gunicorn settings for production (``gunicorn -c deploy/gunicorn.conf.py prm.wsgi``).

gunicorn has no body-size limit of its own: the proxy in front (deploy/nginx.conf) and the
application (prm.request_limits) bound request bodies; here the request line and headers are
bounded and slow clients cannot hold a worker for long.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = 60
graceful_timeout = 30
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set (several workers share their request metrics through files
    there), forget a worker's live gauges when it exits."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
