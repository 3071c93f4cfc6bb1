"""Merge the executed notebooks of one profile into a single report: report/<profile>/report.{ipynb,html,pdf}.

    python -m helpers.report.assemble --profile quick

The report opens with a header (profile, hardware, software, which model produced which part, from-scratch
times) and a table of contents; code is hidden, figures are embedded (see build.to_html). The PDF is
WeasyPrint's print of the HTML (PyPI; no browser); where WeasyPrint cannot load, the HTML is still written and
the PDF step says what is missing. A re-render of unchanged results writes the same bytes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import TagRemovePreprocessor

from .build import notebooks, to_html
from .front_matter import labbook_cell, provenance_cell, substitution_cell, title_cell, toc_cell
from .profiles import PROFILES
from ..common.io import rel, repo_root, write_atomic

# cells the short report leaves to the lab book (Jupyter Book's tag names), and the notebook plumbing it never shows
REMOVE_TAGS = {"remove-cell", "parameters", "injected-parameters", "colab-setup"}


def check_complete(nb: nbformat.NotebookNode, path: Path) -> None:
    """Refuse an executed notebook that did not run to the end without an error: an error output, a cell papermill
    marked as failed or never reached, or a code cell with no execution count."""
    for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        status = cell.metadata.get("papermill", {}).get("status", "completed")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors or status != "completed" or cell.get("execution_count") is None:
            raise ValueError(f"{path}: code cell {number + 1} did not run to completion ("
                             + (f"{errors[0].get('ename')}: {errors[0].get('evalue')}" if errors else f"status {status}")
                             + "); run the build again before assembling")
    if nb.metadata.get("papermill", {}).get("exception"):
        raise ValueError(f"{path}: papermill recorded an exception; run the build again before assembling")


def merge_notebooks(profile: str, root: Path, out_dir: str = "outputs", report_dir: Path | None = None
                    ) -> nbformat.NotebookNode:
    """The short report: every executed notebook's cells but those its tags leave to the lab book, between the
    front matter (title, contents) and the closing sections said once (substitution, provenance, lab book)."""
    folder = root / out_dir / "executed" / profile
    executed = [folder / nb.name for nb in notebooks(root)]
    missing = [p.name for p in executed if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"not executed yet for profile {profile!r}: {', '.join(missing)} "
                                f"(run python -m helpers.report.build --profile {profile})")
    scratch_file = folder / "timings_from_scratch.json"
    scratch = json.loads(scratch_file.read_text()) if scratch_file.is_file() else {}
    body = []
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        check_complete(nb, path)
        body += nb.cells
    merged = nbformat.v4.new_notebook(cells=body)
    # what the short report shows is chosen by the cells' tags, with nbconvert's own preprocessor
    merged, _ = TagRemovePreprocessor(remove_cell_tags=REMOVE_TAGS, remove_input_tags={"remove-input"},
                                      remove_all_outputs_tags={"remove-output"}, enabled=True).preprocess(merged, {})
    for cell in merged.cells:
        cell.pop("id", None)
    merged.cells = [title_cell(profile), toc_cell(merged.cells), *merged.cells, substitution_cell(profile, root, out_dir),
                    provenance_cell(profile, executed, scratch, root), labbook_cell(executed, report_dir or root / "report" / profile)]
    merged.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                       "title": f"Train-time vs test-time compute ({profile})"}
    for number, cell in enumerate(merged.cells):
        cell["id"] = f"cell-{number:04d}"  # stable: a re-render writes the same bytes
    return merged


# WeasyPrint's page: the notebook HTML at the page width, prompts hidden, tables at 7.5 pt (headers wrap, numbers do not), figures kept whole,
# and a table kept on the page of the caption printed just before it
PDF_CSS = """
@page { size: A4; margin: 14mm 12mm; }
html, body { width: auto !important; margin: 0 !important; padding: 0 !important; font-size: 10pt; }
.jp-Notebook, .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child,
.jp-OutputArea-output, .jp-RenderedHTMLCommon { width: auto !important; max-width: 100% !important;
  margin: 0 !important; padding-left: 0 !important; padding-right: 0 !important; overflow: visible !important; }
.jp-Collapser, .jp-OutputPrompt, .jp-InputPrompt { display: none !important; }
.jp-RenderedImage img { max-width: 100% !important; height: auto !important; }
.jp-RenderedImage { break-inside: avoid; }
.jp-RenderedHTMLCommon table { font-size: 7.5pt !important; border-collapse: collapse; max-width: 100%; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 1px 3px !important; }
.jp-RenderedHTMLCommon th { white-space: normal !important; overflow-wrap: normal; word-break: normal;
  hyphens: manual; }
.jp-RenderedHTMLCommon td { white-space: nowrap !important; }
.jp-RenderedMarkdown td { white-space: normal !important; }  /* prose tables (timings) wrap their text */
.jp-OutputArea-child:has(table) { break-before: avoid; }
pre { white-space: pre-wrap !important; word-break: break-word; font-size: 8pt; }
h1, h2, h3 { break-after: avoid; }
/* an output block may break across pages (WeasyPrint keeps flex items whole, leaving half-empty pages) */
.jp-OutputArea-child, .jp-OutputArea-output, .jp-RenderedMarkdown { display: block !important; }
"""


PDF_EPOCH = "315532800"  # 1980-01-01, the earliest time a ZIP (and so many build tools) can store


def to_pdf(html: Path, pdf: Path) -> Path | None:
    """The HTML printed to PDF by WeasyPrint (a PyPI package; no browser), or None with the reason printed where
    WeasyPrint cannot load (it needs the Pango library, which `make setup` installs on Debian/Ubuntu as root).
    The same HTML gives the same bytes."""
    try:
        import weasyprint
    except (ImportError, OSError) as err:
        print(f"PDF skipped: WeasyPrint cannot load ({err}); Debian/Ubuntu: apt-get install libpango-1.0-0 "
              "libpangoft2-1.0-0; macOS: brew install pango. The HTML report is complete.", file=sys.stderr)
        return None
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported Jupyter CSS rules: noise, not errors
    # The font subsetter stamps "now" into every font it embeds unless SOURCE_DATE_EPOCH says otherwise
    # (reproducible-builds.org): a fixed stamp makes the PDF a function of the HTML alone, whenever it is printed.
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = before or PDF_EPOCH
    try:
        data = weasyprint.HTML(filename=str(html)).write_pdf(stylesheets=[weasyprint.CSS(string=PDF_CSS)])
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
    return write_atomic(pdf, data)


def save_cover(executed: Path, target: Path) -> Path | None:
    """The first figure of the grokking section as a PNG, for the README."""
    import base64

    if not executed.is_file():
        return None
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                return write_atomic(target, base64.b64decode(output["data"]["image/png"]))
    return None


def assemble(profile: str, root: Path | None = None, pdf: bool = True, out_dir: str = "outputs",
             report_dir: str | None = None) -> list[Path]:
    if profile not in PROFILES:
        raise ValueError(f"profile {profile!r} is unknown; allowed: {', '.join(PROFILES)}")
    root = root or repo_root()
    out = root / (report_dir or f"report/{profile}")
    out.mkdir(parents=True, exist_ok=True)
    nb = merge_notebooks(profile, root, out_dir, out)
    ipynb = out / "report.ipynb"
    write_atomic(ipynb, nbformat.writes(nb))
    html = to_html(nb, out / "report.html")
    written = [ipynb, html]
    cover = save_cover(root / out_dir / "executed" / profile / "03_grokking.ipynb", out / "cover.png")
    if cover:
        written.append(cover)
    if pdf:
        made = to_pdf(html, out / "report.pdf")
        if made:
            written.append(made)
    return written


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m helpers.report.assemble", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="quick", choices=PROFILES)
    ap.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    ap.add_argument("--out-dir", default="outputs", help="where the executed notebooks are (as given to helpers.report.build)")
    ap.add_argument("--report-dir", default=None, help="where to write (default report/<profile>)")
    args = ap.parse_args(argv)
    try:
        for path in assemble(args.profile, pdf=not args.no_pdf, out_dir=args.out_dir, report_dir=args.report_dir):
            print(f"wrote {rel(path)} ({path.stat().st_size / 1e6:.1f} MB)")
    except (OSError, ValueError, RuntimeError) as err:
        sys.exit(f"report failed: {err}")


if __name__ == "__main__":
    main()
