"""gunicorn settings for the Procfile's `web` process; every value can be set from the environment.

- WEB_CONCURRENCY worker processes (default: 1 per core) with GUNICORN_THREADS threads each (default 2):
  a request waits on the database for a fraction of its time only (queries of a millisecond or
  less), so more handlers than cores mostly add switching between them. Measured on 2 cores with
  PostgreSQL beside it (scripts/benchmark.py's load): the front page cost 6.0 ms of CPU inside the
  app with 4 x 4 handlers and 4.0-4.5 ms with 2 x 1 or 2 x 2, against 2.9 ms alone. A second
  thread keeps a worker answering while a slow request (a PDF, a large page) runs; with the
  database on another machine, raise both.
- timeout: a worker silent for this long is killed and replaced; graceful_timeout: on a restart or
  deploy (SIGTERM) requests in flight get this long to finish.
- The app is built once in the master and forked (preload): workers start in milliseconds and share
  its memory. Safe because create_app opens no connection: the database and Redis connect on first
  use, in the worker.
- Logs: the app writes the access log itself, one JSON line per request with its request id and user
  id (services/request_log.py), which gunicorn cannot know; gunicorn's own access log is therefore off
  (GUNICORN_ACCESS_LOG=1 turns it on as JSON too) and its error log goes to stderr.
- /metrics adds up all workers' counters through PROMETHEUS_MULTIPROC_DIR (a fresh folder per start).
"""
import json
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # behind a load balancer that keeps connections open
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))  # recycle workers now and then
max_requests_jitter = max_requests // 10
preload_app = True
control_socket_disable = True  # no control socket in the work tree
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") == "1" else None


class JsonAccessLogger(Logger):
    """gunicorn's access line as JSON (only when GUNICORN_ACCESS_LOG=1): no query string, as the app's."""

    def access(self, resp, req, environ, request_time):
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict or self.cfg.syslog):
            return
        entry = {"event": "access", "method": environ.get("REQUEST_METHOD"), "path": environ.get("PATH_INFO"),
                 "status": resp.status_code if hasattr(resp, "status_code") else str(resp.status).split()[0],
                 "duration_ms": round(request_time.total_seconds() * 1000, 1),
                 "request_id": dict(resp.headers).get("X-Request-ID")}
        self.access_log.info(json.dumps(entry))


logger_class = JsonAccessLogger

# One folder of metric files per start, shared by the workers of this machine (set before the app is imported).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="selvbetjening-metrics-")


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)  # counters start at zero with the master
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
