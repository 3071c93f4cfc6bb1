"""Prose checked against the data: every qualitative statement in the report (X beats Y, a curve rises, within
noise) is written as a person would write it for the results at hand, and declared with the condition over the data
that makes it true.

    claim("Thinking helps on the hardest chains", holds=gain_lo > 0, evidence=f"gain {gain:+.1%}, 95% CI from {gain_lo:+.1%}")

When the condition holds, the sentence prints as written; when it does not (a new run, another profile), it prints
visibly marked as not supported by this run, with the numbers that decide it. Each claim is wrapped in a span the
tests find in the rendered report (`class="claim"`, `data-holds`): the committed quick report must hold no
unsupported claim (tests/test_claims.py), and every claim counts.
"""
from __future__ import annotations

import html
import re

UNSUPPORTED = "Not supported by this run"
_SPAN = re.compile(r'<span class="claim" data-holds="([01])"[^>]*>')


def claim(text: str, holds: bool, evidence: str = "") -> str:
    """`text` as Markdown-with-HTML for a notebook: itself when `holds`, else marked as unsupported with `evidence`
    (the numbers that decide it). `holds` must be a plain truth value computed from the data (numpy bools count)."""
    supported = bool(holds)
    shown = text if supported else (f"**[{UNSUPPORTED}{': ' + evidence if evidence else ''}]** ~~{text.strip()}~~ ")
    return f'<span class="claim" data-holds="{int(supported)}" title="{html.escape(evidence)}">{shown}</span>'


def claims_in(page: str) -> tuple[int, int]:
    """(claims, unsupported claims) in a rendered page (HTML or a notebook's Markdown outputs)."""
    found = _SPAN.findall(page)
    return len(found), found.count("0")
