"""Bulk actions from a domain's mailbox list (views on the mailboxes
blueprint): the list's form posts a selection — ticked rows, or "all
matching" the list's filter — and an action; this answers with one
confirmation that says what will happen, whose button posts it again
confirmed; then services/mailbox_bulk.py applies it, all rows or none."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext, ngettext

from ..db import get_session
from ..i18n import in_words, translated
from ..models import MANAGERS
from ..services import ServiceError, lists, mailbox_bulk
from ..services.mailbox_bulk import BULK_MAX, BulkRefused, Matching
from ..sizes import SizeError, format_amount, parse_count, parse_size
from .access import allow, current_actor
from .confirm import confirm_page, emphasis
from .mailboxes import bp


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


def _names(plan) -> str:
    """a@…, b@… and 35 more"""
    rest = plan.count - len(plan.sample)
    return ", ".join(plan.sample) + (" " + gettext("and %(count)s more", count=rest) if rest > 0 else "")


def _filter_words(selection) -> str | None:
    if not isinstance(selection, Matching):
        return None
    states = {"active": gettext("state active"), "disabled": gettext("state disabled")}
    words = [states.get(selection.state, selection.state) if selection.state else None]
    if selection.unused == "never":
        words.append(gettext("never logged in"))
    elif selection.unused:
        words.append(gettext("not used for %(days)s days", days=selection.unused))
    shown = ", ".join(w for w in words if w)
    if shown:
        return gettext("All mailboxes of the list: %(filters)s, in address order.", filters=shown)
    return gettext("All mailboxes of the list, in address order.")


def _question(action: str, count: int, domain: str, quota: str) -> str:
    """The confirmation's heading: "Disable 2 mailboxes in example.org?"."""
    if action == "disable":
        return ngettext(
            "Disable %(num)s mailbox in %(domain)s?", "Disable %(num)s mailboxes in %(domain)s?", count, domain=domain
        )
    if action == "enable":
        return ngettext(
            "Enable %(num)s mailbox in %(domain)s?", "Enable %(num)s mailboxes in %(domain)s?", count, domain=domain
        )
    if action == "quota":
        return ngettext(
            "Set the quota of %(num)s mailbox in %(domain)s to %(quota)s?",
            "Set the quota of %(num)s mailboxes in %(domain)s to %(quota)s?",
            count,
            domain=domain,
            quota=quota,
        )
    return ngettext(
        "Delete %(num)s mailbox in %(domain)s?", "Delete %(num)s mailboxes in %(domain)s?", count, domain=domain
    )


def _title(action: str, count: int, domain: str) -> str:
    if action == "disable":
        return ngettext(
            "Disable %(num)s mailbox in %(domain)s", "Disable %(num)s mailboxes in %(domain)s", count, domain=domain
        )
    if action == "enable":
        return ngettext(
            "Enable %(num)s mailbox in %(domain)s", "Enable %(num)s mailboxes in %(domain)s", count, domain=domain
        )
    if action == "quota":
        return ngettext(
            "Set the quota of %(num)s mailbox in %(domain)s",
            "Set the quota of %(num)s mailboxes in %(domain)s",
            count,
            domain=domain,
        )
    return ngettext(
        "Delete %(num)s mailbox in %(domain)s", "Delete %(num)s mailboxes in %(domain)s", count, domain=domain
    )


def _button(action: str, count: int) -> str:
    if action == "disable":
        return ngettext("Disable %(num)s mailbox", "Disable %(num)s mailboxes", count)
    if action == "enable":
        return ngettext("Enable %(num)s mailbox", "Enable %(num)s mailboxes", count)
    if action == "quota":
        return ngettext("Set the quota of %(num)s mailbox", "Set the quota of %(num)s mailboxes", count)
    return ngettext("Delete %(num)s mailbox", "Delete %(num)s mailboxes", count)


def _too_many(action: str) -> str:
    if action == "disable":
        return gettext("Disable more than %(count)s mailboxes?", count=BULK_MAX)
    if action == "enable":
        return gettext("Enable more than %(count)s mailboxes?", count=BULK_MAX)
    if action == "quota":
        return gettext("Set the quota of more than %(count)s mailboxes?", count=BULK_MAX)
    return gettext("Delete more than %(count)s mailboxes?", count=BULK_MAX)


def _consequences(action: str, quota: str, count: int) -> list:
    if action == "disable":
        return [
            ngettext(
                "It stops receiving mail and cannot log in, at once; its web sessions end.",
                "They stop receiving mail and cannot log in, at once; their web sessions end.",
                count,
            ),
            gettext("A mailbox already disabled stays as it is."),
        ]
    if action == "enable":
        return [
            ngettext(
                "It receives mail and can log in again, at once.",
                "They receive mail and can log in again, at once.",
                count,
            ),
            gettext("A mailbox already enabled stays as it is."),
        ]
    if action == "quota":
        return [
            gettext("Each one's limit becomes %(quota)s: mail beyond it is refused.", quota=quota),
            gettext("If any mailbox cannot take it (the domain's largest mailbox or total quota), nothing is changed."),
        ]
    return [
        ngettext(
            "The account goes at once: it stops receiving mail and cannot log in. This cannot be undone.",
            "The accounts go at once: they stop receiving mail and cannot log in. This cannot be undone.",
            count,
        ),
        emphasis(
            gettext(
                "Their stored mail is <strong>not</strong> deleted: it stays on the server in each one's maildir"
                " (named in the audit log) for an operator to archive or remove."
            )
        ),
    ]


def _confirmation(plan, selection, quota: str, back: str):
    count, domain = plan.count, plan.domain.name
    if plan.too_many:
        return confirm_page(
            _too_many(plan.action),
            paragraphs=[mailbox_bulk.too_many_message(plan.domain)],
            button=None,
            cancel=back,
        )
    paragraphs = [p for p in (_filter_words(selection), _names(plan)) if p]
    return confirm_page(
        _question(plan.action, count, domain, quota),
        title=_title(plan.action, count, domain),
        paragraphs=paragraphs,
        points=_consequences(plan.action, quota, count),
        button=_button(plan.action, count),
        cancel=back,
        hidden=_hidden(selection, plan.action, quota, count),
    )


def _refused(error: BulkRefused, back: str):
    """Every row's problem, grouped (one rule often fails for every row)."""
    errors = {}
    for problem, addresses in error.grouped().items():
        words = translated(problem)
        more = " " + gettext("and %(count)s more", count=len(addresses) - 3) if len(addresses) > 3 else ""
        errors[problem] = f"{words[:1].upper() + words[1:]}: {', '.join(addresses[:3])}{more}"
    failed = len(error.fields)
    return confirm_page(
        gettext("Nothing was changed"),
        paragraphs=[
            ngettext(
                "%(num)s mailbox of the %(rows)s selected cannot take it:",
                "%(num)s mailboxes of the %(rows)s selected cannot take it:",
                failed,
                rows=error.rows,
            )
        ],
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
            flash(in_words(error), "error")
            return redirect(back)
        if not plan.count:
            flash(gettext("No mailbox matches: nothing to do."), "error")
            return redirect(back)
        return _confirmation(plan, selection, quota, back)
    try:
        outcome = mailbox_bulk.bulk_update(db, actor, row, action, selection, quota=quota, expected=_expected())
    except BulkRefused as error:
        db.rollback()
        return _refused(error, back)
    except ServiceError as error:
        db.rollback()
        flash(in_words(error), "error")
        return redirect(back)
    db.commit()
    flash(_done(action, row.name, quota, outcome))
    return redirect(back)


def _done(action: str, domain: str, quota: str, outcome) -> str:
    changed, unchanged = outcome.changed, outcome.unchanged
    if action == "quota":
        size = format_amount(parse_size(quota))
        if unchanged:
            return ngettext(
                "Set the quota of %(num)s mailbox in %(domain)s to %(quota)s (%(unchanged)s already had it).",
                "Set the quota of %(num)s mailboxes in %(domain)s to %(quota)s (%(unchanged)s already had it).",
                changed,
                domain=domain,
                quota=size,
                unchanged=unchanged,
            )
        return ngettext(
            "Set the quota of %(num)s mailbox in %(domain)s to %(quota)s.",
            "Set the quota of %(num)s mailboxes in %(domain)s to %(quota)s.",
            changed,
            domain=domain,
            quota=size,
        )
    if action == "delete":
        text = ngettext(
            "Deleted %(num)s mailbox in %(domain)s; their mail stays on disk (each maildir is named in the audit log)",
            "Deleted %(num)s mailboxes in %(domain)s; their mail stays on disk"
            " (each maildir is named in the audit log)",
            changed,
            domain=domain,
        )
    elif action == "disable":
        text = ngettext(
            "Disabled %(num)s mailbox in %(domain)s", "Disabled %(num)s mailboxes in %(domain)s", changed, domain=domain
        )
    else:
        text = ngettext(
            "Enabled %(num)s mailbox in %(domain)s", "Enabled %(num)s mailboxes in %(domain)s", changed, domain=domain
        )
    if unchanged:
        return text + " " + gettext("(%(count)s already were).", count=unchanged)
    return text + "."
