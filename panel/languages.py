"""The languages the pages speak, and the marker for text translated later.

Plain Python (no Flask): services import it. ``N_`` marks an English
message for ``pybabel extract`` and returns it unchanged; the web layer
translates it when it shows it (:mod:`panel.i18n`), so a service's words
stay the same whoever calls it and the CLI stays English.
"""

from __future__ import annotations

LANGUAGES = ("en", "fr")
DEFAULT = "en"
# What the pickers offer, each in its own language.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name
    return message
