"""Red-team findings on Label Studio input (issue 13), each through the CLI or the module
that had the bug."""
from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from cococonv.registry import default_registry
from cococonv_plugins.label_studio import brush

from ..plugins.label_studio_tasks import result, task, write


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


def blank_brush(height: int, width: int, opaque_pixels: int) -> list[int]:
    """A brush RLE of a mask whose first ``opaque_pixels`` pixels are set, in long runs
    (a few kilobytes however large the image: the stream Label Studio writes)."""
    out = brush._Writer()
    out.write(4 * height * width, 32)
    out.write(8 - 1, 5)
    for bits in brush.WRITE_WIDTHS:
        out.write(bits - 1, 4)
    for value, left in ((255, 4 * opaque_pixels), (0, 4 * (height * width - opaque_pixels))):
        while left:
            run = min(left, 1 << 16)
            out.write(1, 1)
            out.write(3, 2)
            out.write(run - 1, 16)
            out.write(value, 8)
            left -= run
    return list(out.getvalue())


# -- a brush region costs one plane of its image, not four -------------------------------
def test_a_brush_region_of_a_large_image_is_read_into_one_plane(runner, cli,
                                                                tmp_path: Path):
    # Was: 820 MB and 9 s for a 250 kB brush region of a 16384x16384 image (an alpha
    # plane, a bool plane, and two copies made to encode it in column-major order).
    side = 4096
    rle = blank_brush(side, side, opaque_pixels=side * 3 + 5)
    region = result("brushlabels", {"format": "rle", "rle": rle, "brushlabels": ["cat"]},
                    original_width=side, original_height=side)
    path = write(tmp_path / "in", [task(region)])
    tracemalloc.start()
    try:
        done = runner.invoke(cli, ["convert", "-i", str(path), "-f", "coco", "-o",
                                   str(tmp_path / "out"), "-j", "1"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert done.exit_code == 0, done.output
    assert peak < 2 * side * side, peak
    coco = json.loads((tmp_path / "out" / "annotations" / "instances_default.json")
                      .read_text())
    (ann,) = coco["annotations"]
    assert ann["area"] == side * 3 + 5 and ann["bbox"] == [0, 0, side, 4]


def test_brush_decoding_matches_the_pixels_it_was_written_from() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        height, width = (int(v) for v in rng.integers(1, 9, 2))
        mask = rng.random((height, width)) < rng.random()
        assert (brush.decode(brush.encode(mask), height, width) == mask).all()


def test_a_small_mask_of_a_huge_image_is_written_as_brush_without_its_plane(
        runner, cli, tmp_path: Path):
    # Was: 64 s and 820 MB for five 4x4 masks of a 16384x16384 COCO image (each mask
    # decoded to a full plane, copied to row order, and compared pixel by pixel).
    from cococonv.mask_window import place

    side = 8192
    rle = place(np.ones((4, 4), np.uint8), 10, 12, side, side)
    (tmp_path / "in" / "annotations").mkdir(parents=True)
    (tmp_path / "in" / "annotations" / "instances_default.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": side, "height": side}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": k, "image_id": 1, "category_id": 1, "segmentation": rle,
                         "area": 16, "bbox": [12, 10, 4, 4], "iscrowd": 1}
                        for k in range(1, 6)]}))
    tracemalloc.start()
    try:
        done = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-f",
                                   "label_studio", "-o", str(tmp_path / "ls"), "-j", "1"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert done.exit_code == 0, done.output
    assert peak < 16 << 20, peak  # the image's plane is 64 MB
    (written,) = json.loads((tmp_path / "ls" / "default.json").read_text())
    regions = [r for r in written["annotations"][0]["result"] if r["type"] == "brushlabels"]
    assert len(regions) == 5
    mask = brush.decode(regions[0]["value"]["rle"], side, side)
    assert mask.sum() == 16 and mask[10:14, 12:16].all()


# -- values a region cannot have -------------------------------------------------------
@pytest.mark.parametrize("rtype, value, place", [
    ("rectanglelabels", {"x": 10, "y": 10, "width": -20, "height": 5,
                         "rectanglelabels": ["cat"]}, "value.width: must not be negative"),
    ("ellipselabels", {"x": 10, "y": 10, "radiusX": 3, "radiusY": -1,
                       "ellipselabels": ["cat"]}, "value.radiusY: must not be negative"),
])
def test_a_negative_extent_is_one_error_line(runner, cli, tmp_path: Path, rtype, value,
                                             place):
    # Was: written to COCO as bbox [10, 5, -20, 10] with area -200.
    path = write(tmp_path / "in", [task(result(rtype, value))])
    done = runner.invoke(cli, ["convert", "-i", str(path), "-f", "coco", "-o",
                               str(tmp_path / "out")])
    assert done.exit_code == 1 and not (tmp_path / "out").exists()
    assert done.stderr.strip() == f"error: export.json: [0].annotations[0].result[0].{place}" \
        + (", got -20" if "width" in place else ", got -1")


# -- two tasks of one image -----------------------------------------------------------
def test_two_tasks_of_one_image_are_not_written_as_two_coco_images_of_one_file(
        runner, cli, tmp_path: Path):
    # Was: two COCO images with file_name cat.jpg, which our own COCO reader then refused.
    box = result("rectanglelabels", {"x": 10, "y": 10, "width": 20, "height": 5,
                                     "rectanglelabels": ["cat"]})
    path = write(tmp_path / "in", [task(box, id=1), task(box, id=2)])
    done = runner.invoke(cli, ["convert", "-i", str(path), "-f", "coco", "-o",
                               str(tmp_path / "out")])
    assert done.exit_code == 1 and not (tmp_path / "out").exists()
    assert done.stderr.strip() == (
        "error: item 'cat#2' of subset 'default': its image 'cat.jpg' is also the image of "
        "item 'cat'; a COCO file names each image once (merge the two, or --on-error skip "
        "to drop the later)")
    skipped = runner.invoke(cli, ["convert", "-i", str(path), "-f", "coco", "-o",
                                  str(tmp_path / "out"), "--on-error", "skip"])
    assert skipped.exit_code == 0
    assert re.search(r"skipped +bad records +1 ", skipped.stderr), skipped.stderr
    again = runner.invoke(cli, ["info", "-i", str(tmp_path / "out")])
    assert again.exit_code == 0 and "items: 1" in again.output, again.output


# -- our own output reads back ----------------------------------------------------------
def test_a_two_point_line_written_as_an_open_polygon_reads_back(runner, cli,
                                                                tmp_path: Path):
    # Was: labelme (line shape) -> label_studio wrote {"points": [2 points], "closed":
    # false}, which the label_studio reader refused ("a polygon needs 3 points, got 2").
    from ..plugins.labelme_files import doc, shape, write as write_labelme

    line = shape("rope", [[1, 1], [8, 6]], "line")
    write_labelme(tmp_path / "lm", {"a.json": doc([line])})
    for src, fmt in (("lm", "label_studio"), ("ls", "labelme")):
        done = runner.invoke(cli, ["convert", "-i", str(tmp_path / src), "-f", fmt, "-o",
                                   str(tmp_path / {"label_studio": "ls",
                                                   "labelme": "back"}[fmt])])
        assert done.exit_code == 0, done.output
    back = json.loads((tmp_path / "back" / "a.json").read_text())
    assert [(s["shape_type"], s["points"]) for s in back["shapes"]] == \
        [("linestrip", [[1.0, 1.0], [8.0, 6.0]])]
    closed = write(tmp_path / "bad", [task(result("polygonlabels", {
        "points": [[1, 1], [5, 5]], "polygonlabels": ["cat"]}))])
    done = runner.invoke(cli, ["convert", "-i", str(closed), "-f", "coco", "-o",
                               str(tmp_path / "out")])
    assert done.exit_code == 1 and "a polygon needs 3 points, got 2" in done.stderr


# -- a long parentID chain -------------------------------------------------------------
def test_a_long_parent_chain_is_grouped_in_linear_time(tmp_path: Path):
    # Was: each region walked the chain to its root and searched every parent link, so
    # 20000 chained regions (5 MB) ran for minutes.
    import cococonv
    from cococonv import Report
    from tests.scaling import assert_linear

    def prepare(count: int):
        path = write(tmp_path / str(count), [task(*chain(count))])
        return lambda: cococonv.load(str(path), "label_studio", report=Report(quiet=True))

    (item,) = list(prepare(2000)())
    assert {a.group for a in item.annotations} == {1}
    assert_linear(prepare, 200, 2000)  # the 20000-region timing: benchmarks/bench_linear.py


def chain(count: int) -> list[dict]:
    """``count`` box regions, each the parent of the next, the last the first's parent."""
    regions = [result("rectanglelabels", {"x": 1, "y": 1, "width": 2, "height": 2,
                                          "rectanglelabels": ["cat"]}, f"r{k}",
                      **({"parentID": f"r{k - 1}"} if k else {})) for k in range(count)]
    regions[0]["parentID"] = f"r{count - 1}"  # a cycle back to the start: still one group
    return regions
