"""Every string a page shows has its French translation, and the compiled
catalogue the panel runs on is the committed one.

The strings are extracted from the source exactly as ``pybabel extract``
does (babel.cfg, the same keywords), so a new ``_("...")`` in a template or
an ``N_("...")`` in a service without its French fails here. To add them:

    .venv/bin/pybabel extract -F babel.cfg -k lazy_gettext -k N_ -k Nn_:1,2 \\
        --no-location --sort-output -o /tmp/messages.pot .
    .venv/bin/pybabel update -i /tmp/messages.pot -d panel/translations --no-fuzzy-matching --ignore-obsolete
    (translate the new entries in panel/translations/fr/LC_MESSAGES/messages.po)
    .venv/bin/pybabel compile -d panel/translations

(docs/development.md, "Translations").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "panel" / "translations" / "fr" / "LC_MESSAGES"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_gettext": None,
    "N_": None,
    "Nn_": (1, 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{|\}\}")
HOW = "add it to panel/translations/fr/LC_MESSAGES/messages.po (tests/test_translations.py says how)"


@pytest.fixture(scope="module")
def extracted() -> dict:
    """(msgid, context) -> the files it comes from, as pybabel extract sees them."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault((key, context), set()).add(filename)
    return found


@pytest.fixture(scope="module")
def french():
    with open(CATALOG / "messages.po", "rb") as po:
        return read_po(po)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_extraction_finds_the_pages_strings(extracted):
    """The extraction itself works (a broken babel.cfg would find nothing)."""
    assert ("Log in", None) in extracted and ("Dashboard", None) in extracted and ("mailbox", "role") in extracted
    assert any(name.endswith("login.html") for name in extracted["Log in", None])


def test_every_string_has_a_french_translation(extracted, french):
    problems = []
    for (msgid, context), files in sorted(extracted.items(), key=str):
        entry = french.get(msgid if isinstance(msgid, str) else msgid[0], context=context)
        where = ", ".join(sorted(files))
        if entry is None:
            problems.append(f"not translated: {msgid!r} ({where}): {HOW}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy (check it and remove the flag): {msgid!r}")
        strings = entry.string if isinstance(entry.string, (list, tuple)) else [entry.string]
        if not all(s.strip() for s in strings):
            problems.append(f"empty translation: {msgid!r} ({where})")
        originals = [msgid] if isinstance(msgid, str) else list(msgid)
        wanted = set(_placeholders(originals[-1])) | set(_placeholders(originals[0]))
        for s in strings:
            if s.strip() and not set(_placeholders(s)) <= wanted:
                problems.append(f"placeholders differ: {msgid!r} -> {s!r}")
            if s.strip() and isinstance(msgid, str) and _placeholders(s) != _placeholders(msgid):
                problems.append(f"placeholders differ: {msgid!r} -> {s!r}")
    assert problems == []


def test_no_stale_translation_is_kept(extracted, french):
    """An entry whose English is gone from the source: run pybabel update."""
    wanted = {(msgid if isinstance(msgid, str) else msgid[0], context) for msgid, context in extracted}
    assert [
        m.id for m in french if m.id and (m.id if isinstance(m.id, str) else m.id[0], m.context) not in wanted
    ] == []


def test_the_compiled_catalogue_is_the_committed_one(french):
    """The panel reads messages.mo: it must say what messages.po says
    (run pybabel compile -d panel/translations after editing the .po)."""
    with open(CATALOG / "messages.mo", "rb") as mo:
        compiled = read_mo(mo)

    def entries(catalog):
        return {(_key(m.id), m.context): _key(m.string) for m in catalog if m.id}

    assert entries(compiled) == entries(french)


def _key(value):
    return value if isinstance(value, str) else tuple(value)


# French typography: no line may break before ; : ! ? or inside « »,
# so those take a no-break space (U+202F, narrow, before ; ! ?; U+00A0
# before : and inside the guillemets), never an ordinary one.
BREAKABLE_SPACE = re.compile(r" [:;?!](?=\s|$|[)»\"'<])| »|« ")


def test_french_punctuation_takes_no_break_spaces(french):
    problems = []
    for m in french:
        if not m.id:
            continue
        for s in m.string if isinstance(m.string, (list, tuple)) else [m.string]:
            for found in BREAKABLE_SPACE.finditer(s):
                problems.append(f"{s!r}: an ordinary space at {found.group()!r}")
    assert problems == []
