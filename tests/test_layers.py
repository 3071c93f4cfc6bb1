"""The house's shape (see helpers/__init__.py): five layers, imports only downward, none hidden in a function.

    common  ->  gpt, tts, reasoner (engines)  ->  report (tooling)  ->  part1, part2, part3 (sections)  ->  notebooks

Inside a layer: tts never imports reasoner, gpt and tts are independent, reasoner uses only tts.problems of tts;
part1 is independent of part2 and part3, part2 of part3. Imports of the project's own modules sit at the top of a
file, so the graph a reader sees is the real one.
"""
import ast
from collections import defaultdict
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
LAYER = {"common": 0, "gpt": 1, "tts": 1, "reasoner": 1, "report": 2, "part1": 3, "part2": 3, "part3": 3}
# sideways imports allowed inside a layer: (importer, imported) -> the only modules it may use, or None for any
SIDEWAYS = {("reasoner", "tts"): {"helpers.tts.problems"}, ("part3", "part2"): None, ("part3", "part1"): None}


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(HELPERS.parent).with_suffix("").parts).removesuffix(".__init__"): p
            for p in sorted(HELPERS.rglob("*.py"))}


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def project_imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported helpers module, line, whether the import sits inside a function) for every import of the
    project's own code in `path`."""
    tree = ast.parse(path.read_text())
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside |= {id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))}
    found = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + is_package]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name == "helpers" or name.startswith("helpers."):
                found.append((name, node.lineno, id(node) in inside))
    return found


def test_imports_point_down_and_sit_at_the_top():
    problems = []
    for module, path in modules().items():
        mine = package(module)
        for target, line, in_function in project_imports(module, path):
            theirs = package(target)
            where = f"{path.relative_to(HELPERS.parent)}:{line} imports {target}"
            if in_function:
                problems.append(f"{where} inside a function")
            if not mine or not theirs or mine == theirs:
                continue
            if mine not in LAYER or theirs not in LAYER:
                problems.append(f"{where}: package not in the layer map")
            elif LAYER[theirs] > LAYER[mine]:
                problems.append(f"{where}: up from layer {LAYER[mine]} to {LAYER[theirs]}")
            elif LAYER[theirs] == LAYER[mine]:
                allowed = SIDEWAYS.get((mine, theirs), set())
                if allowed is not None and not any(target == a or target.startswith(a + ".") for a in allowed):
                    problems.append(f"{where}: sideways inside layer {LAYER[mine]}")
    assert not problems, "\n".join(problems)


def test_every_package_is_in_the_layer_map_and_says_what_it_holds():
    for folder in sorted(p for p in HELPERS.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert folder.name in LAYER, folder
        init = folder / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text())) if init.is_file() else None
        assert doc and "import" in doc.lower(), f"{init} should open with a paragraph on what lives there and what it imports"


def test_no_two_packages_define_the_same_public_name():
    defined = defaultdict(set)
    for module, path in modules().items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_") \
                    and node.name != "main":  # every command's entry point
                defined[node.name].add(module)
    shared = {name: sorted(mods) for name, mods in defined.items() if len(mods) > 1}
    assert not shared, shared


def test_a_module_stays_readable_in_one_sitting():
    long = {str(p.relative_to(HELPERS)): n for p in HELPERS.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 320}
    assert not long, long


@pytest.mark.parametrize("source, expected", [
    ("from ..tts.study import Study", "helpers.tts.study"),
    ("from . import engines", "helpers.gpt.engines"),
    ("import helpers.report.display", "helpers.report.display"),
])
def test_the_import_reader_resolves_relative_imports(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source + "\n")
    assert [t for t, _, _ in project_imports("helpers.gpt.m", path)] == [expected]
