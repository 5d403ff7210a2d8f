"""Liveness for the process manager."""
from flask import Blueprint, jsonify

from models import db

from .access import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    db.execute_sql("SELECT 1")
    return jsonify(status="ok")
