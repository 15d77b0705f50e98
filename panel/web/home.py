"""Dashboard."""
from flask import Blueprint, render_template

from .access import ALL_ROLES, allow

bp = Blueprint("home", __name__)


@bp.get("/")
@allow(*ALL_ROLES)
def index():
    return render_template("home/index.html")
