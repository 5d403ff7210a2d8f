"""The translation catalogues: complete, not fuzzy, in step with the source, placeholders intact.

These tests read the .po files and run the same extraction as `flask translate extract`;
they do not need the app.
"""
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
# Folders the extraction must not wander into (babel already skips dot-folders).
IGNORE_DIRS = (".*", "_*", "venv", "node_modules", "tests")
PLACEHOLDER = re.compile(r"%\(([^)]+)\)([#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa])")


def load(lang):
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def messages(catalog):
    return [m for m in catalog if m.id]


def show(message):
    return repr(message.id[0] if message.pluralizable else message.id)


def fuzzy_problems(catalog):
    problems = ["<header> is fuzzy"] if catalog.fuzzy else []
    return problems + [f"{show(m)} is fuzzy" for m in messages(catalog) if m.fuzzy]


def test_danish_catalogue_is_complete():
    catalog = load("da")
    problems = fuzzy_problems(catalog)
    for m in messages(catalog):
        forms = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        if m.pluralizable and len(forms) < catalog.num_plurals:
            problems.append(f"{show(m)} has {len(forms)} of {catalog.num_plurals} plural forms")
        if not all(forms):
            problems.append(f"{show(m)} is not translated")
    assert not problems, "Danish catalogue:\n" + "\n".join(problems)


def test_no_fuzzy_in_english():
    problems = fuzzy_problems(load("en"))
    assert not problems, "English catalogue:\n" + "\n".join(problems)


def test_catalogue_covers_the_source(tmp_path):
    pot = tmp_path / "messages.pot"
    # The same call as `flask translate extract` (cli.py), into a temporary file.
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "_l", "-o", str(pot), "--no-location", "--ignore-dirs", " ".join(IGNORE_DIRS), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        source = read_po(f)
    assert len(messages(source)) > 100, "the extraction found suspiciously few strings"
    danish = load("da")
    missing = [show(m) for m in messages(source) if danish.get(m.id, m.context) is None]
    assert not missing, ("Not in locales/da (run `flask --app app translate update` and translate):\n"
                         + "\n".join(missing))


def placeholders(text):
    return sorted(set(PLACEHOLDER.findall(text or "")))


def test_placeholders_match():
    problems = []
    for m in messages(load("da")):
        if m.pluralizable:
            forms = list(m.string)
            sources = [m.id[0]] + [m.id[1]] * (len(forms) - 1)
        else:
            forms, sources = [m.string], [m.id]
        for source, text in zip(sources, forms):
            if text and placeholders(text) != placeholders(source):
                problems.append(f"{source!r} -> {text!r}")
    assert not problems, "Placeholders differ:\n" + "\n".join(problems)
