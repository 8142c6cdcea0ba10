"""The README's figures table, generated between two markers::

    <!-- kpi-table:begin -->
    | KPI | spec | measured | ... |
    <!-- kpi-table:end -->

:func:`replace` puts a table between them; :func:`section` reads what is
there (the staleness test compares it with the table of the committed
results document). ``name`` selects another pair of markers
(``<!-- NAME:begin -->`` / ``<!-- NAME:end -->``), so every generated README
section uses this one mechanism (rtl_verif.readme_tables: ``rtl-blocks``).
"""

from kpi.errors import KpiError

NAME = "kpi-table"


def markers(name: str = NAME) -> tuple[str, str]:
    """The begin and end marker lines of the section ``name``."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


BEGIN, END = markers()


def _span(text: str, name: str = NAME) -> tuple[int, int]:
    begin, end = markers(name)
    if not isinstance(text, str):
        raise KpiError("README text must be a string")
    if text.count(begin) != 1 or text.count(end) != 1:
        raise KpiError(f"the README must hold exactly one {begin} and one {end}")
    a = text.index(begin) + len(begin)
    b = text.index(end)
    if b < a:
        raise KpiError(f"{end} comes before {begin} in the README")
    return a, b


def has_markers(text: str, name: str = NAME) -> bool:
    begin, end = markers(name)
    return isinstance(text, str) and begin in text and end in text


def section(text: str, name: str = NAME) -> str:
    """What stands between the markers, without the surrounding blank lines."""
    a, b = _span(text, name)
    return text[a:b].strip("\n") + "\n"


def replace(text: str, table: str, name: str = NAME) -> str:
    """``text`` with ``table`` between the markers."""
    a, b = _span(text, name)
    begin, end = markers(name)
    if not isinstance(table, str) or begin in table or end in table:
        raise KpiError("the table must be a string without the markers")
    return text[:a] + "\n" + table.strip("\n") + "\n" + text[b:]
