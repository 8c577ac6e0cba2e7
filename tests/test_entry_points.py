"""cococonv.entry_points: the same entry points importlib.metadata finds, read directly."""
from __future__ import annotations

import importlib.metadata
import sys

from cococonv import entry_points as E
from cococonv.registry import GROUP


def _triples(eps):
    return sorted((ep.name, ep.value, ep.dist.name) for ep in eps)


def test_the_installed_groups_match_importlib_metadata():
    for group in (GROUP, "console_scripts"):
        assert _triples(E.group_entry_points(group)) == \
            _triples(importlib.metadata.entry_points(group=group))


def test_a_folder_on_the_path_its_first_distribution_wins_and_loads(tmp_path, monkeypatch):
    for folder, value in (("a", "json:dumps"), ("b", "json:loads")):
        info = tmp_path / folder / "my_plugin-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "entry_points.txt").write_text(
            f"# comment\n[other]\nx = y:z\n\n[{GROUP}]\n mine = {value}\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a"), str(tmp_path / "b"),
                                      str(tmp_path / "absent")])
    (found,) = E.group_entry_points(GROUP)
    assert (found.name, found.value, found.dist.name) == ("mine", "json:dumps", "my_plugin")
    import json
    assert found.load() is json.dumps


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert E.group_entry_points(GROUP) is None
