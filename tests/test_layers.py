"""The package's layers (docs/ARCHITECTURE.md): foundation -> module formats -> stages ->
entry points. No module imports one of a higher layer, and no import loop exists, counting
imports inside functions too (they are loops all the same, only deferred)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "modsent"

FOUNDATION, MODULES, STAGES, ENTRY = range(4)
LAYER_NAMES = ("foundation", "module formats", "stages", "entry points")
FOUNDATION_MODULES = {
    "languages", "utils", "progress", "checkpoint", "losses", "metrics", "training", "variants", "store", "config",
    "tsv", "wordpiece", "evaldata", "resources", "schemas",
}
ENTRY_MODULES = {"cli", "__init__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    if parts == ["modsent"]:
        return ENTRY
    top = parts[1]
    if top == "modules":
        return MODULES
    if top in FOUNDATION_MODULES:
        return FOUNDATION
    return ENTRY if top in ENTRY_MODULES else STAGES


def imports(path: Path) -> set[str]:
    """The modsent modules `path` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("modsent"):
            # `from modsent import metrics` imports the submodule modsent.metrics
            folder = PACKAGE.parent / node.module.replace(".", "/")
            submodules = {f"{node.module}.{a.name}" for a in node.names if (folder / f"{a.name}.py").is_file()}
            found |= submodules if len(submodules) == len(node.names) else submodules | {node.module}
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("modsent"))
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for target in imports(path):
            # importing modsent.evaldata.base also runs modsent.evaldata: both count
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def test_no_module_imports_a_higher_layer():
    upward = [f"{m} ({LAYER_NAMES[layer(m)]}) imports {t} ({LAYER_NAMES[layer(t)]})"
              for m, targets in graph().items() for t in sorted(targets)
              if layer(t) > layer(m) and not t.startswith(m + ".")]  # a package's own submodules
    assert not upward, "\n".join(upward)


def test_no_import_loops():
    edges = graph()
    loops, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            # a package importing its own submodules is not a loop (its __init__ runs first)
            if target.startswith(node + ".") or node.startswith(target + "."):
                continue
            if state.get(target) == "open":
                loops.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not loops, "\n".join(loops)


def test_the_check_sees_an_upward_import(tmp_path):
    """The walker finds imports inside functions (where the old loops hid)."""
    source = tmp_path / "x.py"
    source.write_text("def f():\n    from modsent.align import train_cla\n", encoding="utf-8")
    assert imports(source) == {"modsent.align"}
    assert layer("modsent.align") == STAGES > layer("modsent.modules.composition") == MODULES
