"""E-mail helpers."""

from __future__ import annotations

SUBJECT_LIMIT = 150


def subject_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One line of text for a Subject header: user text (a company name with a line break) would
    otherwise make Django refuse the whole message (BadHeaderError) and the e-mail would be lost."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
