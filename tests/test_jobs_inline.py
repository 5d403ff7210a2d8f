"""The in-process job runner (no Redis): a job that reads while it reports progress, while other
connections write (its own heartbeat, a request's session), finishes instead of failing with
"database is locked" (SQLite's stale read snapshot; see jobs._Beat)."""
import time

import pytest

from jobs import enqueue
from jobs.exports import export_subscriptions_csv
from models import Company, JobRecord, Membership, Subscription, User, db
from services import exports, subscriptions


@pytest.fixture
def slow_export(app, tmp_path, monkeypatch):
    """An export that takes long enough for many heartbeats and reports progress from inside its read."""
    app.config.update(DATA_DIR=str(tmp_path / "data"), JOB_HEARTBEAT_SECONDS=0.02, JOB_ITEM_DELAY_SECONDS=0.002)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(subscriptions, "EXPORT_BATCH", 50)  # the read goes on while the first rows are written
    return app


def test_export_in_process_while_a_request_is_open(slow_export):
    app = slow_export
    with app.test_request_context("/subscriptions/export", method="POST"), db.connection_context():
        user = User.get(User.email == "admin@demo.dk")
        membership = (Membership.select().join(Company).where(Membership.user == user, Company.cvr == "12345674").get())
        seen = Subscription.select().where(Subscription.customer == membership.company.customer_id).count()
        job_id = enqueue(export_subscriptions_csv, membership.id, {}, track=True, user_id=user.id,
                         company_id=membership.company_id)
        record = JobRecord.get_by_id(job_id)
        assert (record.status, record.reason) == ("finished", "")
        assert int(record.result) == seen > 10 * exports.PROGRESS_EVERY
        assert record.progress == 100 and record.attempts == 1
        assert exports.export_path(job_id).exists()


def test_progress_is_written_while_the_job_runs(slow_export):
    """The heartbeat thread writes the progress the job reports, so a poll sees it move."""
    from jobs import current_job_id, job, report_progress

    seen = []

    @job
    def reports():
        for percent in (10, 50):
            report_progress(percent, "rows")
            time.sleep(0.3)
            record = JobRecord.get_by_id(current_job_id())
            seen.append((record.progress, record.message))
        return "done"

    reports.__module__ = "jobs.test_only"
    with slow_export.app_context(), db.connection_context():
        job_id = enqueue(reports, track=True)
        record = JobRecord.get_by_id(job_id)
    assert record.status == "finished" and record.result == "done"
    assert seen == [(10, "rows"), (50, "rows")]
