"""The pages' language: Flask-Babel, English and French.

The language is the one the signed-in user chose (``language`` on their
admin or mailbox row), else the best match of the browser's
Accept-Language, else English. Outside a request (the CLI, imports run by
a command) and in the API everything stays English.

Services raise their messages in English (``panel/services`` knows nothing
of requests); the web layer translates what it shows with :func:`translated`.
"""

from __future__ import annotations

from flask import g, has_app_context, has_request_context, request
from flask_babel import Babel, get_translations, gettext, ngettext
from flask_login import current_user

from .languages import DEFAULT, LANGUAGE_NAMES, LANGUAGES, SEMICOLONS, Message, as_message, joined

babel = Babel()


def chosen(user) -> str | None:
    """A user's stored choice, if it is one the panel speaks."""
    language = getattr(user, "language", None)
    return language if language in LANGUAGES else None


def select_locale() -> str:
    if not has_request_context() or request.blueprint == "api":
        return DEFAULT
    try:
        user = current_user._get_current_object() if current_user else None
    except Exception:  # noqa: BLE001 - no user to ask (an error page with no database)
        user = None
    if user is not None and getattr(user, "is_authenticated", False):
        language = chosen(user)
        if language:
            return language
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def translated(message: str) -> str:
    """A service's message in the page's language: an ``N_`` string looked up
    as it is, a :class:`Message` by its template with its values filled in.
    A value that is a Message is translated too. Text the catalogue does
    not know stays as it was (English)."""
    if not message:
        return message  # gettext("") is the catalogue's header
    if not isinstance(message, Message):
        return gettext(message)
    # A value may itself be a Message (a reason inside a sentence).
    values = {k: translated(v) if isinstance(v, Message) else v for k, v in message.values.items()}
    if isinstance(message.template, tuple):
        singular, plural = message.template
        return ngettext(singular, plural, values.get("count", 0), **values)
    return gettext(message.template, **values)


def in_words(error) -> str:
    """A ServiceError's messages in the page's language, without the
    code's field names: for a flash or an error page."""
    messages = error.fields.values() if error.fields else [error.message]
    return translated(joined([as_message(m) for m in messages], SEMICOLONS))


def _page_translations():
    """The catalogue of this request's language, looked up once per request.

    Flask-Babel's own template callables find it anew for each string (the
    context, the domain, the locale, through several proxies): ~10 µs a
    string, and a page of 50 mailboxes says ~700 of them. The language of a
    request does not change once chosen (Flask-Babel caches the locale per
    request too; ``force_locale``, which would change it, is not used).
    """
    if not has_app_context():
        return get_translations()  # Flask-Babel's answer outside an app: no translation
    found = g.get("_page_translations")
    if found is None:
        found = g._page_translations = get_translations()
    return found


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # Flask-Babel's, with the catalogue found once
        gettext=lambda s: _page_translations().ugettext(s),
        ngettext=lambda s, p, n: _page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.filters["translated"] = translated
