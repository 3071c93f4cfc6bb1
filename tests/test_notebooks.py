"""Every notebook runs end to end under the smoke profile, with papermill injecting params/smoke/<nb>.yaml
(the same path `make report PROFILE=smoke` takes), writing its outputs to a temporary folder."""
from pathlib import Path

import nbformat
import pytest

from helpers.build import NotebookFailed, execute, load_params, notebooks, to_html

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.notebook
@pytest.mark.parametrize("nb", notebooks(ROOT), ids=lambda p: p.stem)
def test_notebook_runs_under_smoke_params(nb, tmp_path):
    params = load_params(ROOT, "smoke", nb)
    params["out_dir"] = str(tmp_path / "outputs")  # keep the repo clean
    executed = tmp_path / nb.name
    execute(nb, executed, params)
    cells = nbformat.read(executed, as_version=4).cells
    errors = [o for c in cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any("image/png" in o.get("data", {}) for c in cells if c.cell_type == "code" for o in c.get("outputs", [])), \
        "no figure in the executed notebook"
    assert to_html(executed).stat().st_size > 10_000


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
