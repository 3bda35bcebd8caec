"""The model behind `labkit.services.gsheets`: spreadsheets, tabs, A1 ranges, and the Sheets v4
operations gspread uses. No HTTP here: the server in `gsheets.py` parses requests, calls these
functions under its lock, and turns `ApiError` into Google's error JSON.

What is simplified on purpose (documented so nobody mistakes it for Google):
- Formulas are stored as the text typed ("=SUM(A1:A3)") and never calculated.
- USER_ENTERED understands plain numbers, TRUE/FALSE, "1,234", "$1,234.50" and "12%"; a leading
  apostrophe keeps text. Dates stay text (Sheets would turn them into date serials).
- A plain number is displayed (FORMATTED_VALUE) as Python writes it: integers without ".0",
  other floats in their shortest form (40.12 -> "40.12", 3.0 -> "3"). Real Sheets rounds long
  fractions to about 10 significant digits; the fake shows them in full.
- values.append finds "the table" more simply than Google (see `append`).
- Formatting requests (repeatCell, mergeCells, borders, widths, filters...) are accepted and
  ignored: they change how a sheet looks, not what gspread reads back.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

SHEETS_MIME = "application/vnd.google-apps.spreadsheet"
DEFAULT_ROWS, DEFAULT_COLS = 1000, 26  # a new Google spreadsheet's grid
MAX_COLS = 18278  # column ZZZ, Sheets' limit

STATUS_NAMES = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
    502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' "
    "of service 'sheets.googleapis.com'.",
    500: "Internal error encountered.",
    502: "The service is currently unavailable.",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}

# Request kinds that only change how cells look. gspread's format(), freeze-free layout calls and
# column widths send these; accepting them keeps such DAGs working, ignoring them is harmless.
COSMETIC_REQUESTS = frozenset({
    "repeatCell", "mergeCells", "unmergeCells", "updateBorders", "autoResizeDimensions",
    "updateDimensionProperties", "setBasicFilter", "clearBasicFilter", "addConditionalFormatRule",
    "updateConditionalFormatRule", "deleteConditionalFormatRule", "setDataValidation", "addBanding",
    "updateBanding", "deleteBanding", "addProtectedRange", "updateProtectedRange", "deleteProtectedRange",
    "addDimensionGroup", "deleteDimensionGroup", "updateDimensionGroup",
})


class ApiError(Exception):
    """A refusal, as Google words it. `errors` is Drive's extra list (Sheets has none)."""

    def __init__(self, code: int, message: str | None = None, *, errors: list[dict[str, Any]] | None = None) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, "Error")
        self.errors = errors
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message,
                                 "status": STATUS_NAMES.get(self.code, "UNKNOWN")}
        if self.errors:
            error["errors"] = self.errors
        return {"error": error}


def now_rfc3339() -> str:
    """Drive's timestamp format: UTC with milliseconds and a Z."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def new_spreadsheet_id() -> str:
    """44 URL-safe characters starting with "1", the shape of a modern Google Sheets id."""
    return "1" + secrets.token_urlsafe(32)[:43]


# -- cells --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """A number typed with a format ("$1,234.50", "12%", "1,234"): its value and its display."""

    value: int | float
    text: str


_EMPTY = object()  # "clear this cell" ("" written, or nothing there)
_SKIP = object()  # "leave this cell alone" (null in the request, as the API documents)

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PLAIN_NUMBER = re.compile(rf"[+-]?{_NUM}(?:[eE][+-]?\d+)?\Z")
_GROUPED = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_GROUPED_NUMBER = re.compile(rf"[+-]?{_GROUPED}\Z")
_CURRENCY = re.compile(rf"(-?)\$({_GROUPED}|{_NUM})\Z")
_PERCENT = re.compile(rf"([+-]?{_NUM})%\Z")


def _number(text: str) -> int | float:
    value = float(text.replace(",", ""))
    # Whole numbers come back as JSON integers, as Google sends them.
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def user_entered(text: str) -> Any:
    """What Sheets stores when a person types `text` (the USER_ENTERED rules the fake knows)."""
    if text.startswith("'"):
        return text[1:] or _EMPTY  # the apostrophe says "this is text" and is not shown
    typed = text.strip()
    if _PLAIN_NUMBER.match(typed):
        return _number(typed)
    if typed.upper() in ("TRUE", "FALSE"):
        return typed.upper() == "TRUE"
    if _GROUPED_NUMBER.match(typed):
        return Shown(_number(typed), typed)
    if match := _CURRENCY.match(typed):
        value = _number(match[2]) * (-1 if match[1] else 1)
        return Shown(value, f"{match[1]}${abs(value):,.2f}")  # Sheets' currency format: 2 decimals
    if match := _PERCENT.match(typed):
        value = _number(str(float(match[1]) / 100))
        decimals = 2 if "." in match[1] else 0
        return Shown(value, f"{float(match[1]):.{decimals}f}%")
    return text


def stored(value: Any, entered: bool, where: str) -> Any:
    """The stored form of one value from a request (RAW keeps strings as they are)."""
    if value is None:
        return _SKIP
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if value == "":
            return _EMPTY
        return user_entered(value) if entered else value
    raise ApiError(400, f"Invalid {where}: {type(value).__name__}_value {value!r}")


def show_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def render(value: Any, option: str) -> Any:
    """One stored cell as the API returns it for `valueRenderOption` `option`."""
    formatted = option not in ("UNFORMATTED_VALUE", "FORMULA")
    if isinstance(value, Shown):
        return value.text if formatted else value.value
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if formatted else value
    if isinstance(value, (int, float)):
        if formatted:
            return show_number(value)
        return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else value
    return value


def from_python(value: Any) -> Any:
    """A cell given in-process (create()): numbers stay numbers, None/"" are empty, others text."""
    if value is None or value == "":
        return _EMPTY
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


# -- tabs and spreadsheets ----------------------------------------------------------------------
@dataclass
class Tab:
    sheet_id: int
    title: str
    rows: int = DEFAULT_ROWS
    cols: int = DEFAULT_COLS
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # (row, col), 0-based; no empties
    frozen_rows: int = 0
    frozen_cols: int = 0

    def properties(self, index: int) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        return {"sheetId": self.sheet_id, "title": self.title, "index": index, "sheetType": "GRID",
                "gridProperties": grid}

    def put(self, row: int, col: int, value: Any) -> None:
        if value is _SKIP:
            return
        if value is _EMPTY:
            self.cells.pop((row, col), None)
        else:
            self.cells[(row, col)] = value

    def grow(self, rows: int, cols: int) -> None:
        """Make the grid at least rows x cols (writes past the edge add rows, as Sheets does)."""
        self.rows, self.cols = max(self.rows, rows), max(self.cols, cols)

    def grid_data(self) -> list[dict[str, Any]]:
        """`sheets[].data` for includeGridData=true: every used cell's value three ways."""
        if not self.cells:
            return [{"rowData": []}]
        last_row = max(r for r, _ in self.cells)
        last_col = max(c for _, c in self.cells)
        rows = []
        for r in range(last_row + 1):
            values = [_cell_data(self.cells.get((r, c))) for c in range(last_col + 1)]
            while values and not values[-1]:
                values.pop()
            rows.append({"values": values} if values else {})
        return [{"startRow": 0, "startColumn": 0, "rowData": rows}]


def _cell_data(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    raw = render(value, "UNFORMATTED_VALUE")
    kind = "boolValue" if isinstance(raw, bool) else "numberValue" if isinstance(raw, (int, float)) else "stringValue"
    return {"userEnteredValue": {kind: raw}, "effectiveValue": {kind: raw},
            "formattedValue": render(value, "FORMATTED_VALUE")}


@dataclass
class Book:
    """One spreadsheet. `shared=False`: the service account was never given access."""

    id: str
    title: str
    shared: bool = True
    tabs: list[Tab] = field(default_factory=list)
    created: str = field(default_factory=now_rfc3339)
    modified: str = field(default_factory=now_rfc3339)

    def clone(self) -> Book:
        """A copy to apply a batch to: cell values are immutable, so copying the dicts suffices."""
        return replace(self, tabs=[replace(tab, cells=dict(tab.cells)) for tab in self.tabs])

    def tab(self, title: str) -> Tab | None:
        """The tab called `title`; like Sheets, a case-insensitive match is accepted too."""
        exact = [tab for tab in self.tabs if tab.title == title]
        loose = [tab for tab in self.tabs if tab.title.casefold() == title.casefold()]
        return next(iter(exact or loose), None)

    def tab_by_id(self, sheet_id: Any, where: str) -> Tab:
        for tab in self.tabs:
            if tab.sheet_id == sheet_id:
                return tab
        raise ApiError(400, f"Invalid {where}: No grid with id: {sheet_id}")

    def new_sheet_id(self) -> int:
        taken = {tab.sheet_id for tab in self.tabs}
        while (candidate := secrets.randbelow(2**31 - 2) + 1) in taken:
            pass
        return candidate

    def metadata(self, include_grid: bool = False) -> dict[str, Any]:
        sheets = []
        for index, tab in enumerate(self.tabs):
            sheet: dict[str, Any] = {"properties": tab.properties(index)}
            if include_grid:
                sheet["data"] = tab.grid_data()
            sheets.append(sheet)
        return {
            "spreadsheetId": self.id,
            "properties": {"title": self.title, "locale": "en_US", "autoRecalc": "ON_CHANGE",
                           "timeZone": "Etc/UTC"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.id}/edit",
        }

    def drive_file(self) -> dict[str, Any]:
        return {"kind": "drive#file", "id": self.id, "name": self.title, "mimeType": SHEETS_MIME,
                "createdTime": self.created, "modifiedTime": self.modified}

    def touch(self) -> None:
        self.modified = now_rfc3339()


def make_tab(sheet_id: int, title: str, rows: list[list[Any]] | None = None) -> Tab:
    rows = rows or []
    tab = Tab(sheet_id, title)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            tab.put(r, c, from_python(value))
    tab.grow(len(rows), max((len(row) for row in rows), default=0))
    return tab


# -- A1 notation --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grid:
    """A range inside one tab: rows r0..r1-1, columns c0..c1-1 (None: to the grid's edge)."""

    r0: int = 0
    c0: int = 0
    r1: int | None = None
    c1: int | None = None
    single: bool = False  # written as one cell ("A1"): a write there may spill past it

    def bounded(self, tab: Tab) -> tuple[int, int, int, int]:
        return self.r0, self.c0, tab.rows if self.r1 is None else self.r1, tab.cols if self.c1 is None else self.c1


_REF = re.compile(r"([A-Za-z]{0,3})(\d*)\Z")
_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def col_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def col_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def quote_title(title: str) -> str:
    """How Google writes a tab name in a range: bare when it can, quoted ('' for ') otherwise."""
    if _PLAIN_TITLE.match(title) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1(title: str, r0: int, c0: int, r1: int, c1: int) -> str:
    start = f"{col_letters(c0)}{r0 + 1}"
    end = f"{col_letters(c1 - 1)}{r1}"
    return f"{quote_title(title)}!{start}" + ("" if start == end else f":{end}")


def split_sheet(text: str) -> tuple[str | None, str]:
    """("'My tab'!A1:B2") -> ("My tab", "A1:B2"); no "!" -> (None, text) or the quoted name."""
    if text.startswith("'"):
        name, i = [], 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1:i + 2] == "'":  # '' inside quotes is one apostrophe
                    name.append("'")
                    i += 2
                    continue
                rest = text[i + 1:]
                if rest and not rest.startswith("!"):
                    break
                return "".join(name), rest[1:]
            name.append(text[i])
            i += 1
        raise ApiError(400, f"Unable to parse range: {text}")
    if "!" in text:
        sheet, _, cells = text.partition("!")
        return sheet, cells
    return None, text


def parse_cells(cells: str, text: str) -> Grid:
    """"A1", "A1:D10", "A:C", "2:5", "B2:C" -> Grid; anything else is Google's parse error."""
    parts = cells.split(":")
    refs = [_REF.match(part) for part in parts]
    if len(parts) > 2 or not all(refs):
        raise ApiError(400, f"Unable to parse range: {text}")
    pairs = [(m[1], m[2]) for m in refs if m]  # (letters, digits), either may be ""
    if any(not (letters or digits) or (digits and int(digits) == 0) for letters, digits in pairs):
        raise ApiError(400, f"Unable to parse range: {text}")
    (c_a, r_a) = pairs[0]
    if len(pairs) == 1:
        if not (c_a and r_a):  # "A" or "5" alone is not a range
            raise ApiError(400, f"Unable to parse range: {text}")
        r, c = int(r_a) - 1, col_index(c_a)
        return Grid(r, c, r + 1, c + 1, single=True)
    (c_b, r_b) = pairs[1]
    r0 = int(r_a) - 1 if r_a else 0
    c0 = col_index(c_a) if c_a else 0
    r1 = int(r_b) if r_b else None
    c1 = col_index(c_b) + 1 if c_b else None
    # "B5:A1" means the same cells as "A1:B5".
    if r1 is not None and r_a and r1 <= r0:
        r0, r1 = r1 - 1, r0 + 1
    if c1 is not None and c_a and c1 <= c0:
        c0, c1 = c1 - 1, c0 + 1
    return Grid(r0, c0, r1, c1)


def resolve(book: Book, text: str) -> tuple[Tab, Grid]:
    """The tab and cells a range names. A bare name is a tab if one has it, else cells of the first tab."""
    sheet, cells = split_sheet(text)
    if sheet is None:
        tab = book.tab(cells)
        if tab is not None:
            return tab, Grid()
        return book.tabs[0], parse_cells(cells, text)
    tab = book.tab(sheet)
    if tab is None:
        raise ApiError(400, f"Unable to parse range: {text}")
    return tab, parse_cells(cells, text) if cells else Grid()


def within_grid(tab: Tab, grid: Grid) -> tuple[int, int, int, int]:
    """The bounded range, or Google's error when it reaches past the tab's grid."""
    r0, c0, r1, c1 = grid.bounded(tab)
    if r1 > tab.rows or c1 > tab.cols:
        raise ApiError(400, f"Range ({a1(tab.title, r0, c0, r1, c1)}) exceeds grid limits. "
                            f"Max rows: {tab.rows}, max columns: {tab.cols}")
    return r0, c0, r1, c1


# -- values -------------------------------------------------------------------------------------
def read(tab: Tab, box: tuple[int, int, int, int], option: str = "FORMATTED_VALUE",
         major: str = "ROWS") -> list[list[Any]]:
    """The cells in `box` as the API lists them: trailing empty cells and rows left out."""
    r0, c0, r1, c1 = box
    used = [(r, c) for (r, c) in tab.cells if r0 <= r < r1 and c0 <= c < c1]
    if not used:
        return []
    last_r, last_c = max(r for r, _ in used), max(c for _, c in used)
    matrix = [[tab.cells.get((r, c), _EMPTY) for c in range(c0, last_c + 1)] for r in range(r0, last_r + 1)]
    if major == "COLUMNS":
        matrix = [list(column) for column in zip(*matrix, strict=True)]
    out = []
    for line in matrix:
        while line and line[-1] is _EMPTY:
            line.pop()
        out.append(["" if value is _EMPTY else render(value, option) for value in line])
    return out


def as_rows(values: Any, major: str | None) -> list[list[Any]]:
    """The request's `values` as rows (COLUMNS input is transposed, ragged columns allowed)."""
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(line, list) for line in values):
        raise ApiError(400, "Invalid value at 'data.values': expected a list of lists")
    if major != "COLUMNS":
        return values
    height = max((len(column) for column in values), default=0)
    return [[column[r] if r < len(column) else None for column in values] for r in range(height)]


def prepare(rows: list[list[Any]], entered: bool) -> list[list[Any]]:
    """Every value converted before anything is written, so a bad cell changes nothing."""
    return [[stored(value, entered, f"values[{i}][{j}]") for j, value in enumerate(row)]
            for i, row in enumerate(rows)]


def input_option(option: str | None) -> bool:
    """True for USER_ENTERED; Google refuses a write that does not say which."""
    if option not in ("RAW", "USER_ENTERED"):
        if not option:
            raise ApiError(400, "'valueInputOption' is required but not specified")
        raise ApiError(400, f"Invalid value at 'value_input_option' ({option})")
    return option == "USER_ENTERED"


def write(tab: Tab, r0: int, c0: int, rows: list[list[Any]]) -> tuple[int, int, int]:
    """Write prepared rows with their top-left at (r0, c0): (rows, columns, cells) touched."""
    width = max((len(row) for row in rows), default=0)
    if c0 + width > MAX_COLS:
        raise ApiError(400, f"Invalid requests: this would exceed the column limit of {MAX_COLS}")
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            tab.put(r0 + i, c0 + j, value)
    tab.grow(r0 + len(rows), c0 + width)
    return len(rows), width, sum(value is not _SKIP for row in rows for value in row)


def update(book: Book, text: str, values: Any, major: str | None, option: str | None) -> dict[str, Any]:
    """values.update: write starting at the range's top-left; a multi-cell range is a limit."""
    entered = input_option(option)
    tab, grid = resolve(book, text)
    rows = prepare(as_rows(values, major), entered)
    height, width = len(rows), max((len(row) for row in rows), default=0)
    if not grid.single:
        if grid.r1 is not None and grid.r0 + height > grid.r1:
            raise ApiError(400, f"Requested writing within range [{text}], but tried writing to row "
                                f"[{grid.r0 + height}]")
        if grid.c1 is not None and grid.c0 + width > grid.c1:
            raise ApiError(400, f"Requested writing within range [{text}], but tried writing to column "
                                f"[{col_letters(grid.c0 + width - 1)}]")
    n_rows, n_cols, n_cells = write(tab, grid.r0, grid.c0, rows)
    book.touch()
    reply: dict[str, Any] = {"spreadsheetId": book.id}
    if n_cells:
        reply.update(updatedRange=a1(tab.title, grid.r0, grid.c0, grid.r0 + n_rows, grid.c0 + n_cols),
                     updatedRows=n_rows, updatedColumns=n_cols, updatedCells=n_cells)
    else:
        r0, c0, r1, c1 = grid.bounded(tab)
        reply["updatedRange"] = a1(tab.title, r0, c0, min(r1, r0 + 1), min(c1, c0 + 1))
    return reply


def append(book: Book, text: str, values: Any, major: str | None, option: str | None,
           insert: str | None) -> dict[str, Any]:
    """values.append: find the table in the range and write on the row just below it.

    Google's table search is a heuristic; the fake's version: the table starts at the first
    value inside the range and runs down while rows have values (a blank row ends it). New
    rows start in the table's leftmost column. An empty range is written from its top-left,
    which is what gspread's insert_row relies on (insert blank rows, then append at "A<row>").
    """
    entered = input_option(option)
    tab, grid = resolve(book, text)
    rows = prepare(as_rows(values, major), entered)
    r0, c0, r1, c1 = grid.bounded(tab)
    found = sorted(key for key in tab.cells if r0 <= key[0] < r1 and c0 <= key[1] < c1)
    reply: dict[str, Any] = {"spreadsheetId": book.id}
    if found:
        top = found[0][0]
        # A one-cell or whole-row range names where the table starts, not how wide it is.
        right_edge = c1 if grid.c1 is not None and not grid.single else tab.cols
        in_columns = [key for key in tab.cells if c0 <= key[1] < right_edge]
        used_rows = {r for r, _ in in_columns}
        last = top
        while last + 1 in used_rows:
            last += 1
        table_cols = [c for r, c in in_columns if top <= r <= last]
        left, right = min(table_cols), max(table_cols) + 1
        reply["tableRange"] = a1(tab.title, top, left, last + 1, right)
        start_row, start_col = last + 1, left
    else:
        start_row, start_col = r0, c0
    if insert == "INSERT_ROWS":
        shift_rows(tab, start_row, len(rows))
    n_rows, n_cols, n_cells = write(tab, start_row, start_col, rows)
    book.touch()
    updates: dict[str, Any] = {"spreadsheetId": book.id}
    if n_rows:
        updates.update(updatedRange=a1(tab.title, start_row, start_col, start_row + n_rows, start_col + max(n_cols, 1)),
                       updatedRows=n_rows, updatedColumns=n_cols, updatedCells=n_cells)
    reply["updates"] = updates
    return reply


def clear(book: Book, text: str) -> str:
    """values.clear: empty the range (values only). Returns the cleared range."""
    tab, grid = resolve(book, text)
    r0, c0, r1, c1 = grid.bounded(tab)
    for key in [k for k in tab.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1]:
        del tab.cells[key]
    book.touch()
    return a1(tab.title, r0, c0, min(r1, tab.rows), min(c1, tab.cols))


def shift_rows(tab: Tab, at: int, count: int) -> None:
    """Insert `count` empty rows before row `at` (negative: delete rows at..at-count-1)."""
    moved: dict[tuple[int, int], Any] = {}
    for (r, c), value in tab.cells.items():
        if r < at:
            moved[(r, c)] = value
        elif count > 0 or r >= at - count:
            moved[(r + count, c)] = value
    tab.cells = moved
    tab.rows = max(1, tab.rows + count)


def shift_cols(tab: Tab, at: int, count: int) -> None:
    moved: dict[tuple[int, int], Any] = {}
    for (r, c), value in tab.cells.items():
        if c < at:
            moved[(r, c)] = value
        elif count > 0 or c >= at - count:
            moved[(r, c + count)] = value
    tab.cells = moved
    tab.cols = max(1, tab.cols + count)


# -- spreadsheets.batchUpdate -------------------------------------------------------------------
def batch_update(book: Book, requests: Any) -> list[dict[str, Any]]:
    """Apply every request to `book` in order; the caller passes a clone and keeps it only if
    nothing raised, which makes the batch all-or-nothing the way Google applies it."""
    if not isinstance(requests, list) or not requests:
        raise ApiError(400, "Must specify at least one request.")
    replies = []
    for i, request in enumerate(requests):
        if not isinstance(request, dict) or len(request) != 1:
            raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request is allowed per entry")
        (kind, body), = request.items()
        where = f"requests[{i}].{kind}"
        handler = _HANDLERS.get(kind)
        if handler is not None:
            replies.append(handler(book, body or {}, where))
        elif kind in COSMETIC_REQUESTS:
            replies.append({})
        else:
            raise ApiError(501, f"Invalid {where}: labkit's fake Google Sheets does not implement "
                                f"'{kind}' (check the spelling; real Sheets may support it)")
    book.touch()
    return replies


def _check_title(book: Book, title: Any, where: str, keep: Tab | None = None) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ApiError(400, f"Invalid {where}: Sheet name cannot be empty.")
    other = book.tab(title)
    if other is not None and other is not keep and other.title.casefold() == title.casefold():
        raise ApiError(400, f'Invalid {where}: A sheet with the name "{title}" already exists. '
                            "Please enter another name.")
    return title


def _place(book: Book, tab: Tab, index: Any) -> None:
    """Put `tab` at position `index` (clamped), or last when index is None."""
    if tab in book.tabs:
        book.tabs.remove(tab)
    position = len(book.tabs) if index is None else max(0, min(int(index), len(book.tabs)))
    book.tabs.insert(position, tab)


def _add_sheet(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    props = body.get("properties") or {}
    title = props.get("title")
    if title is None:  # Google picks the next free "SheetN"
        n = len(book.tabs) + 1
        while book.tab(f"Sheet{n}") is not None:
            n += 1
        title = f"Sheet{n}"
    _check_title(book, title, where)
    sheet_id = props.get("sheetId")
    if sheet_id is not None and any(tab.sheet_id == sheet_id for tab in book.tabs):
        raise ApiError(400, f"Invalid {where}: Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    rows, cols = int(grid.get("rowCount", DEFAULT_ROWS)), int(grid.get("columnCount", DEFAULT_COLS))
    if rows < 1 or cols < 1 or cols > MAX_COLS:
        raise ApiError(400, f"Invalid {where}: grid size {rows}x{cols} is not allowed")
    tab = Tab(book.new_sheet_id() if sheet_id is None else int(sheet_id), title, rows, cols)
    _place(book, tab, props.get("index"))
    return {"addSheet": {"properties": tab.properties(book.tabs.index(tab))}}


def _delete_sheet(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    tab = book.tab_by_id(body.get("sheetId"), where)
    if len(book.tabs) == 1:
        raise ApiError(400, f"Invalid {where}: You can't remove all the sheets in a document.")
    book.tabs.remove(tab)
    return {}


def _update_sheet_properties(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    props = body.get("properties") or {}
    fields = {f.strip() for f in (body.get("fields") or "").split(",") if f.strip()}
    if not fields:
        raise ApiError(400, f"Invalid {where}: You must specify at least one field to update.")
    tab = book.tab_by_id(props.get("sheetId"), where)
    everything = "*" in fields
    grid = props.get("gridProperties") or {}
    if everything or "title" in fields:
        tab.title = _check_title(book, props.get("title"), where, keep=tab)
    if everything or "index" in fields:
        _place(book, tab, props.get("index", 0))
    if "rowCount" in grid and (everything or fields & {"gridProperties", "gridProperties.rowCount"}):
        _resize(tab, int(grid["rowCount"]), rows=True, where=where)
    if "columnCount" in grid and (everything or fields & {"gridProperties", "gridProperties.columnCount"}):
        _resize(tab, int(grid["columnCount"]), rows=False, where=where)
    if everything or fields & {"gridProperties", "gridProperties.frozenRowCount"}:
        tab.frozen_rows = int(grid.get("frozenRowCount", 0))
    if everything or fields & {"gridProperties", "gridProperties.frozenColumnCount"}:
        tab.frozen_cols = int(grid.get("frozenColumnCount", 0))
    return {}


def _resize(tab: Tab, size: int, rows: bool, where: str) -> None:
    """Set the row or column count; shrinking drops the cells past the new edge, as Sheets does."""
    if size < 1 or (not rows and size > MAX_COLS):
        raise ApiError(400, f"Invalid {where}: {'rowCount' if rows else 'columnCount'} {size} is not allowed")
    current = tab.rows if rows else tab.cols
    if size < current:
        (shift_rows if rows else shift_cols)(tab, size, size - current)
    elif rows:
        tab.rows = size
    else:
        tab.cols = size


def _duplicate_sheet(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    source = book.tab_by_id(body.get("sourceSheetId"), where)
    title = body.get("newSheetName") or f"Copy of {source.title}"
    _check_title(book, title, where)
    new_id = body.get("newSheetId")
    if new_id is not None and any(tab.sheet_id == new_id for tab in book.tabs):
        raise ApiError(400, f"Invalid {where}: Sheet with id {new_id} already exists.")
    tab = replace(source, sheet_id=book.new_sheet_id() if new_id is None else int(new_id), title=title,
                  cells=dict(source.cells))
    index = body.get("insertSheetIndex")
    _place(book, tab, book.tabs.index(source) + 1 if index is None else index)
    return {"duplicateSheet": {"properties": tab.properties(book.tabs.index(tab))}}


def _dimension(book: Book, body: dict[str, Any], where: str) -> tuple[Tab, bool, int, int]:
    span = body.get("range") or {}
    tab = book.tab_by_id(span.get("sheetId"), where)
    rows = span.get("dimension") == "ROWS"
    if span.get("dimension") not in ("ROWS", "COLUMNS"):
        raise ApiError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS")
    start, end = int(span.get("startIndex", 0)), int(span.get("endIndex", 0))
    if not 0 <= start < end:
        raise ApiError(400, f"Invalid {where}: startIndex must be less than endIndex")
    return tab, rows, start, end


def _insert_dimension(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    tab, rows, start, end = _dimension(book, body, where)
    if start > (tab.rows if rows else tab.cols):
        raise ApiError(400, f"Invalid {where}: range is beyond the end of the sheet")
    (shift_rows if rows else shift_cols)(tab, start, end - start)
    return {}


def _delete_dimension(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    tab, rows, start, end = _dimension(book, body, where)
    size = tab.rows if rows else tab.cols
    if end > size:
        raise ApiError(400, f"Invalid {where}: range ends past the sheet's {size} "
                            f"{'rows' if rows else 'columns'}")
    if end - start >= size:
        raise ApiError(400, f"Invalid {where}: You can't delete all the {'rows' if rows else 'columns'} "
                            "on the sheet.")
    (shift_rows if rows else shift_cols)(tab, start, start - end)
    return {}


def _append_dimension(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    tab = book.tab_by_id(body.get("sheetId"), where)
    length = int(body.get("length", 0))
    if length < 1:
        raise ApiError(400, f"Invalid {where}: length must be positive")
    if body.get("dimension") == "ROWS":
        tab.rows += length
    elif body.get("dimension") == "COLUMNS":
        tab.cols += length
    else:
        raise ApiError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS")
    return {}


def _update_spreadsheet_properties(book: Book, body: dict[str, Any], where: str) -> dict[str, Any]:
    props = body.get("properties") or {}
    fields = {f.strip() for f in (body.get("fields") or "").split(",") if f.strip()}
    if not fields:
        raise ApiError(400, f"Invalid {where}: You must specify at least one field to update.")
    if "title" in fields or "*" in fields:
        if not props.get("title"):
            raise ApiError(400, f"Invalid {where}: title cannot be empty.")
        book.title = props["title"]
    return {}


_HANDLERS: dict[str, Callable[[Book, dict[str, Any], str], dict[str, Any]]] = {
    "addSheet": _add_sheet,
    "deleteSheet": _delete_sheet,
    "updateSheetProperties": _update_sheet_properties,
    "duplicateSheet": _duplicate_sheet,
    "insertDimension": _insert_dimension,
    "deleteDimension": _delete_dimension,
    "appendDimension": _append_dimension,
    "updateSpreadsheetProperties": _update_spreadsheet_properties,
}


# -- Drive's `q` ---------------------------------------------------------------------------------
_QUOTED = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_CLAUSE = re.compile(
    rf"\s*(?:(?P<field>name|mimeType|fullText)\s*(?P<op>!=|=|contains)\s*(?P<value>{_QUOTED})"
    rf"|trashed\s*(?P<top>!=|=)\s*(?P<trashed>true|false)"
    rf"|(?P<parent1>{_QUOTED})\s+in\s+parents|parents\s+in\s+(?P<parent2>{_QUOTED}))\s*",
    re.IGNORECASE,
)


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def drive_filter(q: str) -> Callable[[Book], bool]:
    """A predicate for the subset of Drive's query language gspread sends (clauses joined by
    `and`): name = / != / contains, mimeType, trashed, and parents. Anything else is Drive's 400."""
    tests: list[Callable[[Book], bool]] = []
    rest = q.strip()
    while rest:
        match = _CLAUSE.match(rest)
        if not match:
            raise _invalid_q()
        rest = rest[match.end():]
        if rest and not re.match(r"and\s", rest, re.IGNORECASE):
            raise _invalid_q()
        rest = rest[3:].lstrip() if rest else rest
        tests.append(_clause_test(match))
    return lambda book: all(test(book) for test in tests)


def _clause_test(match: re.Match[str]) -> Callable[[Book], bool]:
    if match["trashed"] is not None:
        # Nothing here is ever in the trash: "trashed = false" matches every file.
        matches = (match["trashed"].lower() == "false") == (match["top"] == "=")
        return lambda book: matches
    if match["field"] is None:  # a folder: the fake keeps every file in "My Drive"
        folder = _unquote(match["parent1"] or match["parent2"])
        return lambda book: folder == "root"
    value = _unquote(match["value"])
    field_name, op = match["field"].lower(), match["op"].lower()
    get = (lambda book: SHEETS_MIME) if field_name == "mimetype" else (lambda book: book.title)
    if op == "contains":
        return lambda book: value.lower() in get(book).lower()
    if op == "!=":
        return lambda book: get(book) != value
    return lambda book: get(book) == value


def _invalid_q() -> ApiError:
    return ApiError(400, "Invalid Value", errors=[{"domain": "global", "reason": "invalid", "message": "Invalid Value",
                                                  "locationType": "parameter", "location": "q"}])
