"""The languages the pages speak, and the marker for text translated later.

Plain Python (no Flask): services import it. ``N_`` marks an English
message for ``pybabel extract`` and returns it unchanged; the web layer
translates it when it shows it (:mod:`panel.i18n`), so a service's words
stay the same whoever calls it and the CLI stays English. A message with
values in it (an address, a size, a count) is a :class:`Message`: English
as a string, its template and values kept so a page can translate the
sentence as a whole and fill the values in (a sentence is never pieced
together from translated fragments).
"""

from __future__ import annotations

LANGUAGES = ("en", "fr")
DEFAULT = "en"
# What the pickers offer, each in its own language.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - as N_, for a count
    return singular, plural


class Message(str):
    """``template % values`` in English, with the template kept for translation.

    ``template`` is an ``N_`` string or an ``Nn_`` pair (then ``count`` picks
    the form). Everything that treats it as a string (the CLI, the API's
    JSON, logs, tests) reads the English; :func:`panel.i18n.translated`
    gives the page's language.
    """

    template: str | tuple[str, str]
    values: dict

    def __new__(cls, template: str | tuple[str, str], /, **values):
        if isinstance(template, tuple):
            english = template[0] if values.get("count") == 1 else template[1]
        else:
            english = template
        # As gettext does: a template with no values is not %-formatted.
        self = super().__new__(cls, english % values if values else english)
        self.template, self.values = template, values
        return self

    def __reduce__(self):  # a copy or a pickle keeps the template
        return _rebuild, (self.template, self.values)


def _rebuild(template, values):
    return Message(template, **values)


def as_message(text: str) -> Message:
    """A Message as it is, an ``N_`` string as a Message without values: so
    it is translated where it is a value of another Message (a reason in a
    line of a report)."""
    return text if isinstance(text, Message) else Message(text)


# joined()'s template for sentences or details in a row ("a; b").
SEMICOLONS = N_("%(first)s; %(rest)s")


def joined(items: list[str], template: str = N_("%(first)s, %(rest)s")) -> str:
    """Items of a list ("quota 1G", "name Anna") as one Message, ``template``
    putting one between the first and the rest: English "a, b, c"; a page
    translates each item and the separator (French writes "a ; b"). An item
    that is a Message is translated, plain text (an address) is not."""
    first, *rest = items
    if not rest:
        return first
    return Message(template, first=first, rest=joined(rest, template))


def why(exc: Exception) -> str:
    """The message ``exc`` was raised with, a Message kept as one (``str(exc)``
    would give plain English and lose its translation)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
