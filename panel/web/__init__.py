"""The web panel: login, CSRF, security headers and one blueprint per resource.

Navigation: :data:`NAV` lists (label, endpoint, roles). ``base.html`` shows
an entry only when its endpoint exists in ``app.view_functions`` and the
logged-in role is listed, so a blueprint added later (queue, logs, import,
API tokens) appears in the menu by registering its endpoint.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.local import LocalProxy
from werkzeug.middleware.proxy_fix import ProxyFix

from ..db import (
    DATABASE_REFUSED,
    UNAVAILABLE,
    get_session,
    read_only_from_here,
    reading,
    refused_value,
    restore,
    short_write,
)
from ..i18n import in_words, translated
from ..languages import N_
from ..models import Admin, Mailbox, Role
from ..services import web_sessions
from ..services.errors import Forbidden, NotFound, ServiceError
from . import filters
from .access import current_actor

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "strong"
csrf = CSRFProtect()

# No inline script anywhere: scripts live in static/ files.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_SA, _DA, _HD = Role.SUPERADMIN, Role.DOMAINADMIN, Role.HELPDESK
NAV = [
    (N_("Dashboard"), "home.index", (_SA, _DA, _HD)),
    (N_("Domains"), "domains.index", (_SA, _DA)),
    (N_("Find mailbox"), "mailboxes.search", (_SA, _DA, _HD)),
    (N_("Admins"), "admins.index", (_SA,)),
    (N_("Audit log"), "audit.index", (_SA,)),
    (N_("Queue"), "queue.index", (_SA,)),
    (N_("Logs"), "logs.index", (_SA,)),
    (N_("Traffic"), "traffic.index", (_SA, _DA)),
    (N_("Import"), "bulk.import_page", (_SA, _DA)),
    (N_("API tokens"), "tokens.index", (_SA, _DA, _HD)),
    # A mailbox's owner, in the portal (/me/).
    (N_("My mailbox"), "me.index", (Role.MAILBOX,)),
    (N_("Out of office"), "me.vacation", (Role.MAILBOX,)),
    (N_("Forwarding"), "me.forwarding", (Role.MAILBOX,)),
    (N_("App passwords"), "me.app_passwords", (Role.MAILBOX,)),
    (N_("Password"), "me.password", (Role.MAILBOX,)),
]

# Pages that belong under a menu entry besides its own blueprint's.
_SECTIONS = {"domains.index": {"domains", "mailboxes", "aliases"}, "mailboxes.search": set()}


@login_manager.user_loader
def _load_principal(user_id: str):
    """Who this browser's server-side session belongs to, if it still runs
    (an admin, or ``m:<id>`` for a mailbox's owner in the portal): a cookie
    whose session row is gone (logged out, password changed, account or
    mailbox disabled, expired) signs in nobody."""
    db = get_session()
    with reading():
        row = web_sessions.find(db, session.get(web_sessions.COOKIE_KEY))
        principal = _principal(db, row, user_id) if row is not None else None
        # End this read (the rows stay loaded): a view that writes then
        # takes SQLite's write lock only for its own transaction, after
        # whatever slow work (hashing) it does first.
        db.commit()
    if principal is None or not principal.is_active:
        return None
    g.web_session_id = row.id
    if web_sessions.needs_touch(row):
        _touch(row.id)
    return principal


def _principal(db, row, user_id: str):
    if row.mailbox_id is not None and user_id == f"m:{row.mailbox_id}":
        return db.get(Mailbox, row.mailbox_id)
    if row.admin_id is not None and user_id == str(row.admin_id):
        return db.scalar(select(Admin).where(Admin.id == row.admin_id, Admin.active.is_(True)))
    return None


def _touch(session_id: int) -> None:
    """Note the activity (idle expiry), in a short write of its own, skipped
    if the database is busy (the next request tries again)."""
    try:
        with short_write() as other:
            web_sessions.touch(other, session_id)
    except OperationalError:
        current_app.logger.info("session activity not recorded: the database is busy")


def _reads_only_for_get() -> None:
    if request.method in READ_METHODS:
        g.read_only_token = read_only_from_here()


def _end_read_only(_exc=None) -> None:
    token = g.pop("read_only_token", None)
    if token is not None:
        restore(token)


def _database_unavailable(error: Exception):
    """A busy (SQLite's lock) or absent database: one log line, a 503 page
    that needs no database itself, and the next request tries again."""
    current_app.logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.path,
        str(getattr(error, "orig", error)).strip().splitlines()[0][:200],
    )
    try:
        get_session().rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone
        pass
    # Nobody is signed in for this answer: the template's context processors
    # ask for the current user, and loading one would need the database again.
    g._login_user = current_app.login_manager.anonymous_user()
    body = render_template("errors/unavailable.html")
    return body, 503, {"Retry-After": "5"}


def nav_items() -> list[tuple[str, str, bool]]:
    """(label, url, is_current) of the menu entries the current admin may use."""
    if not current_user.is_authenticated:
        return []
    role = Role(current_user.role)
    items = []
    for label, endpoint, roles in NAV:
        if role in roles and endpoint in current_app.view_functions:
            current = request.endpoint == endpoint or (
                request.endpoint != "mailboxes.search"
                and request.blueprint != "me"
                and request.blueprint in _SECTIONS.get(endpoint, {endpoint.split(".")[0]})
            )
            items.append((label, url_for(endpoint), current))
    return items


def _template_actor():
    return current_actor() if current_user and current_user.is_authenticated else None


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_user and current_user.is_authenticated:
        # Pages show addresses and audit trails: keep them out of shared caches.
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def _error_page(status: int, title: str, message: str):
    """``title`` and ``message`` in English, marked with N_ (or a service's
    message): shown in the page's language."""
    return render_template("errors/error.html", status=status, title=gettext(title), message=gettext(message)), status


def _service_error(error: ServiceError):
    """A service refusal that a view did not turn into a form error."""
    if isinstance(error, NotFound):
        return _error_page(404, N_("Not found"), translated(error.message))
    if isinstance(error, Forbidden):
        return _error_page(403, N_("Not allowed"), N_("You do not have access to this page."))
    return _error_page(error.status, N_("Cannot do that"), in_words(error))


def _database_refused(error: DataError):
    refused_value(error)
    return _error_page(400, N_("Cannot do that"), DATABASE_REFUSED)


def _register_error_pages(app) -> None:
    app.register_error_handler(
        400, lambda e: _error_page(400, N_("Bad request"), N_("The request was not understood."))
    )
    app.register_error_handler(
        403, lambda e: _error_page(403, N_("Not allowed"), N_("You do not have access to this page."))
    )
    app.register_error_handler(
        404, lambda e: _error_page(404, N_("Not found"), N_("There is nothing at this address."))
    )
    app.register_error_handler(
        405, lambda e: _error_page(405, N_("Not allowed"), N_("That method is not allowed here."))
    )
    app.register_error_handler(
        413, lambda e: _error_page(413, N_("Too large"), N_("That upload is larger than the panel accepts."))
    )
    app.register_error_handler(
        CSRFError,
        lambda e: _error_page(
            400, N_("Form expired"), N_("The form was too old or not sent from this site. Please try again.")
        ),
    )
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(DataError, _database_refused)
    app.register_error_handler(
        500, lambda e: _error_page(500, N_("Something went wrong"), N_("The error has been logged. Please try again."))
    )
    for error in UNAVAILABLE:
        app.register_error_handler(error, _database_unavailable)


def _trust_proxy(app) -> None:
    """Behind nginx (deploy/nginx-mailpanel.conf) the client address and
    scheme come from X-Forwarded-*; trust them only when told how many
    proxies there are (MAILPANEL_PROXY_FIX=1), never by default."""
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)


def init_app(app) -> None:
    # The cookie's own expiry, sliding with each request; the server ends a
    # session after web_sessions.IDLE or LIFETIME whatever the cookie says.
    if "PERMANENT_SESSION_LIFETIME" not in app.config or app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31):
        app.config["PERMANENT_SESSION_LIFETIME"] = web_sessions.IDLE
    app.before_request(_reads_only_for_get)
    app.teardown_request(_end_read_only)
    login_manager.init_app(app)
    csrf.init_app(app)
    _trust_proxy(app)
    app.after_request(_security_headers)
    _register_error_pages(app)
    filters.init_app(app)
    app.jinja_env.globals["nav_items"] = nav_items
    # Pages ask the actor what it may do (services.actor's rules, the ones
    # the services enforce), never compare role names. Lazy: an error page
    # that needs no database does not build one.
    app.jinja_env.globals["actor"] = LocalProxy(_template_actor)

    from . import (
        account,
        admins,
        aliases,
        audit,
        auth,
        autoconfig,
        bulk,
        dns,
        domains,
        home,
        logs,
        mailbox_settings,
        mailboxes,
        me,
        queue,
        shown_once,
        status,
        tokens,
        traffic,
    )

    modules = (
        auth,
        home,
        account,
        domains,
        mailboxes,
        mailbox_settings,
        aliases,
        dns,
        admins,
        audit,
        queue,
        logs,
        bulk,
        tokens,
        shown_once,
        me,
        status,
        traffic,
        autoconfig,
    )
    for module in modules:
        app.register_blueprint(module.bp)
