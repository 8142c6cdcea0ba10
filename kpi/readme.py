"""The README's figures table, generated between two markers::

    <!-- kpi-table:begin -->
    | KPI | spec | measured | ... |
    <!-- kpi-table:end -->

:func:`replace` puts a table between them; :func:`section` reads what is
there (the staleness test compares it with the table of the committed
results document).
"""

from kpi.errors import KpiError

BEGIN = "<!-- kpi-table:begin -->"
END = "<!-- kpi-table:end -->"


def _span(text: str) -> tuple[int, int]:
    if not isinstance(text, str):
        raise KpiError("README text must be a string")
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise KpiError(f"the README must hold exactly one {BEGIN} and one {END}")
    a = text.index(BEGIN) + len(BEGIN)
    b = text.index(END)
    if b < a:
        raise KpiError(f"{END} comes before {BEGIN} in the README")
    return a, b


def has_markers(text: str) -> bool:
    return isinstance(text, str) and BEGIN in text and END in text


def section(text: str) -> str:
    """What stands between the markers, without the surrounding blank lines."""
    a, b = _span(text)
    return text[a:b].strip("\n") + "\n"


def replace(text: str, table: str) -> str:
    """``text`` with ``table`` between the markers."""
    a, b = _span(text)
    if not isinstance(table, str) or BEGIN in table or END in table:
        raise KpiError("the table must be a string without the markers")
    return text[:a] + "\n" + table.strip("\n") + "\n" + text[b:]
