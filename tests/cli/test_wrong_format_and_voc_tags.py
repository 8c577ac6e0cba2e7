"""Session 25's fixes through the CLI on real datasets: a forced importer that finds no such
dataset is one error line, exit 1, nothing written; VOC's image tags are reported lost."""
from __future__ import annotations

import pytest

from ..builders import one_error_line


@pytest.mark.parametrize(("fmt", "needle"), [("yolo", "no YOLO dataset found"),
                                             ("png_masks", "no png_masks dataset found")])
def test_a_coco_fixture_forced_as_another_format_is_refused(runner, cli, fixtures_root,
                                                            tmp_path, fmt, needle):
    src = fixtures_root / "datumaro" / "coco_dataset" / "coco_instances"
    out = tmp_path / "out"
    done = runner.invoke(cli, ["convert", "-if", fmt, "-i", str(src), "-f", "coco",
                               "-o", str(out)])
    one_error_line(done.stderr, done.exit_code, needle)
    assert not out.exists()


def test_voc_fixture_to_coco_reports_the_image_tags_it_drops(runner, cli, fixtures_root,
                                                             tmp_path):
    src = fixtures_root / "datumaro" / "voc_dataset" / "voc_dataset1"
    done = runner.invoke(cli, ["convert", "-if", "voc", "-i", str(src), "-f", "coco",
                               "-o", str(tmp_path / "coco")])
    assert done.exit_code == 0, done.stderr
    assert "image fields of other formats: voc.unknown_tags" in done.stderr
