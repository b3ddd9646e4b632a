"""The German portal is complete: every message of locale/de is translated and reviewed, the compiled
catalogue is the one Django loads for the .po as committed, and the .po holds exactly the messages
the code asks for.

After adding or changing a user-visible string, regenerate, translate and compile:
    python manage.py makemessages -l de --no-obsolete --add-location file
    python manage.py compilemessages -l de
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO = LOCALE_DIR / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
REGENERATE = "python manage.py makemessages -l de --no-obsolete --add-location file"
COMPILE = "python manage.py compilemessages -l de"

# What a translation must carry over unchanged: printf-style and brace placeholders, the literal
# percent sign of a python-format string, {{ merge fields }} and HTML tags (with their attributes).
# No space flag in the printf pattern: "100 % der" is German typography, not a "% d" conversion.
TOKEN = re.compile(
    r"%\([A-Za-z_]\w*\)[-#0+]*\d*(?:\.\d+)?[a-zA-Z]"
    r"|%[-#0+]*\d*(?:\.\d+)?[sdifr]"
    r"|%%"
    r"|\{\{\s*\w+\s*\}\}"
    r"|\{\w*\}"
    r"|</?[a-zA-Z][^>]*>"
)


def _read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, abort_invalid=True)


def _messages(catalog: Catalog) -> list[Message]:
    """Every entry but the header (msgid "")."""
    return [m for m in catalog if m.id]


def _forms(message: Message) -> tuple[str, ...]:
    """The translation as a tuple: one form, or one per plural form."""
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _label(message: Message) -> str:
    return repr(message.id[0] if isinstance(message.id, tuple) else message.id)


def _key(message: Message) -> tuple[str | None, str | tuple[str, ...]]:
    ident = tuple(message.id) if isinstance(message.id, (tuple, list)) else message.id
    return (message.context, ident)


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    return _read_catalogue(PO)


def test_no_german_message_is_empty(catalogue):
    empty = [_label(m) for m in _messages(catalogue) if any(not form for form in _forms(m))]
    assert not empty, (
        f"{len(empty)} German messages lack a translation (every plural form counts):\n" + "\n".join(empty)
    )


def test_no_german_message_is_fuzzy(catalogue):
    fuzzy = [_label(m) for m in _messages(catalogue) if m.fuzzy]
    assert not fuzzy, (
        f"{len(fuzzy)} German messages are flagged fuzzy (gettext drops them at runtime); "
        "check each translation and remove the flag:\n" + "\n".join(fuzzy)
    )


def test_translations_keep_every_placeholder_and_tag(catalogue):
    """German has the plural forms of English (one, other), so the singular translation mirrors
    msgid and every further form mirrors msgid_plural."""
    broken = []
    for m in _messages(catalogue):
        sources = (m.id[0], *[m.id[1]] * (len(_forms(m)) - 1)) if m.pluralizable else (m.id,)
        for source, form in zip(sources, _forms(m), strict=True):
            if form and Counter(TOKEN.findall(source)) != Counter(TOKEN.findall(form)):
                broken.append(f"{source!r} -> {form!r}")
    assert not broken, "Placeholders or tags differ between msgid and msgstr:\n" + "\n".join(broken)


def test_compiled_catalogue_matches_the_po_file(catalogue):
    """msgfmt compiles the translated, non-fuzzy entries; the .mo must hold exactly those."""
    with MO.open("rb") as f:
        compiled = {_key(m): _forms(m) for m in read_mo(f) if m.id}
    translated = {_key(m): _forms(m) for m in _messages(catalogue) if not m.fuzzy and all(_forms(m))}
    missing = sorted(repr(k[1]) for k in translated.keys() - compiled.keys())
    stale = sorted(repr(k[1]) for k in compiled.keys() - translated.keys())
    changed = sorted(repr(k[1]) for k in translated.keys() & compiled.keys() if translated[k] != compiled[k])
    assert not (missing or stale or changed), (
        f"django.mo is older than django.po; run `{COMPILE}`.\n"
        f"not compiled: {missing[:20]}\ncompiled but not translated in the .po: {stale[:20]}\ntranslation changed: {changed[:20]}"
    )


def _not_source(base: Path):
    """Dot folders (.venv, .git) are skipped by makemessages itself; var/ holds runtime data only
    (the database cluster, media, collected static files)."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [
            n
            for n in names
            if n.startswith(".") or n == "__pycache__" or (Path(folder) == base and n == "var")
        ]

    return ignore


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext (xgettext)")
def test_catalogue_holds_exactly_the_messages_of_the_code(catalogue, tmp_path, settings, monkeypatch):
    """makemessages on a copy of the source tree (the checkout's own catalogue stays untouched)
    must find the messages the committed catalogue holds: no new string left untranslated, no
    removed string kept."""
    base = Path(settings.BASE_DIR)
    source = tmp_path / "src"
    shutil.copytree(base, source, ignore=_not_source(base))
    settings.LOCALE_PATHS = [source / "locale"]
    monkeypatch.chdir(source)
    call_command("makemessages", locale=["de"], no_obsolete=True, add_location="file", verbosity=0)
    fresh = _read_catalogue(source / "locale" / "de" / "LC_MESSAGES" / "django.po")

    committed = {_key(m) for m in _messages(catalogue)}
    in_code = {_key(m) for m in _messages(fresh)}
    new = sorted(repr(k[1]) for k in in_code - committed)
    removed = sorted(repr(k[1]) for k in committed - in_code)
    assert not (new or removed), (
        f"locale/de is out of step with the code; run `{REGENERATE}`, translate, then `{COMPILE}`.\n"
        f"new in the code: {new}\nno longer in the code: {removed}"
    )
