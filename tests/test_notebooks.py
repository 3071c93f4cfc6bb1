"""Every notebook runs end to end under the smoke profile (the same path `make report PROFILE=smoke` takes: papermill
injects `profile` and `out_dir`), writing its outputs to a temporary folder; and the parameter files behave."""
from pathlib import Path

import nbformat
import pytest

from helpers.report.build import NotebookFailed, execute, notebooks, to_html
from helpers.report.profiles import PROFILES, group_of, load_params, merge_params, read_yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def smoke_out(tmp_path_factory):
    """One folder for the whole smoke run: results, executed notebooks, then the merged report."""
    return tmp_path_factory.mktemp("smoke")


@pytest.mark.notebook
@pytest.mark.parametrize("nb", notebooks(ROOT), ids=lambda p: p.stem)
def test_notebook_runs_under_smoke_params(nb, smoke_out):
    params = {"profile": "smoke", "out_dir": str(smoke_out)}  # keep the repo clean
    executed = smoke_out / "executed" / "smoke" / nb.name
    execute(nb, executed, params)
    cells = nbformat.read(executed, as_version=4).cells
    errors = [o for c in cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any("image/png" in o.get("data", {}) for c in cells if c.cell_type == "code" for o in c.get("outputs", [])), \
        "no figure in the executed notebook"
    assert to_html(executed, executed.with_suffix(".html")).stat().st_size > 10_000


@pytest.mark.notebook
def test_smoke_report_assembles_from_the_executed_notebooks(smoke_out, caplog):
    """The end of `make report PROFILE=smoke`: every section merged into one HTML and one PDF (WeasyPrint, from
    PyPI: no browser needed) whose contents links all resolve, the same bytes when assembled again."""
    import logging

    from helpers.report.assemble import assemble
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        written = assemble("smoke", root=ROOT, out_dir=str(smoke_out), report_dir=str(smoke_out / "report"))
    assert not [r for r in caplog.records if "anchor" in r.getMessage()], "dead links in the PDF: " + caplog.text
    html = (smoke_out / "report" / "report.html").read_text()
    for nb in notebooks(ROOT):
        title = next(c.source.splitlines()[0] for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "markdown")
        assert title.lstrip("# ").split(" · ")[0] in html, f"{nb.name} missing from the report"
    pdf = written[-1]
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    first = pdf.read_bytes()
    assemble("smoke", root=ROOT, out_dir=str(smoke_out), report_dir=str(smoke_out / "report"))
    assert pdf.read_bytes() == first
    # the HTML was printed, not the cover image: one page per section at least
    import weasyprint
    pages = weasyprint.HTML(filename=str(smoke_out / "report" / "report.html")).render().pages
    assert len(pages) >= len(notebooks(ROOT))


def test_every_notebook_has_params_for_every_profile():
    for nb in notebooks(ROOT):
        for profile in PROFILES:
            assert isinstance(load_params(group_of(nb), profile, root=ROOT), dict)
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
        if isinstance(node, ast.AnnAssign):
            values[node.target.id] = ast.literal_eval(node.value)
    return values


def test_every_notebook_declares_profile_out_dir_and_overrides_and_loads_its_own_group():
    """Opened without papermill (JupyterLab, Colab) a notebook runs the quick profile's values, which live in
    params/defaults/ only; its first code cell loads its own parameter group."""
    for nb in notebooks(ROOT):
        assert _parameters_cell_values(nb) == {"profile": "quick", "out_dir": "", "overrides": {}}, nb.name
        code = "\n".join(c.source for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code")
        assert f'load_params("{group_of(nb)}", profile, overrides, out_dir)' in code, nb.name
        assert "setup(globals())" in code, f"{nb.name}: its first call refuses undeclared papermill parameters"


def test_every_profile_file_is_a_plain_papermill_parameter_file():
    """`papermill -f params/<profile>/<group>.yaml` sets only parameters the notebooks declare."""
    declared = {"profile", "out_dir", "overrides"}
    for path in sorted((ROOT / "params").glob("*/*.yaml")):
        if path.parent.name in PROFILES:
            data = read_yaml(path)
            assert set(data) <= declared and data["profile"] == path.parent.name, path


def test_overrides_merge_key_by_key_null_removes_and_unknown_keys_are_named():
    defaults = {"workers": 2, "base": {"lr": 0.001, "max_steps": 10}, "study": {"problems": {"limit": 16}}}
    merged = merge_params(defaults, {"base": {"max_steps": 20}, "study": {"problems": {"limit": None, "source": "x"}}}, "t")
    assert merged == {"workers": 2, "base": {"lr": 0.001, "max_steps": 20}, "study": {"problems": {"source": "x"}}}
    with pytest.raises(ValueError, match="unknown key.*'worker'.*allowed: base, study, workers"):
        merge_params(defaults, {"worker": 1}, "t")
    with pytest.raises(ValueError, match="profile 'fast' is unknown"):
        load_params("02_warmup", "fast", root=ROOT)
    with pytest.raises(ValueError, match="unknown key"):
        load_params("02_warmup", "quick", {"nope": 1}, root=ROOT)


def test_include_reads_the_shared_file_first(tmp_path):
    (tmp_path / "base.yaml").write_text("a: 1\nb: {x: 1, y: 2}\n")
    (tmp_path / "nb.yaml").write_text("include: base.yaml\nb: {y: 3}\n")
    assert read_yaml(tmp_path / "nb.yaml") == {"a": 1, "b": {"x": 1, "y": 3}}
    (tmp_path / "bad.yaml").write_text("include: missing.yaml\n")
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        read_yaml(tmp_path / "bad.yaml")


def test_the_quick_parameters_find_every_committed_part1_run():
    """The parameters moved (defaults + overrides), the runs did not: every quick-profile run of 1.2-1.4 has a
    finished run folder with the same config hash, so `make report` reuses them instead of retraining."""
    from helpers.part1.plans import part1_configs
    from helpers.gpt.runs import finished_run_dir

    for group, runs in [("02_warmup", 27), ("03_grokking", 3), ("04_ablations", 21)]:
        found = {c.config_hash() for c in part1_configs("quick", groups=(group,)) if finished_run_dir(c) is not None}
        assert len(found) == runs, group
