"""The options exporters share are one declaration (cococonv.export_options): same name,
type, default, choices style and check in every built-in format; only the format's own
words differ in the help."""
from __future__ import annotations

from pathlib import Path

import pytest

from cococonv import export_options as shared
from cococonv.errors import OptionError
from cococonv.images import check_image_ext
from cococonv.registry import default_registry

SHARED = ("save_images", "image_ext", "save_dataset_meta", "allow_attributes", "tasks")
EXPORTERS = default_registry().exporters
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coco_small"


def _declared(name: str) -> dict[str, object]:
    return {fmt: opt for fmt, cls in EXPORTERS.items()
            for opt in cls.options if opt.name == name}


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_option_is_declared_alike_in_every_exporter(name):
    found = _declared(name)
    assert found, name
    kinds = {(opt.type, repr(opt.default), opt.check, opt.short) for opt in found.values()}
    assert len(kinds) == 1, f"{name} is declared differently: {found}"


_MARK = "\x00"
#: Each shared option rebuilt from the words a format filled in (found at the mark).
_REBUILD = {
    "save_images": lambda opt, words: shared.save_images(words),
    "image_ext": lambda opt, words: shared.image_ext(),
    "save_dataset_meta": lambda opt, words: shared.save_dataset_meta(words),
    "allow_attributes": lambda opt, words: shared.allow_attributes(words),
    "tasks": lambda opt, words: shared.tasks(opt.choices, words),
}


def _words(name: str, opt) -> str:
    """The format's own words in ``opt.help``: what stands at the mark in the template."""
    template = _REBUILD[name](opt, _MARK).help
    head, _, tail = template.partition(_MARK)
    assert opt.help.startswith(head) and opt.help.endswith(tail), opt.help
    return opt.help[len(head):len(opt.help) - len(tail)] if _MARK in template else ""


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_exporter_declares_its_shared_options_with_the_factories(fmt):
    """Name, type, default, choices, check and help wording: all the factory's, in every
    registered exporter (the new formats' too), only the format's words differ."""
    for opt in EXPORTERS[fmt].options:
        if opt.name in _REBUILD:
            assert opt == _REBUILD[opt.name](opt, _words(opt.name, opt)), (fmt, opt.name)


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_an_exporter_that_saves_images_can_rename_them(fmt):
    names = {opt.name for opt in EXPORTERS[fmt].options}
    assert "save_images" not in names or "image_ext" in names, fmt


@pytest.mark.parametrize("fmt", ["yolo", "labelme", "label_studio", "png_masks"])
def test_the_image_formats_save_images(fmt):
    names = {opt.name for opt in EXPORTERS[fmt].options}
    assert {"save_images", "image_ext"} <= names, fmt


def test_image_ext_is_checked_the_same_everywhere():
    assert {opt.check for opt in _declared("image_ext").values()} == {check_image_ext}
    assert {opt.help for opt in _declared("image_ext").values()} == {shared.image_ext().help}


def test_the_help_names_each_formats_images_folder():
    helps = {fmt: opt.help for fmt, opt in _declared("save_images").items()}
    assert "JPEGImages/" in helps["voc"] and "images/<subset>/" in helps["coco"]
    assert "images/ (images/<subset>/" in helps["cvat"]


def test_chosen_tasks_refuses_a_task_the_exporter_does_not_write():
    assert shared.chosen_tasks("x", ("a", "b"), None) == (("a", "b"), False)
    assert shared.chosen_tasks("x", ("a", "b"), ["b"]) == (("b",), True)
    assert shared.chosen_tasks("x_a", ("a",), []) == (("a",), True)
    with pytest.raises(OptionError, match=r"exporter x_a cannot write task 'b' \(it writes: a\)"):
        shared.chosen_tasks("x_a", ("a",), ["b"])


def test_cli_refuses_a_task_of_another_task_exporter(tmp_path):
    from click.testing import CliRunner

    from cococonv.cli import cli

    result = CliRunner().invoke(cli, ["convert", "-if", "coco", "-i", str(EXAMPLE),
                                      "-f", "voc_detection", "-o", str(tmp_path / "o"),
                                      "--tasks", "segmentation"])
    assert result.exit_code != 0
    assert "voc_detection cannot write task 'segmentation'" in result.output + result.stderr
    assert not (tmp_path / "o").exists()
