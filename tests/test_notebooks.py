"""Every notebook runs end to end under the smoke profile, with papermill injecting params/smoke/<nb>.yaml
(the same path `make report PROFILE=smoke` takes), writing its outputs to a temporary folder."""
from pathlib import Path

import nbformat
import pytest

from helpers.build import NotebookFailed, execute, load_params, notebooks, to_html

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def smoke_out(tmp_path_factory):
    """One folder for the whole smoke run: results, executed notebooks, then the merged report."""
    return tmp_path_factory.mktemp("smoke")


@pytest.mark.notebook
@pytest.mark.parametrize("nb", notebooks(ROOT), ids=lambda p: p.stem)
def test_notebook_runs_under_smoke_params(nb, smoke_out):
    params = load_params(ROOT, "smoke", nb)
    params["out_dir"] = str(smoke_out)  # keep the repo clean
    executed = smoke_out / "executed" / "smoke" / nb.name
    execute(nb, executed, params)
    cells = nbformat.read(executed, as_version=4).cells
    errors = [o for c in cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any("image/png" in o.get("data", {}) for c in cells if c.cell_type == "code" for o in c.get("outputs", [])), \
        "no figure in the executed notebook"
    assert to_html(executed).stat().st_size > 10_000


@pytest.mark.notebook
def test_smoke_report_assembles_from_the_executed_notebooks(smoke_out):
    """The end of `make report PROFILE=smoke`: every section merged into one HTML (and a PDF where Chromium is)."""
    from helpers.assemble import assemble, chromium
    written = assemble("smoke", root=ROOT, out_dir=str(smoke_out), report_dir=str(smoke_out / "report"),
                       pdf=chromium() is not None)
    html = (smoke_out / "report" / "report.html").read_text()
    for nb in notebooks(ROOT):
        title = next(c.source.splitlines()[0] for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "markdown")
        assert title.lstrip("# ").split(" · ")[0] in html, f"{nb.name} missing from the report"
    if chromium():
        pdf = written[-1]
        assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
        # the HTML was printed, not the cover image: one page per section at least
        assert pdf.read_bytes().count(b"/Type /Page") - pdf.read_bytes().count(b"/Type /Pages") >= len(notebooks(ROOT))


def test_every_notebook_has_params_for_every_profile():
    for nb in notebooks(ROOT):
        for profile in ("smoke", "quick", "full"):
            assert isinstance(load_params(ROOT, profile, nb), dict)
        tags = [c.metadata.get("tags", []) for c in nbformat.read(nb, as_version=4).cells]
        assert ["parameters"] in tags, f"{nb.name} has no cell tagged 'parameters'"


def test_failing_notebook_is_reported_with_cell_and_error(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell("raise ValueError('boom ' + str(x))")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "99_fail.ipynb"
    nbformat.write(nb, src)
    with pytest.raises(NotebookFailed, match=r"99_fail.ipynb failed in code cell 2 \(`raise ValueError.*`\) \(ValueError\): boom 7"):
        execute(src, tmp_path / "out.ipynb", {"x": 7})


def test_environment_yml_mirrors_requirements():
    import yaml
    reqs = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_list = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_list == reqs


def _parameters_cell_values(nb: Path) -> dict:
    import ast
    cell = next(c for c in nbformat.read(nb, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    values = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def test_part2_notebook_defaults_match_the_quick_parameter_file():
    """Opened in JupyterLab or Colab without papermill, a Part 2 notebook runs the quick profile: its
    parameters cell must hold the same values as params/quick/part2.yaml."""
    from helpers.build import read_yaml
    quick = read_yaml(ROOT / "params" / "quick" / "part2.yaml")
    part2_notebooks = [nb for nb in notebooks(ROOT) if read_yaml(ROOT / "params" / "quick" / f"{nb.stem}.yaml").keys()
                       >= {"study", "seq_budgets"}]
    assert len(part2_notebooks) == 4
    for nb in part2_notebooks:
        defaults = _parameters_cell_values(nb)
        different = {k for k, v in quick.items() if defaults.get(k) != v}
        assert not different, f"{nb.name}: parameters cell differs from params/quick/part2.yaml in {sorted(different)}"


def test_every_notebook_defaults_match_the_quick_parameter_file():
    """The quick profile is the embedded default: a notebook opened without papermill (JupyterLab, Colab) must
    run exactly what params/quick/<notebook>.yaml runs, or its stored runs would not be reused."""
    from helpers.build import read_yaml
    for nb in notebooks(ROOT):
        quick = read_yaml(ROOT / "params" / "quick" / f"{nb.stem}.yaml")
        defaults = _parameters_cell_values(nb)
        different = {k for k, v in quick.items() if defaults.get(k) != v}
        assert not different, f"{nb.name}: parameters cell differs from params/quick/{nb.stem}.yaml in {sorted(different)}"


def test_include_reads_the_shared_file_first(tmp_path):
    from helpers.build import read_yaml
    (tmp_path / "base.yaml").write_text("a: 1\nb: 2\n")
    (tmp_path / "nb.yaml").write_text("include: base.yaml\nb: 3\n")
    assert read_yaml(tmp_path / "nb.yaml") == {"a": 1, "b": 3}
    (tmp_path / "bad.yaml").write_text("include: missing.yaml\n")
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        read_yaml(tmp_path / "bad.yaml")
