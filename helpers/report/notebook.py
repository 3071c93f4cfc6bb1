"""What every notebook does first and shows most: the plotting theme, Markdown prose and captioned tables."""
from __future__ import annotations

import itertools
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
