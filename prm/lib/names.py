"""Normalising end-customer names and web domains (DOMAIN.md, "Same opportunity"; the end
customer check of ship-and-debit claims).

A name is folded to lower case without accents, punctuation is dropped, trailing legal suffixes
(inc, ltd, gmbh, ...) are removed and spaces collapsed, so that "ACME, Inc." and "Acmé Inc" are
the same customer.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "as",
        "oy",
        "kk",
        "pty",
    ]
)

# Letters that Unicode does not decompose into a base letter plus a combining accent.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
    }
)
# Dots and apostrophes join (S.p.A. -> spa, O'Neil -> oneil); other punctuation separates words.
_JOINING = re.compile(r"[.'’`´]")
_SEPARATING = re.compile(r"[^\w\s]|_")


def fold(text: str) -> str:
    """Lower case without accents: 'Société Générale' -> 'societe generale'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_SPECIAL_LETTERS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def normalise_name(name: str) -> str:
    """The comparable form of a legal name: folded, no punctuation, no trailing legal suffixes."""
    text = _SEPARATING.sub(" ", _JOINING.sub("", fold(name)))
    words = text.split()
    # Strip legal suffixes from the end ("Acme Holdings Co Ltd" -> "acme holdings"), but never the
    # whole name: a company literally called "AB" stays "ab".
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def normalise_domain(value: str) -> str:
    """A bare host name: 'https://www.Acme.com/about' -> 'acme.com'; an e-mail gives its domain."""
    text = (value or "").strip().lower()
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.split("@")[-1].split(":", 1)[0].strip(".")
    if text.startswith("www."):
        text = text[4:]
    return text


def is_parent_or_subsidiary(a: str, b: str) -> bool:
    """One normalised name is the other followed by more words ("acme" / "acme holdings europe")."""
    if not a or not b or a == b:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.startswith(short + " ")
