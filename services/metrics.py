"""Prometheus metrics: request counts and durations per endpoint, and the length of every RQ queue.

prometheus_client keeps the counters. Under gunicorn each web worker is a process of its own, so
gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR: every process writes its samples to files there
and a scrape adds them up (`MultiProcessCollector`), whichever worker answers it. The queue
lengths are read from Redis at scrape time, so every web process reports the same figures.

Labels are the endpoint name (a bounded set), never the path: paths carry ids and search terms.
"""
import os
import time

from flask import g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

disable_created_metrics()  # the *_created series only double the output

REQUESTS = Counter("selvbetjening_http_requests_total", "HTTP requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
DURATION = Histogram("selvbetjening_http_request_duration_seconds", "Time spent answering a request, by endpoint.",
                     ["endpoint", "method"],
                     buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0))


def init_app(app):
    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        started = g.get("metrics_started")
        endpoint = request.endpoint or "none"  # unmatched URLs share one label
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if started is not None:
            DURATION.labels(endpoint, request.method).observe(time.perf_counter() - started)
        return response


class QueueCollector:
    """Jobs per RQ queue and state, read from Redis when scraped."""

    def __init__(self, redis_connection):
        self.redis = redis_connection

    def collect(self):
        from rq import Queue, Worker

        queued = GaugeMetricFamily("selvbetjening_rq_queue_jobs", "Jobs waiting in an RQ queue.", labels=["queue"])
        states = GaugeMetricFamily("selvbetjening_rq_jobs", "RQ jobs by queue and state.", labels=["queue", "state"])
        up = GaugeMetricFamily("selvbetjening_redis_up", "1 when Redis answered the scrape.")
        workers = GaugeMetricFamily("selvbetjening_rq_workers", "RQ workers registered in Redis.")
        try:
            queues = Queue.all(connection=self.redis) or [Queue("default", connection=self.redis)]
            for queue in queues:
                queued.add_metric([queue.name], queue.count)
                for state, registry in (("started", queue.started_job_registry), ("failed", queue.failed_job_registry),
                                        ("scheduled", queue.scheduled_job_registry),
                                        ("deferred", queue.deferred_job_registry)):
                    states.add_metric([queue.name, state], registry.count)
            workers.add_metric([], Worker.count(connection=self.redis))
            up.add_metric([], 1)
        except Exception:  # a scrape still answers: the request figures are worth having without Redis
            up.add_metric([], 0)
            yield up
            return
        yield from (queued, states, workers, up)


def exposition(redis_connection=None):
    """The body and content type of a scrape."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(DURATION)
    if redis_connection is not None:
        registry.register(QueueCollector(redis_connection))
    return generate_latest(registry), CONTENT_TYPE_LATEST
