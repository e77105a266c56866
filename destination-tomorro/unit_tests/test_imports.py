"""The package's run-time import graph is a DAG: a module never imports, through any chain, a module that imports it.

A circle would work or break on import order alone (a name asked of a module that is still half-run). The kinds and
the modules they use name each other in annotations only: those imports sit under `if TYPE_CHECKING:` and are left
out here, as are imports inside functions (the package has none; they would hide a circle, not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "destination_tomorro"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _run_time_imports(statements: list[ast.stmt]):
    """The import statements that run when the module is imported: module level, class bodies, every branch of an
    `if`/`try`/`with` except the body of `if TYPE_CHECKING:`; never a function's body."""
    for statement in statements:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        elif isinstance(statement, ast.If) and _is_type_checking(statement.test):
            yield from _run_time_imports(statement.orelse)
        else:
            for block in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(statement, block, None)
                if isinstance(inner, list):
                    yield from _run_time_imports(inner)


def _targets(importer: str, is_package: bool, statement: ast.Import | ast.ImportFrom, modules: set[str]) -> set[str]:
    """The package's modules an import statement runs: the module named, a submodule imported by name, and every
    package above them that the importer is not itself inside (Python runs a package's __init__ before its
    submodules; the importer's own packages are already running)."""
    if isinstance(statement, ast.Import):
        named = {alias.name for alias in statement.names}
    else:
        here = importer.split(".") if is_package else importer.split(".")[:-1]
        base = here[:len(here) - statement.level + 1] if statement.level else []
        module = ".".join([*base, *([statement.module] if statement.module else [])])
        named = {module} | {f"{module}.{alias.name}" for alias in statement.names}
    found = set()
    for name in named & modules:
        parts = name.split(".")
        found |= {".".join(parts[:n]) for n in range(1, len(parts) + 1)
                  if not importer.startswith(".".join(parts[:n]) + ".")}
    return (found & modules) - {importer}


def run_time_import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in package.rglob("*.py")}
    return {name: {target for statement in _run_time_imports(ast.parse(path.read_text()).body)
                   for target in _targets(name, path.name == "__init__.py", statement, set(paths))}
            for name, path in paths.items()}


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each module that lies on one (depth-first search; each circle as its import chain)."""
    circles, done, path = [], set(), []

    def visit(module: str) -> None:
        path.append(module)
        for target in sorted(graph[module]):
            if target in path:
                circles.append(path[path.index(target):] + [target])
            elif target not in done:
                visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    return circles


def test_the_run_time_import_graph_has_no_circle():
    circles = import_circles(run_time_import_graph())
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(circle) for circle in circles)


def test_the_graph_sees_what_python_runs():
    """The reading above finds the imports that run, so the test above can fail: the registry imports its kinds,
    the config reaches the registry, and the annotation-only imports of the kinds are left out."""
    graph = run_time_import_graph()
    assert {"destination_tomorro.objects.contract", "destination_tomorro.objects.kind"} <= graph[
        "destination_tomorro.objects"]
    assert "destination_tomorro.objects" in graph["destination_tomorro.stream_mapping"]
    assert "destination_tomorro.objects" in graph["destination_tomorro.routing"]  # `from .objects.kind import` runs it
    assert "destination_tomorro.config" not in graph["destination_tomorro.objects.kind"]
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
