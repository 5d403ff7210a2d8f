"""The call flow on the main number (`/numbers/call-flow`): the readable summary and the
versions of each phone system, the editor, and restoring an earlier version.

The editor is one server-rendered form. "Add key", "Remove", "Add holiday" re-render it with
the draft (nothing is saved); "Continue" shows what will happen; "Save" writes a new version,
which an order carries to the switch. With HTMX only the form is swapped; without JavaScript
every button works as a plain form post. Errors come back as 422 with the form and every error.
"""
import json
import re

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from services import call_flow as svc
from services.errors import ServiceError

from .access import member
from .rendering import navigate, render, wants_fragment

bp = Blueprint("call_flow", __name__, url_prefix="/numbers/call-flow")

ROW_FIELD = re.compile(r"^(options|holidays)-(\d{1,2})-([a-z_]+)$")
OPTION_FIELDS = frozenset(svc.empty_option())
HOLIDAY_FIELDS = frozenset(svc.empty_holiday())
CLOSED_FIELDS = ("kind", "number", "email", "message")


@bp.route("")
@member("numbers")
def index():
    cards = svc.systems(g.scope)
    if len(cards) == 1:  # the usual case: straight to the company's one phone system
        return redirect(url_for(".system", system_id=cards[0].system.id))
    return render("call_flow/index.html", cards=cards)


@bp.route("/<int:system_id>")
@member("numbers")
def system(system_id):
    """The summary, the version on its way (polled while the switch works) and the history."""
    data = svc.system_page(g.scope, system_id, request.args.get("page", 1))
    target = request.headers.get("HX-Target") if wants_fragment() else None
    if target == "call-flow-status":
        saving = request.args.get("saving")  # the version the poll follows; done once nothing is pending
        finished = svc.saved_version(g.scope, system_id, saving) if saving and data["pending"] is None else None
        return render("call_flow/system.html", "status", finished=finished, **_page_helpers(), **data)
    return render("call_flow/system.html", "history" if target == "history" else None, finished=None,
                  **_page_helpers(), **data)


@bp.route("/<int:system_id>/versions/<int:version>")
@member("numbers")
def version(system_id, version):
    return _version_page(system_id, version)


@bp.route("/<int:system_id>/versions/<int:version>/restore", methods=["POST"])
@member("numbers")
def restore(system_id, version):
    """A new version equal to this one; the history stays as it was."""
    try:
        new = svc.restore_version(g.scope, system_id, version)
    except ServiceError as error:
        return _version_page(system_id, version, errors=error.errors, status=422)
    flash(_("Version %(number)s restores version %(old)s. The switch is carrying it out; this page shows "
            "when it is done.", number=new.number, old=version), "success")
    return navigate(url_for(".system", system_id=system_id))


@bp.route("/<int:system_id>/edit", methods=["GET", "POST"])
@member("numbers")
def edit(system_id):
    """GET: the form with the active flow. POST: `op` says which button: add or remove a key or
    a holiday, back to editing, preview (Continue) or save."""
    if request.method == "GET":
        system, draft, base = svc.start_editing(g.scope, system_id)
        return _editor(system, draft, base)
    system = svc.editor_system(g.scope, system_id)  # 403 / 404 before the form is read
    draft, base = _draft_from_request()
    op = request.form.get("op", "preview")
    if op in ("preview", "save"):
        try:
            result = svc.save(g.scope, system.id, draft, base, preview=op == "preview")
        except ServiceError as error:
            return _editor(system, draft, base, errors=error.errors, status=422)
        if op == "preview":
            return _editor(system, draft, base, preview=result)
        flash(_("Version %(number)s of the call flow is saved. The switch is carrying it out; this page "
                "shows when it is done.", number=result.number), "success")
        return navigate(url_for(".system", system_id=system.id))
    return _editor(system, draft, base, focus=_change_rows(draft, op))


def _change_rows(draft, op):
    """Add or remove a menu key or a holiday in the draft; returns the field to focus next."""
    verb, _sep, index = op.partition(":")
    options, holidays = draft["options"], draft["holidays"]
    if verb == "add_option" and len(options) < svc.MAX_OPTIONS:
        options.append(svc.empty_option({o.get("key") for o in options}))
        return f"options-{len(options) - 1}-key"
    if verb == "add_holiday" and len(holidays) < svc.MAX_HOLIDAYS:
        holidays.append(svc.empty_holiday())
        return f"holidays-{len(holidays) - 1}-date"
    rows = {"remove_option": options, "remove_holiday": holidays}.get(verb)
    if rows is not None and index.isdecimal() and int(index) < len(rows):
        del rows[int(index)]
        return "menu-title" if verb == "remove_option" else "holidays-title"
    return None


def _draft_from_request():
    """(draft, base) from the form's fields, or from the preview's hidden copy of the draft."""
    form = request.form
    base = form.get("base", "0")
    if "draft" in form:
        try:
            draft = json.loads(form["draft"])
        except ValueError:
            draft = {}
        return _shaped(draft if isinstance(draft, dict) else {}), base
    draft = {
        "hours": {d: {"open": form.get(f"hours-{d}-open", ""), "from": form.get(f"hours-{d}-from", ""),
                      "to": form.get(f"hours-{d}-to", "")} for d in svc.DAYS},
        "welcome": form.get("welcome", ""), "prompt": form.get("prompt", ""), "default": form.get("default", ""),
        "closed": {k: form.get(f"closed-{k}", "") for k in CLOSED_FIELDS},
    }
    rows = {"options": {}, "holidays": {}}
    for name, value in form.items():
        match = ROW_FIELD.match(name)
        if match:
            rows[match[1]].setdefault(int(match[2]), {})[match[3]] = value
    draft["options"] = [_row(svc.empty_option(), OPTION_FIELDS, rows["options"][i]) for i in sorted(rows["options"])]
    draft["holidays"] = [_row(svc.empty_holiday(), HOLIDAY_FIELDS, rows["holidays"][i])
                         for i in sorted(rows["holidays"])]
    return draft, base


def _row(blank, fields, values):
    blank.update({k: v for k, v in values.items() if k in fields})
    if "key" in blank and "key" not in values:
        blank["key"] = ""
    return blank


def _shaped(draft):
    """A draft that came back from the browser, in the shape the form needs (the service checks the values)."""
    def part(value):
        return value if isinstance(value, dict) else {}

    def text(value):
        return value if isinstance(value, str) else ""

    def rows(value, blank, fields):
        return [_row(blank(), fields, {k: text(v) for k, v in r.items()})
                for r in (value if isinstance(value, list) else []) if isinstance(r, dict)]

    hours, closed = part(draft.get("hours")), part(draft.get("closed"))
    return {
        "hours": {d: {k: text(part(hours.get(d)).get(k)) for k in ("open", "from", "to")} for d in svc.DAYS},
        "holidays": rows(draft.get("holidays"), svc.empty_holiday, HOLIDAY_FIELDS),
        "welcome": text(draft.get("welcome")), "prompt": text(draft.get("prompt")),
        "default": text(draft.get("default")),
        "options": rows(draft.get("options"), svc.empty_option, OPTION_FIELDS),
        "closed": {k: text(closed.get(k)) for k in CLOSED_FIELDS},
    }


def _editor(system, draft, base, errors=None, preview=None, focus=None, status=200):
    return render("call_flow/edit.html", "editor", status=status, system=system, draft=draft, base=base,
                  errors=errors or {}, preview=preview, focus=focus, draft_json=json.dumps(draft, ensure_ascii=False),
                  **_page_helpers())


def _version_page(system_id, version, errors=None, status=200):
    data = svc.version_page(g.scope, system_id, version)
    return render("call_flow/version.html", status=status, errors=errors or {}, **_page_helpers(), **data)


def _page_helpers():
    """What the call-flow templates need besides their data: the choices and the wording helpers."""
    def choices(codes, labels):
        return [(code, labels[code]) for code in codes]

    def default_choices(options):
        return [(o["key"], _("Key %(key)s", key=o["key"]) + (f" · {o['name']}" if o.get("name") else ""))
                for o in options if o.get("key") in svc.KEYS]

    return {"days": svc.DAYS, "day_names": svc.DAY_NAMES, "keys": svc.KEYS, "key_choices": [(k, k) for k in svc.KEYS],
            "option_kind_choices": choices(svc.OPTION_KINDS, svc.KIND_LABELS),
            "then_kind_choices": choices(svc.THEN_KINDS, svc.KIND_LABELS),
            "closed_kind_choices": choices(svc.CLOSED_KINDS, svc.KIND_LABELS),
            "strategy_choices": choices(svc.STRATEGIES, svc.STRATEGY_LABELS),
            "default_choices": default_choices, "cap": svc.cap, "max_wait": svc.MAX_WAIT,
            "changes_text": svc.changes_text, "version_state": svc.version_state}
