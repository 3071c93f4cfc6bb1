"""Guard for changes that must not change a result (refactors): re-render every quick-profile notebook from the
stored runs and compare each cell's outputs, byte for byte, with the committed executed notebook, then the
assembled report's HTML with the committed one. Cell sources may differ; nothing a reader sees may.

Opt-in (RERENDER=1 pytest tests/test_same_report.py): it takes minutes, and figures are compared as PNG bytes,
which depend on the plotting stack installed (`make setup`'s pins) as well as on the data.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.report.build import execute, notebooks

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not os.environ.get("RERENDER"), reason="opt-in: RERENDER=1 (minutes)")


def outputs_of(path: Path) -> list:
    """Each code cell's outputs, without execution counts (they follow the cells, not the results)."""
    cells = nbformat.read(path, as_version=4).cells
    out = []
    for cell in cells:
        if cell.cell_type == "code":
            for o in cell.get("outputs", []):
                o.pop("execution_count", None)
            out.append(cell.get("outputs", []))
    return out


@pytest.fixture(scope="module")
def rerendered(tmp_path_factory):
    """A folder for the re-rendered notebooks, and a function that renders one on first use."""
    folder = tmp_path_factory.mktemp("root") / "outputs" / "executed" / "quick"  # laid out as the project is

    def render(nb: Path) -> Path:
        if not (folder / nb.name).is_file():
            execute(nb, folder / nb.name, {"profile": "quick"})
        return folder / nb.name
    return folder, render


@pytest.mark.parametrize("nb", notebooks(ROOT), ids=lambda p: p.stem)
def test_every_cell_shows_what_it_showed(rerendered, nb):
    committed = ROOT / "outputs" / "executed" / "quick" / nb.name
    assert outputs_of(rerendered[1](nb)) == outputs_of(committed)


def test_the_report_html_is_the_same(rerendered):
    """Assembled as `make report` assembles it (its own process: the header states the machine's thread count,
    which the test session pins to 1)."""
    folder, render = rerendered
    for nb in notebooks(ROOT):
        render(nb)
    executed = folder.parent.parent
    (folder / "timings_from_scratch.json").write_bytes(
        (ROOT / "outputs" / "executed" / "quick" / "timings_from_scratch.json").read_bytes())
    shutil.copytree(ROOT / "outputs" / "facts", executed / "facts")  # what the closing sections quote
    report = executed.parent / "report" / "quick"  # so its links to the lab book are the committed report's
    subprocess.run([sys.executable, "-m", "helpers.report.assemble", "--profile", "quick", "--no-pdf",
                    "--out-dir", str(executed), "--report-dir", str(report)], cwd=ROOT, check=True)
    assert (report / "report.html").read_bytes() == (ROOT / "report" / "quick" / "report.html").read_bytes()
