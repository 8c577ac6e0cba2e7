"""No exporter reads or writes another format's extras (issue 12, item 5).

Two proofs: the source of every built-in plugin package touches, as a constant key of an
``extra`` or ``meta`` dict, only its own namespace and keys no other package touches; and
each exporter writes the same bytes and report when every other format's extras (and meta)
of the dataset are replaced by a dict nobody could read sensibly.
"""
from __future__ import annotations

import ast
import collections
import functools
from pathlib import Path

import pytest

import cococonv
from cococonv.model import Dataset
from cococonv.registry import default_registry

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RECEIVERS = {"extra", "meta"}
POISON = {"unread": "a namespace another exporter must not read"}


def _receiver(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _is_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is str


def _keys(path: Path) -> list[tuple[str, int]]:
    """``(key, line)`` of ``extra["k"]``, ``meta.get("k")``, ``"k" in x.extra``... in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Subscript) and _receiver(node.value) in RECEIVERS \
                and _is_key(node.slice):
            found.append((node.slice.value, node.lineno))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("get", "pop", "setdefault") and node.args and \
                _receiver(node.func.value) in RECEIVERS and _is_key(node.args[0]):
            found.append((node.args[0].value, node.lineno))
        elif isinstance(node, ast.Compare) and _is_key(node.left) and \
                any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and \
                _receiver(node.comparators[0]) in RECEIVERS:
            found.append((node.left.value, node.lineno))
    return found


@functools.cache
def _packages() -> dict[str, dict[str, list[str]]]:
    """Plugin package -> key -> where it is used."""
    used: dict[str, dict[str, list[str]]] = {}
    for package in sorted(p for p in PLUGINS.iterdir() if (p / "__init__.py").exists()):
        keys: dict[str, list[str]] = collections.defaultdict(list)
        for path in sorted(package.glob("*.py")):
            for key, line in _keys(path):
                keys[key].append(f"{package.name}/{path.name}:{line}")
        used[package.name] = dict(keys)
    return used


def _namespace_owners() -> dict[str, set[str]]:
    """Registered namespace -> the plugin packages declaring it."""
    registry = default_registry()
    owners: dict[str, set[str]] = collections.defaultdict(set)
    for plugin in (*registry.importers.values(), *registry.exporters.values()):
        if plugin.namespace:
            owners[plugin.namespace].add(plugin.__module__.split(".")[1])
    return owners


def test_the_scan_finds_the_keys_it_looks_for(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('a = item.extra["voc"]\nb = ds.meta.get("coco")\nc = "cvat" in x.extra\n'
                     'd = extra.setdefault("k", {})\ne = other["voc"]\n')
    assert _keys(probe) == [("voc", 1), ("coco", 2), ("cvat", 3), ("k", 4)]


def test_each_plugin_touches_only_its_own_namespace():
    owners = _namespace_owners()
    assert {"coco", "voc", "cvat"} <= set(owners)
    wrong = [f"{where}: {key!r} is the namespace of {sorted(owners[key])}"
             for package, keys in _packages().items() for key, places in keys.items()
             if key in owners and package not in owners[key] for where in places]
    assert wrong == []


def test_no_extra_or_meta_key_is_touched_by_two_plugins():
    """What two formats share is a typed model field, not a key both read."""
    users: dict[str, list[str]] = collections.defaultdict(list)
    for package, keys in _packages().items():
        for key, places in keys.items():
            users[key].append(f"{package} ({places[0]})")
    assert {key: found for key, found in users.items() if len(found) > 1} == {}


def test_transforms_touch_no_format_extras():
    assert _packages().get("transforms", {}) == {}


# -- behaviour: another format's extras replaced, the same output ----------------------------

def _load(tmp_path_factory, fmt: str) -> Dataset:
    if fmt == "cvat":
        out = tmp_path_factory.mktemp("cvat_source")
        cococonv.convert(str(EXAMPLES / "coco_small"), str(out / "cvat"), input_format="coco",
                         output_format="cvat", jobs=1)
        return cococonv.load(str(out / "cvat"), "cvat", jobs=1)
    return cococonv.load(str(EXAMPLES / f"{fmt}_small"), fmt, jobs=1)


def _poison_foreign(dataset: Dataset, own: str) -> int:
    """Replace every extra and meta entry that is not ``own`` format's; how many. A
    namespace's declared source fields (``Plugin.source_fields``: what the report counts
    as lost by name) stay, their values poisoned: counted the same, never written."""
    count = 0
    declared = getattr(default_registry().namespaces(), "source", {})

    def scrub(extra: dict) -> None:
        nonlocal count
        for key in list(extra):
            if key != own:
                value = extra[key]
                kept = {field: dict(POISON) for field in declared.get(key, ())
                        if isinstance(value, dict) and field in value}
                extra[key] = {**POISON, **kept}
                count += 1

    for label in dataset.categories.labels:
        scrub(label.extra)
    for item in dataset:
        scrub(item.extra)
        for ann in item.annotations:
            scrub(ann.extra)
    scrub(dataset.meta)
    return count


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize(("source", "target"), [
    ("voc", "coco"), ("voc", "cvat"), ("coco", "voc"), ("coco", "cvat"), ("cvat", "coco"),
    ("cvat", "voc")])
def test_an_exporter_writes_the_same_without_the_sources_extras(source, target,
                                                                tmp_path_factory):
    out = tmp_path_factory.mktemp(f"{source}_{target}")
    plain = _load(tmp_path_factory, source)
    first = cococonv.save(plain, target, str(out / "plain"), jobs=1)
    poisoned = _load(tmp_path_factory, source)
    assert _poison_foreign(poisoned, target) > 0
    second = cococonv.save(poisoned, target, str(out / "poisoned"), jobs=1)
    assert _tree(out / "plain") == _tree(out / "poisoned")
    assert first.losses == second.losses and first.approximations == second.approximations
