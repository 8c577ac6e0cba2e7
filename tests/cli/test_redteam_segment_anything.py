"""Hostile segment_anything (SA-1B) input through the CLI: one line naming the file and
the place with exit 1 and no output, or a counted skip; nothing read outside the input."""
from __future__ import annotations

import json
import tarfile

import pytest

from cococonv.registry import default_registry

from ..plugins.sa_files import annotation, doc, jpeg, sa_set, write


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def _convert(runner, cli, src, out, *args):
    return runner.invoke(cli, ["convert", "-if", "segment_anything", "-i", str(src),
                               "-f", "coco", "-o", str(out), *args])


def _one_error_line(result, *parts):
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("image", "annotations", "where"), [
    ({"width": 99999999999}, None, "image.width: must be a whole number"),
    ({"height": -3}, None, "image.height"),
    ({"file_name": None}, None, "image.file_name: must name the image file"),
    ({"image_id": [1]}, None, "image.image_id"),
    ({}, [annotation(segmentation={"size": [12, 16], "counts": [1, 2, 3]})],
     "annotations[0].segmentation: RLE counts sum to 6, expected height*width = 192"),
    ({}, [annotation(), annotation(segmentation={"size": [5, 5], "counts": [25]})],
     "annotations[1].segmentation: RLE size 5x5 (h x w) does not match the image 12x16"),
    ({}, [annotation(segmentation={"size": [12, 16], "counts": "0" * 40})],
     "annotations[0].segmentation"),
    ({}, [annotation(bbox=[1, 2, 3])], "annotations[0].bbox: expected [x, y, width, height]"),
    ({}, [annotation(bbox=[2147483648, 0, 1, 1])], "annotations[0].bbox: x = 2147483649 is too far outside"),
    ({}, [annotation(point_coords=[[1]])], "annotations[0].point_coords[0]: expected [x, y]"),
    ({}, [annotation(predicted_iou="high")], "annotations[0].predicted_iou: must be a number"),
    ({}, ["not an object"], "annotations[0]: must be an object, got str"),
    ({}, [annotation(segmentation=None)], "annotations[0].segmentation: missing"),
])
def test_a_bad_value_is_one_line_naming_file_and_place(runner, cli, tmp_path, image,
                                                       annotations, where):
    record = doc(annotations=annotations)
    record["image"].update(image)
    write(tmp_path / "in", {"sa_1.json": record})
    result = _convert(runner, cli, tmp_path / "in", tmp_path / "out")
    _one_error_line(result, "sa_1.json", where)
    assert not (tmp_path / "out").exists()


def test_under_skip_a_bad_annotation_or_file_is_dropped_and_counted_once(runner, cli,
                                                                         tmp_path):
    bad_image = doc(image_id=2, name="sa_2.jpg")
    bad_image["image"]["width"] = 0
    write(tmp_path / "in", {"sa_1.json": doc(annotations=[annotation(1), annotation(
        2, segmentation={"size": [12, 16], "counts": [1]})]), "sa_2.json": bad_image,
        "sa_3.json": doc(image_id=3, name="sa_3.jpg")})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("replaced")
    # --overwrite of an existing folder walks the set twice (the named-files check first)
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f", "coco", "-o",
                                 str(tmp_path / "out"), "--on-error", "skip", "--overwrite",
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["skipped"]) == 2, report["skipped"]
    coco = json.loads((tmp_path / "out" / "annotations" / "instances_default.json").read_text())
    assert [i["file_name"] for i in coco["images"]] == ["sa_1.jpg", "sa_3.jpg"]
    assert [a["id"] for a in coco["annotations"]] == [1, 1]


def test_names_leaving_the_json_folder_are_looked_up_by_their_tail_inside_it(
        runner, cli, tmp_path):
    (tmp_path / "secret.jpg").write_bytes(jpeg())
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_bytes(jpeg())
    write(tmp_path / "in" / "set", {"a.json": doc(name="../../secret.jpg"),
                                    "b.json": doc(image_id=2, name=str(tmp_path / "etc" /
                                                                       "passwd"))})
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f",
                                 "segment_anything", "-o", str(tmp_path / "out"),
                                 "--save-images", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"what": "images", "why": "not present in the input", "count": 2} in report["lost"]
    written = sorted(p.relative_to(tmp_path / "out").as_posix()
                     for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["set/a.json", "set/b.json"]  # nothing from outside the input
    names = [json.loads((tmp_path / "out" / rel).read_text())["image"]["file_name"]
             for rel in written]
    assert names == ["secret.jpg", "passwd"]
    (tmp_path / "in" / "set" / "secret.jpg").write_bytes(jpeg())  # the tail, inside
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f",
                                 "segment_anything", "-o", str(tmp_path / "out2"),
                                 "--save-images"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out2" / "set" / "secret.jpg").read_bytes() == jpeg()


def test_files_that_are_no_sa_file_are_left_out_with_a_warning_and_none_is_an_error(
        runner, cli, tmp_path):
    write(tmp_path / "in", {"sa_1.json": doc(), "list.json": "[1, 2]",
                            "config.json": {"lr": 0.1}})
    result = _convert(runner, cli, tmp_path / "in", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "2 .json file(s) are not segment_anything files" in result.stderr
    write(tmp_path / "none", {"list.json": "[1, 2]", "config.json": {"lr": 0.1}})
    result = _convert(runner, cli, tmp_path / "none", tmp_path / "out2")
    _one_error_line(result, "no segment_anything files found")
    assert not (tmp_path / "out2").exists()


def test_a_broken_or_oversized_file_is_one_line(runner, cli, tmp_path, monkeypatch):
    write(tmp_path / "in", {"sa_1.json": json.dumps(doc())[:-20]})
    _one_error_line(_convert(runner, cli, tmp_path / "in", tmp_path / "out"),
                    "sa_1.json", "not valid JSON")
    from cococonv_plugins.segment_anything import reader

    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 200)
    sa_set(tmp_path / "big", count=1)
    _one_error_line(_convert(runner, cli, tmp_path / "big", tmp_path / "out"),
                    "sa_1.json", "the most one image's file may hold")


def test_two_items_writing_one_image_name_are_an_error_naming_both(runner, cli, tmp_path):
    write(tmp_path / "in", {"a/x.json": doc(name="same.jpg"),
                            "a/y.json": doc(image_id=2, name="same.jpg")})
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f",
                                 "segment_anything", "-o", str(tmp_path / "out"),
                                 "--save-images"])
    _one_error_line(result, "a/same.jpg", "item 'a/x'")
    assert not (tmp_path / "out").exists()


def test_an_sa1b_tar_converts_as_it_is(runner, cli, tmp_path):
    sa_set(tmp_path / "sa_000000", count=2)
    with tarfile.open(tmp_path / "sa_000000.tar", "w") as archive:
        archive.add(tmp_path / "sa_000000", arcname="sa_000000")
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "sa_000000.tar"), "-f",
                                 "segment_anything", "-o", str(tmp_path / "out"),
                                 "--save-images"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        ["sa_1.jpg", "sa_1.json", "sa_2.jpg", "sa_2.json"]
