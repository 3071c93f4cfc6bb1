"""The merged report: header, table of contents whose links resolve, parameters cells dropped, HTML written."""
import json
import re
from urllib.parse import unquote

import nbformat
import pytest

from pathlib import Path

from helpers.report.assemble import assemble
from helpers.report.front_matter import TEAM, headings

ROOT = Path(__file__).resolve().parents[1]


def _executed(root, name, cells):
    for number, cell in enumerate(c for c in cells if c.cell_type == "code"):
        cell.execution_count = number + 1  # as papermill leaves it: every cell ran
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "notebooks").mkdir(exist_ok=True)
    nbformat.write(nb, root / "notebooks" / name)
    out = root / "outputs" / "executed" / "smoke"
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / name)


def test_report_merges_sections_in_order_with_working_contents(tmp_path):
    params = nbformat.v4.new_code_cell("secret_parameter = 1", metadata={"tags": ["parameters"]})
    lab_only = nbformat.v4.new_markdown_cell("a per-run table only the lab book shows", metadata={"tags": ["remove-cell"]})
    _executed(tmp_path, "00_a.ipynb", [nbformat.v4.new_markdown_cell("# 0 · First section\ntext"), params, lab_only])
    _executed(tmp_path, "01_b.ipynb", [nbformat.v4.new_markdown_cell("# 1.1 · Second (data)\n## A sub part")])
    (tmp_path / "outputs" / "executed" / "smoke" / "timings_from_scratch.json").write_text(
        json.dumps({"00_a": {"seconds": 600.0}, "01_b": {"seconds": 300.0}}))
    ipynb, html = assemble("smoke", root=tmp_path, pdf=False)
    merged = nbformat.read(ipynb, as_version=4)
    titles = [t for _, t in headings(merged.cells)]
    assert titles.index("0 · First section") < titles.index("1.1 · Second (data)") < titles.index("A sub part")
    assert "secret_parameter" not in ipynb.read_text() and "only the lab book" not in ipynb.read_text()
    assert TEAM in merged.cells[0].source
    provenance = next(c.source for c in merged.cells if c.source.startswith("## Provenance"))
    assert "commit" not in provenance.lower() and "CPU" in provenance or "GPU" in provenance
    assert "| 00_a | 10.0 min |" in provenance and "From scratch (nothing reused) the sections took 15" in provenance
    assert [c.source.splitlines()[0] for c in merged.cells[-3:]] == ["## What was substituted, and why",
                                                                   "## Provenance", "## The lab book"]
    assert "(../../outputs/executed/smoke/00_a.html)" in merged.cells[-1].source
    assert [c["id"] for c in merged.cells[:3]] == ["cell-0000", "cell-0001", "cell-0002"]
    # a second assembly of the same notebooks writes the same bytes
    first = (ipynb.read_bytes(), html.read_bytes())
    assemble("smoke", root=tmp_path, pdf=False)
    assert (ipynb.read_bytes(), html.read_bytes()) == first
    page = html.read_text()
    for link in re.findall(r'href="#([^"]+)"', page):  # a browser decodes the fragment, then looks for the id
        assert f'id="{unquote(link)}"' in page, f"contents link #{link} has no target"
    assert 'href="#A-sub-part"' in page and 'id="0-·-First-section"' in page


def test_pdf_contents_links_resolve_and_the_pdf_does_not_depend_on_when_it_is_printed(tmp_path, monkeypatch, caplog):
    """WeasyPrint finds the target of every contents link (it names each one it cannot: "No anchor ..."), and two
    prints of the same HTML at different times are the same bytes (the font subsetter would stamp the time)."""
    import logging
    import time

    from helpers.report.assemble import to_pdf

    _executed(tmp_path, "00_a.ipynb", [nbformat.v4.new_markdown_cell("# 0 · First section\ntext\n## Δt and t_val")])
    _, html = assemble("smoke", root=tmp_path, pdf=False)
    clock = iter([1_000_000_000.0, 1_700_000_000.0])
    now = next(clock)
    monkeypatch.setattr(time, "time", lambda: now)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        first = to_pdf(html, tmp_path / "a.pdf").read_bytes()
    assert not [r for r in caplog.records if "anchor" in r.getMessage()], caplog.text
    now = next(clock)
    assert to_pdf(html, tmp_path / "b.pdf").read_bytes() == first


def test_report_names_missing_sections(tmp_path):
    _executed(tmp_path, "00_a.ipynb", [nbformat.v4.new_markdown_cell("# A")])
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "01_b.ipynb")
    with pytest.raises(FileNotFoundError, match="01_b.ipynb"):
        assemble("smoke", root=tmp_path, pdf=False)


def test_executed_notebooks_lose_what_changes_on_every_run(tmp_path):
    from helpers.report.build import normalise_executed

    cell = nbformat.v4.new_code_cell("x = 1", metadata={
        "tags": ["injected-parameters"], "execution": {"iopub.execute_input": "2026-11-24T08:40:44Z"},
        "papermill": {"duration": 0.1, "start_time": "t0", "end_time": "t1", "status": "completed"}})
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"papermill": {"duration": 3.0, "parameters": {"p": 1},
                                                                        "input_path": "/abs/in.ipynb"}})
    path = tmp_path / "06_scaling.ipynb"
    nbformat.write(nb, path)
    normalise_executed(path)
    out = nbformat.read(path, as_version=4)
    assert out.metadata["papermill"] == {"parameters": {"p": 1}}
    assert out.cells[0].metadata["papermill"] == {"status": "completed"} and "execution" not in out.cells[0].metadata
    assert out.cells[0]["id"] == "06_scaling-injected"



def test_provenance_lists_a_timed_build_step_before_the_notebook_it_serves(tmp_path):
    from pathlib import Path
    from helpers.report.front_matter import provenance_cell
    executed = [Path(f"{n}.ipynb") for n in ("00_sanity", "02_warmup", "03_grokking")]
    text = provenance_cell("quick", executed, {"03_grokking": {"seconds": 60}, "part1_training": {"seconds": 600, "how": "one sweep"},
                                                "00_sanity": {"seconds": 6}}, ROOT).source
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "min" in line]
    assert rows == ["00_sanity", "part1_training", "03_grokking"]
    assert "| part1_training | 10.0 min | one sweep |" in text
    assert "- 02_warmup: seeds [0, 1, 2]" in text and "torch 2.13.0" in text
