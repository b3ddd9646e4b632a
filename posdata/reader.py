"""POS and inventory files through the shared tolerant reader (``prm.reader``): the header row is
the one with the most known POS (or inventory) header names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from posdata.fields import header_score
from prm.reader import FileLayout
from prm.reader import inspect_file as inspect_any_file

__all__ = ["FileLayout", "inspect_file"]


def inspect_file(
    path: Path, fmt: str, kind: str, preferred: Sequence[str] = (), sample_rows: int = 20
) -> FileLayout:
    """Encoding, delimiter, header row and first rows of a POS or inventory file."""
    return inspect_any_file(
        path, fmt, lambda cells: header_score(kind, cells), preferred=preferred, sample_rows=sample_rows
    )
