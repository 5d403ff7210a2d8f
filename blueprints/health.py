"""Liveness, readiness and metrics for the process manager, the load balancer and Prometheus.

- `/healthz`: the process answers and reaches its database (liveness: restart me if not).
- `/readyz`: the schema is the code's (no migration pending) and Redis answers when REDIS_URL is
  set; 503 otherwise, so a load balancer sends no traffic to a machine that would fail requests.
- `/metrics`: Prometheus' text format. It tells request volumes and queue depths, which is
  operational detail for the operator only: with METRICS_TOKEN set it needs
  `Authorization: Bearer <token>`; without it only a direct request from the machine itself
  (loopback, no forwarding header) gets an answer, everyone else a 404.
"""
import hmac
import ipaddress

from flask import Blueprint, abort, current_app, jsonify, request
from playhouse.migrations import Runner

from models import db
from models.database import MIGRATIONS_DIR
from services import metrics

from .access import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    db.execute_sql("SELECT 1")
    return jsonify(status="ok")


def _migrations():
    try:
        pending = [m.name for m in Runner(db.obj, MIGRATIONS_DIR).status() if m.applied is None]
    except Exception as error:  # database unreachable
        return {"ok": False, "error": type(error).__name__}
    return {"ok": not pending, "pending": len(pending)}


_probe_clients = {}


def _probe_client():
    """A Redis client with short timeouts: a probe answers within seconds even when Redis hangs."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    if url not in _probe_clients:
        from redis import Redis

        _probe_clients[url] = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _probe_clients[url]


def _redis():
    client = _probe_client()
    if client is None:
        return {"ok": True, "configured": False}
    try:
        return {"ok": bool(client.ping()), "configured": True}
    except Exception as error:
        return {"ok": False, "configured": True, "error": type(error).__name__}


@bp.route("/readyz")
@public
def readyz():
    checks = {"migrations": _migrations(), "redis": _redis()}
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _may_scrape():
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    try:
        local = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        local = False
    return local and not forwarded


@bp.route("/metrics")
@public
def metrics_view():
    if not _may_scrape():
        abort(401 if current_app.config.get("METRICS_TOKEN") else 404)
    body, content_type = metrics.exposition(_probe_client())
    return current_app.response_class(body, mimetype=None, content_type=content_type)
