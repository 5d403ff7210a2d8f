"""The project is where a Flask developer looks for it: `flask` finds the app through .flaskenv,
and the build and release commands run without a production SECRET_KEY (the web refuses)."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def _flask(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FLASK_APP")}
    env.update(SELVBETJENING_MODE="production", DATABASE_URL=f"sqlite:///{tmp_path / 'release.db'}")
    return subprocess.run([FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_flask_finds_the_app_and_migrates_without_a_secret_key(tmp_path):
    migrated = _flask(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "0001_initial" in migrated.stdout
    again = _flask(tmp_path, "migrate")
    assert again.returncode == 0 and "schema is up to date" in again.stdout


def test_translate_runs_without_a_secret_key_but_the_app_does_not(tmp_path):
    assert _flask(tmp_path, "translate", "--help").returncode == 0
    refused = _flask(tmp_path, "routes")
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr


def test_dependencies_are_locked_with_hashes():
    for name in ("requirements.lock", "requirements-test.lock"):
        text = (ROOT / name).read_text()
        pinned = re.findall(r"^[A-Za-z0-9_.\-]+==\S+", text, re.M)
        hashed = re.findall(r"^[A-Za-z0-9_.\-]+==\S+ \\\n\s+--hash=sha256:[0-9a-f]{64}", text, re.M)
        assert len(pinned) > 20 and len(hashed) == len(pinned), f"{name}: a pin without a hash"
