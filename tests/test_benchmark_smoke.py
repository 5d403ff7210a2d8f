"""scripts/benchmark.py at a tiny size: it runs end to end and prints every row of its table.

The figures themselves are not asserted (timed tests fail on a busy machine); the benchmark is
run by hand at 100,000 and 1,000,000 subscriptions and the README shows the figures.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import benchmark  # noqa: E402  (scripts/ is no package)


def test_benchmark_prints_every_row(tmp_path):
    figures_file = tmp_path / "figures.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--subscriptions", "2000", "--repeat", "1",
         "--no-http", "--bulk", "20", "--db", str(tmp_path / "bench.db"), "--json", str(figures_file)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ERROR" not in out, out

    assert "demo data with 2,000 subscriptions" in out
    table = out.split("page ", 1)[1]
    for name, _path in benchmark.PAGES:
        assert f"\n{name} " in table, name
    users = [line[45:].split()[0] for line in table.splitlines() if line[:45].strip() == "subscriptions, first page"]
    assert users == ["admin", "limited"]
    assert "first load of /subscriptions (br):" in out and "first load of /subscriptions (gzip):" in out
    assert "CSV export of all subscriptions, admin: 2,0" in out  # Demo's 2,000 (and a few more)
    assert "CSV export of all subscriptions, limited:" in out
    for account in ("40345020", "40120037", "40120011"):
        for lang in ("da", "en"):
            assert f"invoice PDF ({lang}), account {account}:" in out
    assert "billing run, all accounts:" in out
    assert "bulk action, block data on 20: 20 subscriptions, 20 orders" in out
    assert "demo data builder: 2,000 subscriptions in" in out

    figures = json.loads(figures_file.read_text())
    assert figures["subscriptions"] == 2000 and figures["database"] == "sqlite"
    admin_only = [p for _name, p in benchmark.PAGES if p.startswith("/users")]
    assert len(figures["pages"]) == 2 * len(benchmark.PAGES) - len(admin_only)
    assert all(row["queries"] > 0 and row["p95_ms"] > 0 and row["status"] == 200 for row in figures["pages"])
    assert figures["first_load"]["br"]["total_bytes"] <= 60 * 1024
    assert figures["http"] == {}


def test_bulk_measurement_leaves_the_data_as_it_was(app):
    """The bulk action is rolled back, orders and the provisioning jobs they would queue included."""
    from models import BulkRequest, Order, Subscription, db

    with app.app_context(), db.connection_context():
        before = (Order.select().count(), BulkRequest.select().count(),
                  Subscription.select().where(Subscription.blocked_parts != "").count())
    subscriptions, _seconds, _preview, ordered = benchmark.measure_bulk(app, 5)
    assert subscriptions == 5 and ordered == 5
    with app.app_context(), db.connection_context():
        after = (Order.select().count(), BulkRequest.select().count(),
                 Subscription.select().where(Subscription.blocked_parts != "").count())
    assert after == before
