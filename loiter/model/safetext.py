"""Strings from traces, tasks and requests, made safe to print on a terminal.

A worker name, an error or a request path is data someone else chose: an
``ESC ] 0 ; ... BEL`` in it would retitle the window, an ``ESC [ 2 J`` clear
the screen, a ``[bold]`` restyle a rich table. Every such string goes through
:func:`safe` before it is printed, so control characters show as visible
escapes (``\\x1b``, ``\\x07``, ``\\u202e``) and, for rich, markup stays text.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI), and the bidirectional
# overrides that reorder what the eye reads ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: object, *, markup: bool = False) -> str:
    """``str(value)`` with every control character escaped visibly.

    ``markup=True`` for text that rich parses as console markup (table cells,
    ``console.print`` of a string): brackets that would open a tag are escaped too.
    """
    text = value if isinstance(value, str) else str(value)
    if _CONTROL.search(text):
        text = _CONTROL.sub(_escape, text)
    if markup and "[" in text:
        from rich.markup import escape

        text = escape(text)
    return text
