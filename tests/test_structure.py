"""The shape of the code base, read with ``ast`` (nothing is imported):

- no module of ``cococonv/`` imports a built-in plugin, so the core stays usable alone and
  the built-ins stay proof that the plugin API is enough;
- no plugin package imports another plugin package (shared code moves down into core);
- no import cycle, counting module-level and function-level imports alike (a function that
  imports a module importing its own module back is a cycle too); ``if TYPE_CHECKING:``
  imports are not counted, since they never run;
- no module over ``MAX_LINES`` lines and no class over ``MAX_CLASS_LINES`` (issue 12 split
  the 600-1000-line modules along their seams; this keeps them split); the C and JavaScript
  sources too, but for the two listed in ``LONG_NON_PYTHON``.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> the import name it is installed under.
PACKAGES = {"cococonv": "cococonv", "plugins": "cococonv_plugins"}
PLUGIN_PACKAGE = "cococonv_plugins"
MAX_LINES = 400
MAX_CLASS_LINES = 250

def source_files() -> dict[str, Path]:
    """Every module of the two packages by its dotted import name."""
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Import statements at any depth (functions, methods, try blocks), except those under
    ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            stack.append(child)


def imported_names(module: str, path: Path) -> set[str]:
    """Dotted names a module imports, relative imports resolved; ``from P import N`` gives
    ``P.N`` (``import_graph`` keeps it when it is a module, else falls back to ``P``)."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = module.split(".")
            base = base[:len(base) - node.level + (1 if is_package else 0)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the two packages it imports (names that are not modules,
    like ``cococonv.model.Item``, fall back to the module holding them)."""
    files = source_files()
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        edges = set()
        for name in imported_names(module, path):
            while name and name not in files:
                name = name.rpartition(".")[0]
            if name and name != module:
                edges.add(name)
        graph[module] = edges
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Tarjan's algorithm (iterative): the groups of two or more modules that import each
    other round a loop, plus any module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph[node]:
                        groups.append(frozenset(group))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def _plugin_package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != PLUGIN_PACKAGE or len(parts) < 2:
        return None
    return ".".join(parts[:2])


def test_core_imports_no_built_in_plugin():
    offenders = []
    for module, path in source_files().items():
        if not module.startswith("cococonv."):
            continue
        for name in imported_names(module, path):
            top = name.split(".")[0]
            if top in (PLUGIN_PACKAGE, "plugins"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "core must not import built-in plugins:\n" + "\n".join(offenders)


def test_no_plugin_imports_another_plugin():
    offenders = []
    for module, path in source_files().items():
        own = _plugin_package(module)
        if own is None:
            continue
        for name in imported_names(module, path):
            if name.split(".")[0] == "plugins":
                offenders.append(f"{path.relative_to(ROOT)} imports {name} (use "
                                 f"{PLUGIN_PACKAGE}, and only its own package)")
                continue
            other = _plugin_package(name)
            if other is not None and other != own:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "plugins import only core and their own package:\n" + \
        "\n".join(offenders)


def test_relative_imports_resolve():
    graph = import_graph()
    assert "cococonv.masks" in graph["cococonv.geometry"]  # function-level `from . import`
    assert "cococonv.model" in graph["cococonv.geometry"]  # module-level `from .model`
    assert "cococonv.context" not in graph["cococonv.plugin"]  # TYPE_CHECKING only


def test_tarjan_finds_loops_and_only_loops():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert set(strongly_connected(graph)) == {frozenset("abc"), frozenset("e")}


def test_no_import_cycles():
    found = strongly_connected(import_graph())
    assert not found, "import cycles (move the shared code down a module):\n" + \
        "\n".join(" <-> ".join(sorted(cycle)) for cycle in found)


def test_modules_and_classes_stay_small():
    too_big = []
    for _module, path in source_files().items():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        lines = len(text.splitlines())
        if lines > MAX_LINES:
            too_big.append(f"{rel}: {lines} lines (at most {MAX_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > MAX_CLASS_LINES:
                    too_big.append(f"{rel}: class {node.name}: {length} lines "
                                   f"(at most {MAX_CLASS_LINES})")
    assert not too_big, "\n".join(too_big)


#: C and JavaScript sources over MAX_LINES, each with why it is one file; a new one fails.
#: _fastmasks.c (1,019 lines): the VOC mask painter, RLE coder and ring rasteriser share
#: its decoder structs; split it along those seams when it is next touched. _fastpng.c
#: (423): the PNG reader and writer with their deflate glue.
LONG_NON_PYTHON = {"cococonv/raster/_fastmasks.c", "cococonv/raster/_fastpng.c"}


def test_c_and_javascript_sources_stay_small_too():
    too_big = []
    for path in sorted([*ROOT.joinpath("cococonv").rglob("*.c"),
                        *ROOT.joinpath("cococonv").rglob("*.js")]):
        rel = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES and rel not in LONG_NON_PYTHON:
            too_big.append(f"{rel}: {lines} lines (at most {MAX_LINES})")
    assert not too_big, "\n".join(too_big)
    assert LONG_NON_PYTHON <= {p.relative_to(ROOT).as_posix()
                               for p in ROOT.joinpath("cococonv").rglob("*.c")}
