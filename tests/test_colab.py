import re
from pathlib import Path

import nbformat
import pytest

from helpers.report.colab import BADGES_END, BADGES_START, PLACEHOLDER, TAG, set_readme_badges, set_setup_cell, setup_cell_source

ROOT = Path(__file__).resolve().parents[1]


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import helpers")]
    nbformat.write(nb, path)
    return path


def test_setup_cell_goes_before_the_parameters_and_is_replaced_not_duplicated(tmp_path):
    path = _notebook(tmp_path / "a.ipynb")
    set_setup_cell(path)
    set_setup_cell(path, "ada/ttc-report", "dev")
    cells = nbformat.read(path, as_version=4).cells
    assert [TAG in c.metadata.get("tags", []) for c in cells] == [False, True, False, False]
    assert 'REPO, BRANCH = "ada/ttc-report", "dev"' in cells[1].source
    assert "parameters" in cells[2].metadata["tags"]
    nbformat.validate(nbformat.read(path, as_version=4))


def test_setup_cell_is_a_no_op_outside_colab_and_refuses_the_placeholder_on_colab(monkeypatch):
    source = setup_cell_source()
    namespace = {}
    exec(compile(source, "setup", "exec"), namespace)  # not on Colab: nothing happens
    assert namespace["REPO"] == PLACEHOLDER
    import sys
    import types
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with pytest.raises(RuntimeError, match="REPO is not set"):
        exec(compile(source, "setup", "exec"), {})


def test_readme_badges_are_written_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BADGES_START}\nold\n{BADGES_END}\nrest\n")
    set_readme_badges(readme, "ada/ttc-report", ["02_warmup.ipynb"])
    text = readme.read_text()
    assert "old" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert "colab.research.google.com/github/ada/ttc-report/blob/main/notebooks/02_warmup.ipynb" in text


@pytest.mark.parametrize("repo", ["not a repo", "ada", "https://github.com/ada/x"])
def test_bad_repository_names_are_rejected(repo):
    with pytest.raises(ValueError, match="OWNER/NAME"):
        setup_cell_source(repo)


def test_every_notebook_starts_its_code_with_the_current_setup_cell():
    from pathlib import Path
    notebooks = sorted(Path(__file__).resolve().parents[1].glob("notebooks/[0-9][0-9]_*.ipynb"))
    assert len(notebooks) == 10
    for path in notebooks:
        code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        assert TAG in code[0].metadata.get("tags", []), f"{path.name}: the first code cell is not the Colab setup"
        repo, branch = re.search(r'REPO, BRANCH = "([^"]*)", "([^"]*)"', code[0].source).groups()
        assert code[0].source == setup_cell_source(repo, branch), f"{path.name}: stale setup cell"
        assert "parameters" in code[1].metadata.get("tags", []), path.name


def test_colab_installs_only_what_a_notebook_needs_and_keeps_colabs_own_stack():
    from helpers.report.colab_setup import colab_requirements

    wanted = colab_requirements((ROOT / "requirements.txt").read_text().splitlines())
    names = {line.split("==")[0] for line in wanted}
    assert {"transformers", "math-verify", "antlr4-python3-runtime", "datasets"} <= names
    assert not names & {"torch", "numpy", "pandas", "ipykernel", "ipywidgets", "jupyterlab", "pytest", "nbmake",
                        "papermill", "weasyprint"}


def test_setup_cell_has_the_vllm_form_field():
    assert 'INSTALL_VLLM = "auto"  # @param ["auto", "yes", "no"]' in setup_cell_source()


def test_no_notebook_asks_colab_for_a_gpu_the_default_profile_does_not_need(tmp_path):
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        meta = nbformat.read(path, as_version=4).metadata
        assert "accelerator" not in meta and "gpuType" not in meta.get("colab", {}), path.name
    # set_setup_cell removes an old request when it rewrites a notebook
    copy = tmp_path / "06_scaling.ipynb"
    nb = nbformat.read(ROOT / "notebooks" / "06_scaling.ipynb", as_version=4)
    nb.metadata.update({"accelerator": "GPU", "colab": {"gpuType": "T4"}})
    nbformat.write(nb, copy)
    set_setup_cell(copy, "ada/ttc-report")
    assert "accelerator" not in nbformat.read(copy, as_version=4).metadata
