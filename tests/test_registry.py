"""Plugin discovery: installed entry points, broken and duplicate plugins, COCOCONV_PLUGINS."""
from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

import cococonv
from cococonv.errors import CococonvError, UnknownFormatError
from cococonv.plugin import Importer
from cococonv.registry import GROUP, load_registry

from .builders import coco_doc, write_coco

PLUGINS_DIR = Path(__file__).resolve().parents[1] / "plugins"
COCO = EntryPoint("coco", "cococonv_plugins.coco:PLUGINS", GROUP)
GHOST = EntryPoint("ghost", "cococonv_plugins_ghost:PLUGINS", GROUP)
COCO_NAMES = {"coco", "coco_captions", "coco_image_info", "coco_instances", "coco_labels",
              "coco_panoptic", "coco_person_keypoints", "coco_stuff"}


@pytest.fixture(autouse=True)
def _no_plugin_filter(monkeypatch):
    monkeypatch.delenv("COCOCONV_PLUGINS", raising=False)


def test_registry_loads_every_installed_entry_point_without_breakage(capsys):
    registry = load_registry()
    assert registry.broken == []
    assert COCO_NAMES <= set(registry.importers) and COCO_NAMES <= set(registry.exporters)
    assert capsys.readouterr().err == ""


def test_every_plugin_package_is_registered_as_an_entry_point():
    values = {ep.value for ep in entry_points(group=GROUP)}
    packages = sorted(p.parent.name for p in PLUGINS_DIR.glob("*/__init__.py"))
    assert packages, f"no plugin packages under {PLUGINS_DIR}"
    missing = [name for name in packages if f"cococonv_plugins.{name}:PLUGINS" not in values]
    assert missing == [], (f"plugins/{missing[0]}/ is not an entry point of {GROUP}: add it to "
                           f"pyproject.toml and reinstall")


def test_every_package_folder_is_in_pyprojects_packages():
    """`pip install .` installs only the listed packages (editable installs see them all),
    so a folder left out works in the checkout and breaks for users."""
    import tomllib

    root = PLUGINS_DIR.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in
             (root / "cococonv").rglob("__init__.py")}
    found |= {"cococonv_plugins" + "".join(f".{part}" for part in
                                           p.parent.relative_to(PLUGINS_DIR).parts)
              for p in PLUGINS_DIR.rglob("__init__.py")}
    assert sorted(found - listed) == []


def test_builtin_plugins_are_imported_as_cococonv_plugins_not_plugins():
    registry = load_registry([COCO])
    assert registry.importer("coco").__module__ == "cococonv_plugins.coco.importer"
    assert registry.origin[("importer", "coco")] == "coco (unknown distribution)"


def test_registry_reports_a_broken_plugin_and_keeps_the_rest(tmp_path, capsys):
    registry = load_registry([GHOST, COCO])
    (broken,) = registry.broken
    assert broken.entry_point == "ghost:cococonv_plugins_ghost:PLUGINS"
    assert broken.distribution == "unknown distribution"
    assert broken.error == "ModuleNotFoundError: No module named 'cococonv_plugins_ghost'"
    assert capsys.readouterr().err.splitlines() == [
        ("warning: plugin ghost from unknown distribution failed to load: ModuleNotFoundError: "
         "No module named 'cococonv_plugins_ghost'")]
    assert COCO_NAMES == set(registry.importers)
    source = write_coco(tmp_path, {"instances_val": coco_doc()})
    dataset = cococonv.load(str(source), "coco", registry=registry)
    assert len(dataset) == 1


def test_registry_names_a_broken_plugin_when_its_format_is_asked_for():
    broken_coco = EntryPoint("coco", "cococonv_plugins_ghost:PLUGINS", GROUP)
    registry = load_registry([broken_coco], warn=False)
    with pytest.raises(UnknownFormatError) as caught:
        registry.importer("coco_instances")
    assert "plugin coco:cococonv_plugins_ghost:PLUGINS failed to load" in str(caught.value)
    assert caught.value.exit_code == 2


def test_registry_refuses_two_plugins_with_one_name_naming_both():
    twin = EntryPoint("coco_twin", "cococonv_plugins.coco:PLUGINS", GROUP)
    with pytest.raises(CococonvError) as caught:
        load_registry([COCO, twin])
    assert str(caught.value) == ("two importers are named 'coco': coco (unknown distribution) and "
                                 "coco_twin (unknown distribution)")


def test_cococonv_plugins_variable_restricts_loading(monkeypatch, capsys):
    monkeypatch.setenv("COCOCONV_PLUGINS", "coco")
    registry = load_registry([GHOST, COCO])
    assert registry.broken == []  # ghost was never imported
    assert set(registry.importers) == COCO_NAMES
    assert capsys.readouterr().err == ""


def test_cococonv_plugins_variable_with_no_known_name_loads_nothing(monkeypatch):
    monkeypatch.setenv("COCOCONV_PLUGINS", "voc_only_please")
    registry = load_registry([COCO])
    assert registry.importers == {} and registry.exporters == {}
    with pytest.raises(UnknownFormatError, match="unknown importer 'coco'; known: none"):
        registry.importer("coco")


def test_unknown_format_lists_the_known_ones():
    registry = load_registry([COCO])
    with pytest.raises(UnknownFormatError) as caught:
        registry.exporter("yolo")
    assert str(caught.value) == ("unknown exporter 'yolo'; known: " + ", ".join(sorted(COCO_NAMES)))


def test_every_coco_plugin_declares_a_name_a_summary_and_typed_options():
    registry = load_registry([COCO])
    for table in (registry.importers, registry.exporters):
        for name, plugin in table.items():
            assert plugin.name == name
            assert plugin.summary(), name
            for option in plugin.options:
                assert option.type in (bool, int, float, str, list), (name, option.name)
                assert option.coerce(option.default, name) == option.default


def test_format_names_are_matched_in_any_case():
    registry = load_registry([COCO], lazy=True)
    assert registry.importer("COCO_Instances").name == "coco_instances"
    assert registry.resolve("exporter", "Coco") == "coco"
    assert registry.resolve("exporter", "cooc") is None


def test_two_plugins_whose_names_differ_only_in_case_are_one_name():
    class Shout(Importer):
        """A clash."""
        name = "COCO"

    registry = load_registry([COCO])
    with pytest.raises(CococonvError, match="two importers are named 'COCO': coco "):
        registry.add(Shout, "shout (test)")
