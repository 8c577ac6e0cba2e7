"""Crashes the fuzz harness (tests/fuzz) found, each now one error line or a clean run."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import OBJECT, coco_ann, coco_doc, coco_image, voc_xml, write_voc

HUGE = "1" + "0" * 400  # an int Python parses but float() cannot hold (OverflowError)


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def _convert(runner, cli, src: Path, out: Path, *extra: str):
    return runner.invoke(cli, ["convert", "-if", "voc", "-i", str(src), "-f", "coco",
                               "-o", str(out), *extra])


def test_voc_coordinate_past_float_range_is_one_error_line(tmp_path, runner, cli) -> None:
    src = write_voc(tmp_path / "in", {"a": voc_xml(
        OBJECT.replace("<xmin>11</xmin>", f"<xmin>{HUGE}</xmin>"))})
    result = _convert(runner, cli, src, tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Annotations/a.xml: line 1: <xmin> must be a number")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_voc_size_past_float_range_is_an_unknown_size(tmp_path, runner, cli) -> None:
    size = f"<size><width>-{HUGE}</width><height>50</height><depth>3</depth></size>"
    src = write_voc(tmp_path / "in", {"a": voc_xml(size=size)})
    result = _convert(runner, cli, src, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(next((tmp_path / "out" / "annotations").glob("*.json")).read_text())
    assert "width" not in doc["images"][0] and "height" not in doc["images"][0]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_exporter_option_with_stdin_input_goes_to_the_exporter(tmp_path, runner, cli) -> None:
    # Found by the fuzzer: with the importer unknown, every importer's options are accepted,
    # and voc's --jobs (an importer and an exporter option) reached the stdin COCO importer.
    data = (EXAMPLES / "coco_small" / "annotations" / "instances_val.json").read_bytes()
    result = runner.invoke(cli, ["convert", "-i", "-", "-f", "voc", "-o", str(tmp_path / "out"),
                                 "--jobs", "2"], input=data)
    assert result.exit_code == 0, result.stderr
    assert list((tmp_path / "out" / "Annotations").glob("*.xml"))


def test_cvat_skeleton_declaring_a_node_twice_is_one_error_line(tmp_path, runner, cli,
                                                                fixtures_root) -> None:
    # Found by the fuzzer: node positions were counted by name, so a repeated sublabel
    # name gave a position past the end (IndexError) when a <skeleton> was read.
    src = tmp_path / "in"
    shutil.copytree(fixtures_root / "cvat-ai-datumaro" / "cvat_dataset" / "for_images", src)
    xml = src / "train.xml"
    xml.write_text(xml.read_text().replace("<name>4</name>", "<name>1</name>"))
    result = runner.invoke(cli, ["convert", "-i", str(src), "-f", "coco",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert re.fullmatch(r"error: train\.xml: line \d+: skeleton label 'skeleton' declares "
                        r"the node '1' twice\n", result.stderr), result.stderr
    assert not (tmp_path / "out").exists()


def test_reencoding_an_image_whose_header_claims_65535x65535_is_one_error_line(
        tmp_path, runner, cli) -> None:
    # Found by the fuzzer: --image-ext decoded images through Pillow, whose
    # DecompressionBombError (not an OSError) came out as an internal error.
    src = tmp_path / "in"
    shutil.copytree(EXAMPLES / "voc_small", src)
    jpeg = sorted((src / "JPEGImages").glob("*.jpg"))[0]
    data = bytearray(jpeg.read_bytes())
    sof = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
    data[sof + 5:sof + 9] = b"\xff\xff\xff\xff"  # height, width = 65535
    jpeg.write_bytes(bytes(data))
    result = runner.invoke(cli, ["convert", "-if", "voc", "-i", str(src), "-f", "voc",
                                 "-o", str(tmp_path / "out"), "--save-images",
                                 "--image-ext", ".png"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {jpeg.name}: cannot re-encode image (")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("on_error, exit_code, prefix", [
    ("fail", 1, "error: x.json: annotations[0].iscrowd: "),
    ("warn", 0, "warning: skipped: x.json: annotations[0].iscrowd: "),
])
def test_a_value_of_100000_characters_is_shortened_in_messages(tmp_path, runner, cli, on_error,
                                                               exit_code, prefix) -> None:
    # Found by the fuzzer: errors and warnings quoted the value whole, one line of 100 kB.
    doc = coco_doc(images=[coco_image()], annotations=[coco_ann(iscrowd="A" * 100_000)],
                   categories=[{"id": 1, "name": "cat"}])
    (tmp_path / "x.json").write_text(json.dumps(doc))
    result = runner.invoke(cli, ["convert", "-i", str(tmp_path / "x.json"), "-f", "coco",
                                 "-o", str(tmp_path / "out"), "--on-error", on_error])
    assert result.exit_code == exit_code, result.stderr[:300]
    line = next(line for line in result.stderr.splitlines() if line.startswith(prefix))
    assert len(line) < 1100 and "characters cut]" in line
