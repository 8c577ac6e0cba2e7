"""Docs coverage: every command and every plugin has a page, every option is documented."""
from __future__ import annotations

from pathlib import Path

import pytest

from cococonv.cli import cli
from cococonv.registry import load_registry

DOCS = Path(__file__).resolve().parents[1] / "docs"
COMMAND_PAGES = {"convert": "convert", "create": "project", "import": "project",
                 "export": "project", "formats": "formats", "detect": "detect", "info": "info",
                 "transform": "transform", "merge": "merge", "stats": "stats",
                 "validate": "validate", "diff": "diff", "filter": "filter",
                 "split": "split", "show": "show"}

REGISTRY = load_registry(warn=False)
PLUGINS = [p for kind in ("importer", "exporter", "transform")
           for p in REGISTRY.table(kind).values()]


def _page_for(plugin) -> Path:
    if plugin.kind == "transform":
        return DOCS / "transforms.md"
    whole = DOCS / "formats" / f"{plugin.name}.md"  # label_studio.md; coco_<task> -> coco.md
    return whole if whole.is_file() else DOCS / "formats" / f"{plugin.name.split('_')[0]}.md"


def test_every_command_has_a_page_and_help():
    assert set(cli.commands) == set(COMMAND_PAGES)
    for name, command in cli.commands.items():
        page = DOCS / "commands" / f"{COMMAND_PAGES[name]}.md"
        assert page.is_file(), page
        assert f"cococonv {name}" in page.read_text()
        assert command.help, name


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: f"{p.kind}-{p.name}")
def test_every_plugin_has_help_and_documented_options(plugin):
    assert plugin.summary(), f"{plugin.name} has no docstring"
    page = _page_for(plugin)
    assert page.is_file(), f"no page {page} for {plugin.name}"
    text = page.read_text()
    assert f"`{plugin.name}`" in text
    for option in plugin.options:
        assert f"`{option.flag}" in text or f"{option.short}, {option.flag}" in text, \
            f"{option.flag} of {plugin.name} is not in {page.name}"


def test_readme_states_the_two_commands():
    readme = (DOCS.parent / "README.md").read_text()
    ci = (DOCS.parent / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in readme, "README must give exactly the command .ci/run runs"
    assert "cococonv convert" in readme and "examples/" in readme
