"""Java ``DateTimeFormatter`` patterns (as Athena table properties use them) for Python.

Partition projection's ``projection.<col>.format`` and the Hive JSON SerDe's
``timestamp.formats`` are Java patterns; the common letters map onto
``strftime``: ``yyyy yy MM dd HH mm ss SSS`` and quoted literals. Other
pattern letters raise ValueError, so a table using them fails loudly.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"yyyy|uuuu|yy|MM|dd|HH|mm|ss|S{1,9}|'[^']*'|[A-Za-z]|.", re.DOTALL)
_LETTERS = {"yyyy": "%Y", "uuuu": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def to_strftime(pattern: str) -> str:
    """A Java date pattern as a ``strftime``/``strptime`` format."""
    out = []
    for token in _TOKEN.findall(pattern):
        if token in _LETTERS:
            out.append(_LETTERS[token])
        elif token.startswith("S"):
            out.append("%f")
        elif token.startswith("'"):
            out.append(token[1:-1].replace("%", "%%") or "'")
        elif token.isalpha():
            raise ValueError(f"unsupported date pattern letter '{token}' in '{pattern}'")
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def precision(pattern: str) -> str:
    """The finest unit a pattern shows: SECONDS, MINUTES, HOURS, DAYS, MONTHS or YEARS."""
    tokens = set(_TOKEN.findall(pattern))
    for letters, unit in (("S", "MILLISECONDS"), ("ss", "SECONDS"), ("mm", "MINUTES"), ("HH", "HOURS"), ("dd", "DAYS"), ("MM", "MONTHS")):
        if any(t.startswith(letters) if letters == "S" else t == letters for t in tokens):
            return unit
    return "YEARS"
