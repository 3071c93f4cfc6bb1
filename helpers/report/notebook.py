"""What every notebook does first and shows most: the plotting theme, Markdown prose and captioned tables."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def setup() -> None:
    """The report's plotting theme (called once per notebook)."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")


def show(text: str) -> None:
    """Markdown prose (f-strings over the results, so a re-run never leaves a stale claim)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_table(table: pd.DataFrame, caption: str, formats: Mapping[str, str] | None = None, index: bool = False,
               na_rep: str = "—") -> None:
    """A caption (Markdown) and the table, with per-column formats and without the index unless asked."""
    from IPython.display import display

    show(caption)
    styled = table.style.format(dict(formats or {}), na_rep=na_rep)
    display(styled if index else styled.hide(axis="index"))
