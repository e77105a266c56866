"""The package's layout rules, checked on its source: no import cycles (function-level imports
included), write rules independent of the seed generator, the seed's data reached only through the
store, modules under ~300 lines."""

import ast
from pathlib import Path

import tomorro_sandbox

PACKAGE = Path(tomorro_sandbox.__file__).parent
MODULES = {p: ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
           for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set:
    """The package modules a file imports, wherever the import statement stands."""
    here = MODULES[path].split(".") if path.name == "__init__.py" else MODULES[path].split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            for alias in node.names:  # `from . import vocab` names a module, `from .seed import x` a name
                name = ".".join([*base, alias.name])
                found.add(name if name in MODULES.values() else ".".join(base))
    return {m for m in found if m in MODULES.values()} - {MODULES[path]}


def test_no_import_cycles():
    graph = {MODULES[p]: imports_of(p) for p in MODULES}
    state: dict = {}

    def visit(module: str, trail: list) -> None:
        state[module] = "open"
        for dep in sorted(graph[module]):
            assert state.get(dep) != "open", "import cycle: " + " -> ".join([*trail, module, dep])
            if dep not in state:
                visit(dep, [*trail, module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_write_rules_do_not_import_the_seed_generator():
    rules = [p for p in MODULES if p.name.startswith("models_") or p.name in ("bodies.py", "fieldvalues.py")]
    assert len(rules) >= 5
    for path in rules:
        assert not {m for m in imports_of(path) if m == "seed" or m.startswith("seed.")}, path.name


def test_only_the_store_reaches_the_seeds_data():
    for path in MODULES:
        if path.name != "store.py" and path.parent == PACKAGE:
            text = path.read_text()
            assert "._seed" not in text and "store.d." not in text, path.name


def test_modules_stay_under_300_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in MODULES}
    assert max(sizes.values()) <= 300, sizes


def test_contributing_layout_table_names_every_module_and_test_file():
    text = (PACKAGE.parent / "CONTRIBUTING.md").read_text()
    layout = text[text.index("## Layout"):text.index("## ", text.index("## Layout") + 3)]
    seed_row = next(line for line in layout.splitlines() if line.startswith("| `seed/`"))
    for path in MODULES:
        if path.parent == PACKAGE:
            assert f"`{path.name}`" in layout, path.name
        else:
            assert f"`{path.stem}`" in seed_row, path.name
    for test in Path(__file__).parent.glob("test_*.py"):
        assert f"`{test.name}" in layout, test.name
