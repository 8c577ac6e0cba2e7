"""--streaming auto|on|off: which reader runs, what -v says, and where it falls back."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from cococonv import api
from cococonv.model import Dataset

DOC = {"images": [{"id": 1, "file_name": "a.jpg", "width": 8, "height": 6}],
       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2],
                        "area": 4, "iscrowd": 0}],
       "categories": [{"id": 1, "name": "cat"}]}


@pytest.fixture
def coco_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    (folder / "annotations").mkdir(parents=True)
    (folder / "annotations" / "instances_train.json").write_text(json.dumps(DOC))
    return folder


def _convert(runner, cli, src: Path, out: Path, *flags: str):
    return runner.invoke(cli, ["-v", "convert", "-i", str(src), "-f", "coco", "-o", str(out),
                               *flags])


def test_auto_streams_from_the_threshold(runner, cli, coco_dir, tmp_path, monkeypatch):
    from cococonv_plugins.coco import streaming
    result = _convert(runner, cli, coco_dir, tmp_path / "a")
    assert result.exit_code == 0, result.output
    assert "streaming COCO reader" not in result.output
    monkeypatch.setattr(streaming, "STREAM_ABOVE", 10)
    result = _convert(runner, cli, coco_dir, tmp_path / "b")
    assert result.exit_code == 0, result.output
    assert "streaming COCO reader: 1 file(s)" in result.output
    assert "peak memory:" in result.output and "wrote 1 item, 1 annotation" in result.output
    assert (tmp_path / "a" / "annotations" / "instances_train.json").read_bytes() == \
        (tmp_path / "b" / "annotations" / "instances_train.json").read_bytes()


def test_off_never_streams(runner, cli, coco_dir, tmp_path, monkeypatch):
    from cococonv_plugins.coco import streaming
    monkeypatch.setattr(streaming, "STREAM_ABOVE", 10)
    result = _convert(runner, cli, coco_dir, tmp_path / "a", "--streaming", "off")
    assert result.exit_code == 0 and "streaming COCO reader" not in result.output


def test_on_warns_where_it_cannot(runner, cli, coco_dir, tmp_path):
    archive = tmp_path / "in.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(coco_dir / "annotations" / "instances_train.json",
                 "annotations/instances_train.json")
    result = _convert(runner, cli, archive, tmp_path / "a", "--streaming", "on")
    assert result.exit_code == 0, result.output
    assert "warning: --streaming on: read in memory, its annotation files are not plain " \
        "files on disk" in result.output
    result = _convert(runner, cli, coco_dir, tmp_path / "b", "--streaming", "on",
                      "--keep-original-category-ids")
    assert "read in memory, --keep-original-category-ids" in result.output


def test_a_bad_choice_is_a_command_line_error(runner, cli, coco_dir, tmp_path):
    result = _convert(runner, cli, coco_dir, tmp_path / "a", "--streaming", "maybe")
    assert result.exit_code == 2


def test_load_gives_a_dataset_unless_asked(coco_dir):
    assert isinstance(api.load(str(coco_dir), "coco", streaming="on"), Dataset)
    stream = api.load(str(coco_dir), "coco", streaming="on", stream=True)
    assert not isinstance(stream, Dataset)
    assert [i.id for i in stream] == [i.id for i in stream] == ["a"]  # walked again


def test_transforms_and_other_exporters_take_it_in_memory(runner, cli, coco_dir, tmp_path):
    result = runner.invoke(cli, ["-v", "convert", "-i", str(coco_dir), "-f", "cvat", "-o",
                                 str(tmp_path / "v"), "--streaming", "on"])
    assert result.exit_code == 0, result.output
    assert "the stream is read into memory: exporter cvat needs every item" in result.output
    assert (tmp_path / "v" / "annotations.xml").is_file()
    result = runner.invoke(cli, ["-v", "convert", "-i", str(coco_dir), "-f", "voc", "-o",
                                 str(tmp_path / "w"), "--streaming", "on"])
    assert result.exit_code == 0, result.output
    assert "read into memory" not in result.output  # VOC plans over the stream
    assert (tmp_path / "w" / "Annotations" / "a.xml").is_file()


def test_verbose_says_how_the_files_were_indexed(runner, cli, coco_dir, tmp_path):
    result = _convert(runner, cli, coco_dir, tmp_path / "a", "--streaming", "on")
    assert result.exit_code == 0, result.output
    assert "annotations indexed, read in 16 MiB windows (" in result.output
    path = coco_dir / "annotations" / "instances_train.json"
    path.write_text(path.read_text()[:-1] + ', "info": {}, "info": {}}')
    result = _convert(runner, cli, coco_dir, tmp_path / "b", "--streaming", "on")
    assert result.exit_code == 0, result.output
    assert "instances_train.json parsed whole (a key given twice)" in result.output
