"""One-line texts. A task's title and a person's name travel into places that hold one line (an
email's Subject header, a page's title), so line breaks and other control characters are refused
where such a text enters (`line_problem`), and folded to spaces where one is read back from a row
written before that rule (`one_line`)."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls (CR, LF, tab, NUL, NEL...) and the Unicode line and paragraph separators:
# everything str.splitlines() breaks on, and the controls no header may carry.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAKS = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029]+\s*")


def line_problem(text: str) -> str | None:
    """Why `text` cannot be a one-line text, or None."""
    if any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in text):
        return "Must be one line: no line breaks, tabs or other control characters."
    return None


def one_line(text: str) -> str:
    """`text` on one line: each run of line breaks and control characters (with the spaces around
    it) becomes one space, and the ends are trimmed."""
    if _CONTROL.search(text) is None:  # nearly always: a search is far cheaper than the substitution
        return text.strip()
    return _BREAKS.sub(" ", text).strip()
