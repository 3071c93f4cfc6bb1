"""Prose shown one paragraph per output: the printed report keeps each notebook output whole on a page (WeasyPrint
does not split an output block), so a long answer shown as one output would leave the rest of a page empty."""
from __future__ import annotations

from ..report.display import show


def show_paragraphs(text: str) -> None:
    """Show Markdown `text` as one output per paragraph (a fenced code block stays with its paragraph)."""
    blocks, fenced = [], False
    for part in text.split("\n\n"):
        if fenced or (blocks and part.startswith("```")):
            blocks[-1] += "\n\n" + part
        else:
            blocks.append(part)
        fenced = blocks[-1].count("```") % 2 == 1
    for block in blocks:
        show(block)
