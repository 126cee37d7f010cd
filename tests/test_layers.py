"""The package's layers: lower layers never import higher ones, no module imports itself through others,
and the model and the trusted exact core use the standard library only.

Imports are read from the source (every ``import`` statement, also inside functions), so a lazy import
cannot hide a circle or a layer violation.
"""

from __future__ import annotations

import ast
import pathlib
import sys

import pytest

import automata_rnn

PACKAGE = pathlib.Path(automata_rnn.__file__).parent

# Lowest first.  A module may import its own layer and the layers below it.
LAYERS = (
    ("vocabulary", ("verdicts",)),
    ("numbers", ("arithmetic.exact", "arithmetic.tanh_values")),
    ("model", ("model",)),
    ("exact core", ("exact",)),
    ("arithmetics", ("arithmetic",)),
    ("solvers", ("solver",)),
    ("interop", ("interop",)),
    ("questions and training", ("questions", "learn")),
    ("presentation", ("present",)),
    ("command line", ("cli",)),
    ("facade", ("__init__", "__main__")),
)
STANDARD_LIBRARY_ONLY = ("verdicts", "arithmetic.exact", "arithmetic.tanh_values", "model", "exact")


def module_names() -> list[str]:
    return sorted(".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py"))


def layer_of(module: str) -> int:
    best = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    assert best is not None, f"module {module} is in no layer: add its folder to LAYERS"
    return best[0]


def imports_of(module: str) -> set[str]:
    """Absolute names of every module ``module`` imports (package modules without the package prefix)."""
    path = PACKAGE.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(["automata_rnn", *base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            candidates = [f"{name}.{alias.name}" for alias in node.names]
            own = [c for c in candidates if c.startswith("automata_rnn.")
                   and c[len("automata_rnn."):] in module_names()]
            found.update(own or [name])
    return found


def internal(names: set[str]) -> set[str]:
    return {n[len("automata_rnn."):] for n in names if n.startswith("automata_rnn.")} - {"", "__init__"}


def test_every_module_has_a_layer():
    for module in module_names():
        layer_of(module)


def test_lower_layers_never_import_higher_ones():
    wrong = []
    for module in module_names():
        for target in internal(imports_of(module)):
            if target in module_names() and layer_of(target) > layer_of(module):
                wrong.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} "
                             f"({LAYERS[layer_of(target)][0]})")
    assert wrong == []


def test_no_import_circles():
    graph = {m: {t for t in internal(imports_of(m)) if t in module_names()} for m in module_names()}
    circles = []
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])
    assert circles == []


@pytest.mark.parametrize("prefix", STANDARD_LIBRARY_ONLY)
def test_model_and_exact_core_use_the_standard_library_only(prefix):
    outside = []
    for module in module_names():
        if module == prefix or module.startswith(prefix + "."):
            for name in imports_of(module):
                top = name.split(".")[0]
                if top != "automata_rnn" and top not in sys.stdlib_module_names and top != "__future__":
                    outside.append(f"{module} imports {name}")
                if top == "automata_rnn":
                    target = name[len("automata_rnn."):]
                    if target in module_names() and not any(
                            target == p or target.startswith(p + ".") for p in STANDARD_LIBRARY_ONLY):
                        outside.append(f"{module} imports {target}, which is not standard-library only")
    assert outside == []


def test_the_layer_test_sees_a_violation():
    """The checks above can fail: a made-up import from the model into the command line is caught."""
    assert layer_of("cli.main") > layer_of("model.cells")
    assert "exact.run" in internal(imports_of("exact.checker"))
