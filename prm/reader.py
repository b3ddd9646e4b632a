"""Reading partner files as a stream: encoding, delimiter, the header row below any title rows,
and data rows with their physical line (CSV) or sheet row (XLSX) number.

The tolerant reader every partner-file app uses (POS and inventory files, ship-and-debit claims):
each app passes its own header scoring (its known header names), the reading is shared."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from prm.files import MAX_COLUMNS, UploadRejected, iter_csv_records, iter_xlsx_rows

DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 30
SAMPLE_CHARS = 256 * 1024


@dataclass
class FileLayout:
    format: str
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    headers: list[str] = field(default_factory=list)
    sample: list[list[str]] = field(default_factory=list)  # first data rows


def detect_encoding(path: Path) -> str:
    """BOM first; else UTF-8 if the whole file decodes as UTF-8 (checked in chunks); else
    Windows-1252 (a superset of Latin-1 for text)."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read (progress of a streamed file)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def _open_text(path: Path, encoding: str) -> tuple[IO[str], _CountingReader]:
    counter = _CountingReader(path.open("rb"))
    errors = "replace" if encoding == "cp1252" else "strict"
    text = io.TextIOWrapper(
        io.BufferedReader(counter, 1024 * 1024), encoding=encoding, errors=errors, newline=""
    )
    return text, counter


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the most rows of one (largest) width."""
    lines = sample.splitlines()[:-1] or sample.splitlines()
    text = "\n".join(lines[:200])
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(r)]
        except csv.Error:
            continue
        if not widths:
            continue
        counts: dict[int, int] = {}
        for w in widths:
            if w > 1:
                counts[w] = counts.get(w, 0) + 1
        if not counts:
            continue
        width, rows = max(counts.items(), key=lambda item: (item[1], item[0]))
        score = (rows, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _clean(cells: Sequence[str]) -> list[str]:
    return [c.strip() for c in cells]


HeaderScore = Callable[[Sequence[str]], int]


def normalise_header(text: str) -> str:
    """A header as compared with known names: lower case, "#"/"number"/"num" -> "no",
    punctuation dropped ("Invoice #" and "invoice number" are both "invoice no")."""
    value = text.strip().lower().replace("\ufeff", "")
    value = value.replace("#", " no ").replace("n°", " no ").replace("nº", " no ")
    value = re.sub(r"[^0-9a-zäöüß]+", " ", value)
    words = ["no" if w in {"number", "num", "nbr", "nr", "numero"} else w for w in value.split()]
    return " ".join(words)


def _pick_header(
    score_header: HeaderScore, rows: list[tuple[int, list[str]]], preferred: Sequence[str]
) -> int:
    """Index (in ``rows``) of the header row: most known header names (and saved headers)."""
    wanted = {h for h in preferred if h}
    best, best_score = -1, 0
    for index, (_number, cells) in enumerate(rows):
        score = score_header(cells) + 2 * sum(1 for c in cells if c in wanted)
        if score > best_score:
            best, best_score = index, score
    if best >= 0:
        return best
    # No known names: the first row as wide as the widest of the first rows.
    widest = max((sum(1 for c in cells if c) for _n, cells in rows), default=0)
    for index, (_number, cells) in enumerate(rows):
        if sum(1 for c in cells if c) >= max(2, widest):
            return index
    return 0


def _unique_headers(cells: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    headers = []
    for index, cell in enumerate(cells):
        name = cell or f"column {index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    return headers


def inspect_file(
    path: Path, fmt: str, score_header: HeaderScore, preferred: Sequence[str] = (), sample_rows: int = 20
) -> FileLayout:
    """Find encoding, delimiter, header row (the row ``score_header`` rates best among the first
    rows) and the first data rows."""
    layout = FileLayout(format=fmt)
    if fmt == "csv":
        layout.encoding = detect_encoding(path)
        try:
            text, _counter = _open_text(path, layout.encoding)
            with text:
                sample = text.read(SAMPLE_CHARS)
        except UnicodeDecodeError as exc:
            raise UploadRejected(_("The file's text encoding could not be read: %(e)s") % {"e": exc}) from exc
        layout.delimiter = detect_delimiter(sample)
    head: list[tuple[int, list[str]]] = []
    for number, cells in iter_rows(path, layout):
        if any(cells):
            head.append((number, cells[: MAX_COLUMNS + 1]))
        if len(head) >= HEADER_SEARCH_ROWS + sample_rows:
            break
    if not head:
        raise UploadRejected(_("The file has no rows."))
    index = _pick_header(score_header, head[:HEADER_SEARCH_ROWS], preferred)
    layout.header_row = head[index][0]
    cells = head[index][1]
    while cells and not cells[-1]:
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise UploadRejected(
            _("The header row has %(n)d columns; at most %(max)d are supported.")
            % {"n": len(cells), "max": MAX_COLUMNS}
        )
    layout.headers = _unique_headers(cells)
    layout.sample = [row for _n, row in head[index + 1 : index + 1 + sample_rows]]
    return layout


def iter_rows(
    path: Path, layout: FileLayout, progress: Callable[[float], None] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(line or sheet row number, stripped cells) of every record, streaming."""
    if layout.format == "xlsx":
        for number, cells in iter_xlsx_rows(path, width=len(layout.headers) or MAX_COLUMNS + 1):
            yield number, cells
            if progress is not None and number % 20000 == 0:
                progress(-1.0)
        return
    size = max(path.stat().st_size, 1)
    text, counter = _open_text(path, layout.encoding or "utf-8")
    try:
        records = iter_csv_records(text, delimiter=layout.delimiter or ",")
        for count, (start, cells) in enumerate(records, start=1):
            yield start, [c.strip() for c in cells]
            if progress is not None and count % 50000 == 0:
                progress(counter.count / size)
    except UnicodeDecodeError as exc:
        raise UploadRejected(_("The file's text encoding could not be read: %(e)s") % {"e": exc}) from exc
    except csv.Error as exc:
        raise UploadRejected(_("The CSV file is malformed: %(e)s") % {"e": exc}) from exc
    finally:
        text.close()


class ReadProgress:
    """How far a streamed read has got, for progress reports: give one to ``iter_records`` and read
    ``fraction`` whenever convenient (bytes read / file size; -1.0 before the read starts and for
    workbooks, whose position is not known)."""

    def __init__(self) -> None:
        self._counter: _CountingReader | None = None
        self._size = 1

    @property
    def fraction(self) -> float:
        if self._counter is None:
            return -1.0
        return self._counter.count / self._size


def iter_records(
    path: Path, layout: FileLayout, *, progress: ReadProgress | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(line or sheet row number, cells as read) of every record below the header row, streaming.
    Unlike ``iter_rows`` the cells are not stripped: a loader that trims in SQL saves the work on
    every cell of a large file."""
    if layout.format == "xlsx":
        for number, cells in iter_xlsx_rows(path, width=len(layout.headers) or MAX_COLUMNS):
            if number > layout.header_row:
                yield number, cells
        return
    text, counter = _open_text(path, layout.encoding or "utf-8")
    if progress is not None:
        progress._counter, progress._size = counter, max(path.stat().st_size, 1)
    try:
        header_row = layout.header_row
        for start, cells in iter_csv_records(text, delimiter=layout.delimiter or ","):
            if start > header_row:
                yield start, cells
    except UnicodeDecodeError as exc:
        raise UploadRejected(_("The file's text encoding could not be read: %(e)s") % {"e": exc}) from exc
    except csv.Error as exc:
        raise UploadRejected(_("The CSV file is malformed: %(e)s") % {"e": exc}) from exc
    finally:
        text.close()
