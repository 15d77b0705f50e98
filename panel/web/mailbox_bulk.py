"""Bulk actions from a domain's mailbox list (views on the mailboxes
blueprint): the list's form posts a selection — ticked rows, or "all
matching" the list's filter — and an action; this answers with one
confirmation that says what will happen, whose button posts it again
confirmed; then services/mailbox_bulk.py applies it, all rows or none."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from ..db import get_session
from ..models import MANAGERS
from ..services import ServiceError, lists, mailbox_bulk
from ..services.mailbox_bulk import BULK_MAX, BulkRefused, Matching
from ..sizes import SizeError, format_amount, parse_count, parse_size
from .access import allow, current_actor
from .confirm import confirm_page, emphasis
from .mailboxes import bp

# (question's verb, button's verb) of each action.
VERBS = {
    "disable": "Disable",
    "enable": "Enable",
    "quota": "Set the quota of",
    "delete": "Delete",
}
DONE = {"disable": "Disabled", "enable": "Enabled", "quota": "Set the quota of", "delete": "Deleted"}


def _filter() -> dict:
    """The list's filter and sort, as the form carried them (to go back to)."""
    return {key: request.form.get(key) or None for key in ("state", "unused", "sort")}


def _selection():
    if request.form.get("all") == "matching":
        view = _filter()
        return Matching(view["state"], view["unused"])
    return request.form.getlist("id")


def _hidden(selection, action: str, quota: str, count: int) -> list[tuple[str, str]]:
    fields = [("action", action), ("quota", quota), ("expected", str(count)), ("confirmed", "yes")]
    fields += [(key, value) for key, value in _filter().items() if value]
    if isinstance(selection, Matching):
        return [*fields, ("all", "matching")]
    return fields + [("id", value) for value in selection]


def mailboxes_in_words(count: int) -> str:
    return f"{count} mailbox" if count == 1 else f"{count} mailboxes"


def _names(plan) -> str:
    """a@…, b@… and 35 more"""
    rest = plan.count - len(plan.sample)
    return ", ".join(plan.sample) + (f" and {rest} more" if rest > 0 else "")


def _filter_words(selection) -> str | None:
    if not isinstance(selection, Matching):
        return None
    words = [f"state {selection.state}" if selection.state else None]
    if selection.unused == "never":
        words.append("never logged in")
    elif selection.unused:
        words.append(f"not used for {selection.unused} days")
    shown = ", ".join(w for w in words if w)
    return f"All mailboxes of the list{': ' + shown if shown else ''}, in address order."


def _consequences(action: str, quota: str, count: int) -> list:
    they = "It" if count == 1 else "They"
    if action == "disable":
        return [
            f"{they} stop receiving mail and cannot log in, at once; their web sessions end.",
            "A mailbox already disabled stays as it is.",
        ]
    if action == "enable":
        return [f"{they} receive mail and can log in again, at once.", "A mailbox already enabled stays as it is."]
    if action == "quota":
        return [
            f"Each one's limit becomes {quota}: mail beyond it is refused.",
            "If any mailbox cannot take it (the domain's largest mailbox or total quota), nothing is changed.",
        ]
    return [
        f"The accounts go at once: {they.lower()} stop receiving mail and cannot log in. This cannot be undone.",
        emphasis(
            "Their stored mail is <strong>not</strong> deleted: it stays on the server in each one's maildir"
            " (named in the audit log) for an operator to archive or remove."
        ),
    ]


def _confirmation(plan, selection, quota: str, back: str):
    count, domain = plan.count, plan.domain.name
    target = f"{mailboxes_in_words(count)} in {domain}"
    question = f"{VERBS[plan.action]} {target}{' to ' + quota if plan.action == 'quota' else ''}?"
    if plan.too_many:
        return confirm_page(
            f"{VERBS[plan.action]} more than {BULK_MAX} mailboxes?",
            paragraphs=[mailbox_bulk.too_many_message(plan.domain)],
            button=None,
            cancel=back,
        )
    paragraphs = [p for p in (_filter_words(selection), _names(plan)) if p]
    return confirm_page(
        question,
        title=f"{VERBS[plan.action]} {target}",
        paragraphs=paragraphs,
        points=_consequences(plan.action, quota, count),
        button=f"{VERBS[plan.action]} {mailboxes_in_words(count)}",
        cancel=back,
        hidden=_hidden(selection, plan.action, quota, count),
    )


def _refused(error: BulkRefused, back: str):
    """Every row's problem, grouped (one rule often fails for every row)."""
    errors = {}
    for problem, addresses in error.grouped().items():
        shown = ", ".join(addresses[:3]) + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")
        errors[problem] = f"{problem[:1].upper() + problem[1:]}: {shown}"
    return confirm_page(
        "Nothing was changed",
        paragraphs=[f"{mailboxes_in_words(len(error.fields))} of the {error.rows} selected cannot take it:"],
        button=None,
        cancel=back,
        errors=errors,
    )


def _expected() -> int | None:
    try:
        return parse_count(request.form.get("expected", ""))
    except SizeError:
        return None


@bp.post("/domains/<domain>/mailboxes/bulk")
@allow(*MANAGERS)
def bulk(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    actor.require_manage(row.id)
    back = url_for("mailboxes.index", domain=row.name, **_filter())
    action, quota, selection = request.form.get("action", ""), request.form.get("quota", "").strip(), _selection()
    if request.form.get("confirmed") != "yes":
        try:
            plan = mailbox_bulk.plan(db, actor, row, action, selection, quota)
        except ServiceError as error:
            flash(error.in_words(), "error")
            return redirect(back)
        if not plan.count:
            flash("No mailbox matches: nothing to do.", "error")
            return redirect(back)
        return _confirmation(plan, selection, quota, back)
    try:
        outcome = mailbox_bulk.bulk_update(db, actor, row, action, selection, quota=quota, expected=_expected())
    except BulkRefused as error:
        db.rollback()
        return _refused(error, back)
    except ServiceError as error:
        db.rollback()
        flash(error.in_words(), "error")
        return redirect(back)
    db.commit()
    flash(_done(action, row.name, quota, outcome))
    return redirect(back)


def _done(action: str, domain: str, quota: str, outcome) -> str:
    changed = f"{DONE[action]} {mailboxes_in_words(outcome.changed)} in {domain}"
    if action == "quota":
        changed += f" to {format_amount(parse_size(quota))}"
    if action == "delete":
        changed += "; their mail stays on disk (each maildir is named in the audit log)"
    if outcome.unchanged:
        changed += f" ({outcome.unchanged} already {'had it' if action == 'quota' else 'were'})"
    return changed + "."
