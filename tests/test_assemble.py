"""The merged report: header, table of contents whose links resolve, parameters cells dropped, HTML written."""
import json
import re

import nbformat
import pytest

from helpers.report.assemble import assemble, headings


def _executed(root, name, cells):
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "notebooks").mkdir(exist_ok=True)
    nbformat.write(nb, root / "notebooks" / name)
    out = root / "outputs" / "executed" / "smoke"
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / name)


def test_report_merges_sections_in_order_with_working_contents(tmp_path):
    params = nbformat.v4.new_code_cell("secret_parameter = 1", metadata={"tags": ["parameters"]})
    _executed(tmp_path, "00_a.ipynb", [nbformat.v4.new_markdown_cell("# 0 · First section\ntext"), params])
    _executed(tmp_path, "01_b.ipynb", [nbformat.v4.new_markdown_cell("# 1.1 · Second (data)\n## A sub part")])
    (tmp_path / "outputs" / "executed" / "smoke" / "timings.json").write_text(
        json.dumps({"00_a": {"seconds": 60.0, "finished": "x"}, "01_b": {"seconds": 30.0, "finished": "y"}}))
    (tmp_path / "outputs" / "executed" / "smoke" / "timings_from_scratch.json").write_text(
        json.dumps({"00_a": {"seconds": 600.0}, "01_b": {"seconds": 300.0}}))
    ipynb, html = assemble("smoke", root=tmp_path, pdf=False)
    merged = nbformat.read(ipynb, as_version=4)
    titles = [t for _, t in headings(merged.cells)]
    assert titles.index("0 · First section") < titles.index("1.1 · Second (data)") < titles.index("A sub part")
    assert "secret_parameter" not in ipynb.read_text()
    header = merged.cells[0].source
    assert "1.5 min" in header and "profile" in header.lower()
    assert "| 00_a | 60 s | 10.0 min |" in header and "From scratch (nothing reused) the sections took 15 min" in header
    page = html.read_text()
    for link in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{link}"' in page, f"contents link #{link} has no target"
    assert 'href="#A-sub-part"' in page


def test_report_names_missing_sections(tmp_path):
    _executed(tmp_path, "00_a.ipynb", [nbformat.v4.new_markdown_cell("# A")])
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "01_b.ipynb")
    with pytest.raises(FileNotFoundError, match="01_b.ipynb"):
        assemble("smoke", root=tmp_path, pdf=False)
