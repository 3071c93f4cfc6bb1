"""What every notebook does first and shows most: the plotting theme, Markdown prose, captioned tables, and the
layout of figures on the printed page."""
from __future__ import annotations

import itertools
import math
import os
import textwrap
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .profiles import check_injected


def setup(namespace: dict[str, Any] | None = None) -> None:
    """A notebook's first call, with its globals(): the report's plotting theme; a papermill parameter the notebook
    does not declare refused (helpers.report.profiles.check_injected); and, when papermill runs it headless,
    progress bars off (ours and the libraries', e.g. vLLM's: they would be stored as widget debris in the executed
    notebook)."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    if namespace is not None and check_injected(namespace):
        os.environ.setdefault("TQDM_DISABLE", "1")


def show(text: str) -> None:
    """Markdown prose (f-strings over the results, so a re-run never leaves a stale claim)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_paragraphs(text: str) -> None:
    """Show Markdown `text` as one output per paragraph (a fenced code block stays with its paragraph): the printed
    report breaks pages between outputs, so a long answer does not leave half a page blank."""
    blocks, fenced = [], False
    for part in text.split("\n\n"):
        if fenced or (blocks and part.startswith("```")):
            blocks[-1] += "\n\n" + part
        else:
            blocks.append(part)
        fenced = blocks[-1].count("```") % 2 == 1
    for block in blocks:
        show(block)


_TABLE_NUMBER = itertools.count(1)  # styled tables in the order a notebook shows them: stable ids


def show_table(table: pd.DataFrame, caption: str = "", formats: Mapping[str, str] | str | None = None,
               index: bool = False, na_rep: str = "—") -> None:
    """A caption (Markdown, if any) and the table. Without formats, pandas' own display (index included);
    with formats (one for all cells, or one per column), a styled table without the index unless asked."""
    from IPython.display import display

    if caption:
        show(caption)
    if formats is None:
        display(table)
        return
    from IPython.display import HTML

    styled = table.style.format(formats if isinstance(formats, str) else dict(formats), na_rep=na_rep)
    styled = styled if index else styled.hide(axis="index")
    # a fixed id and HTML only: a Styler's default id is random and its text form holds a memory address, so
    # every re-render would differ
    display(HTML(styled.set_uuid(f"table{next(_TABLE_NUMBER)}").to_html()))


# ------------------------------------------------------------------------------------------ numbers in prose

def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def span(values: list[float | None], unit: str = "") -> str:
    """'a–b' over the values that exist, 'n/a' if none."""
    vals = [v for v in values if v is not None]
    if not vals:
        return "n/a"
    lo, hi = min(vals), max(vals)
    return f"{lo:,.0f}{unit}" if lo == hi else f"{lo:,.0f}–{hi:,.0f}{unit}"


# ------------------------------------------------------------------------------------------ figures

# The report's page holds 7.3 in of text (A4, 12 mm margins): a figure PRINT_WIDTH_IN wide prints at 0.77 of its
# size, so the theme's 11-pt tick and legend text prints at 8.5 pt. Figures are at most this wide, with at most
# two panels per row (panel_grid).
PRINT_WIDTH_IN = 9.5


def panel_grid(n: int, panel_height: float = 3.4, cols: int = 2, **kwargs):
    """(figure, axes) for n panels in rows of at most `cols`, PRINT_WIDTH_IN wide; axes beyond n (the last row's
    spare cell) are returned too, for a legend, or to be removed with `ax.remove()`."""
    import matplotlib.pyplot as plt

    rows, cols = math.ceil(n / cols), min(n, cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PRINT_WIDTH_IN, panel_height * rows), squeeze=False, **kwargs)
    return fig, list(axes.flat)


def legend_in(spare, source, **kwargs) -> None:
    """Put `source` axes' legend into a spare panel (its frame and ticks hidden)."""
    handles, labels = source.get_legend_handles_labels()
    spare.axis("off")
    spare.legend(handles, labels, loc="center", **kwargs)


def caption(fig, text: str) -> None:
    """A caption under a matplotlib figure saying what produced it (10.5 pt: 8 pt when printed at the page
    width)."""
    # matplotlib's own wrap=True ignores the figure edge under bbox_inches="tight"; wrap by width instead
    width = max(60, int(fig.get_figwidth() * 13))
    fig.text(0.01, -0.02, textwrap.fill(text, width=width), fontsize=10.5, ha="left", va="top")


def legend_above(fig, handles: list, labels: list[str] | None = None, ncol: int = 4, y: float = 1.0, **kwargs) -> None:
    """A figure legend in a row above the panels, outside every axes, so it hides no data."""
    if labels is None:
        fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, y), ncol=ncol, frameon=False, **kwargs)
    else:
        fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, y), ncol=ncol, frameon=False, **kwargs)
