"""Red-team findings on LabelMe input (issue 13), each through the CLI or the module that
had the bug."""
from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from cococonv import masks
from cococonv.registry import default_registry

from ..plugins.labelme_files import doc, png_b64, shape, write


@pytest.fixture(autouse=True)
def _plugins_loaded():
    default_registry()


# -- a tiny mask in a file declaring a huge image ---------------------------------------
def test_mask_patches_place_and_crop_as_a_full_canvas_would() -> None:
    from cococonv.mask_window import place, window

    rng = np.random.default_rng(7)
    for _ in range(400):
        height, width = (int(v) for v in rng.integers(1, 12, 2))
        patch = (rng.random(tuple(rng.integers(1, 14, 2))) < rng.random()).astype(np.uint8)
        top, left = (int(v) for v in rng.integers(-6, 14, 2))
        canvas = np.zeros((height, width), np.uint8)
        r0, r1 = max(top, 0), min(top + patch.shape[0], height)
        c0, c1 = max(left, 0), min(left + patch.shape[1], width)
        if r0 < r1 and c0 < c1:
            canvas[r0:r1, c0:c1] = patch[r0 - top:r1 - top, c0 - left:c1 - left]
        placed = place(patch, top, left, height, width)
        assert placed["counts"] == masks.encode(canvas)["counts"]
        t, b = sorted(int(v) for v in rng.integers(0, height, 2))
        l, r = sorted(int(v) for v in rng.integers(0, width, 2))
        assert (window(placed, t, l, b, r) == canvas[t:b + 1, l:r + 1]).all()


def test_many_small_masks_in_a_huge_declared_image_cost_no_full_canvas(runner, cli,
                                                                      tmp_path: Path):
    # Was ~1.9 s and 300 MB per 2x2 mask shape (a 16384x16384 canvas painted and encoded
    # each time): 40 shapes of a 5 kB file took over a minute.
    patch = png_b64(np.ones((2, 2), np.uint8))
    shapes = [shape("m", [[k, k], [k + 1, k + 1]], "mask", mask=patch) for k in range(40)]
    write(tmp_path / "in", {"a.json": doc(shapes, imageHeight=16384, imageWidth=16384)})
    # Memory, not wall time, shows the canvas (a 16384x16384 uint8 one is 256 MiB; numpy
    # reports its buffers to tracemalloc); the timing is benchmarks/bench_linear.py's.
    tracemalloc.start()
    try:
        for src, fmt in (("in", "labelme"), ("lm", "coco")):
            out = {"labelme": "lm", "coco": "coco"}[fmt]
            done = runner.invoke(cli, ["convert", "-i", str(tmp_path / src), "-if", "labelme",
                                       "-f", fmt, "-o", str(tmp_path / out), "-j", "1"])
            assert done.exit_code == 0, done.output
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, f"peak {peak >> 20} MiB"
    again = json.loads((tmp_path / "lm" / "a.json").read_text())
    assert [s["points"] for s in again["shapes"]] == [s["points"] for s in shapes]
    coco = json.loads((tmp_path / "coco" / "annotations" / "instances_default.json")
                      .read_text())
    assert [a["bbox"] for a in coco["annotations"]] == [[k, k, 2, 2] for k in range(40)]


# -- one broken file among many ----------------------------------------------------------
def test_a_labelme_file_cut_short_is_one_bad_record_under_on_error_skip(runner, cli,
                                                                        tmp_path: Path):
    # Was: the whole run failed even with --on-error skip (one image's file, written
    # halfway when LabelMe crashed, stopped a folder of thousands).
    write(tmp_path / "in", {"good.json": doc()})
    (tmp_path / "in" / "bad.json").write_text('{"shapes": [{"label": "a", "points": [[1,')
    skipped = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-if", "labelme",
                                  "-f", "coco", "-o", str(tmp_path / "out"),
                                  "--on-error", "skip"])
    assert skipped.exit_code == 0, skipped.output
    assert "bad records        1" in skipped.stderr
    coco = json.loads((tmp_path / "out" / "annotations" / "instances_default.json")
                      .read_text())
    assert len(coco["images"]) == 1 and len(coco["annotations"]) == 1
    failed = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-if", "labelme",
                                 "-f", "coco", "-o", str(tmp_path / "out2")])
    assert failed.exit_code == 1
    assert failed.stderr.strip() == ("error: bad.json: line 1 column 42: not valid JSON "
                                     "(unexpected end of data)")
    assert not (tmp_path / "out2").exists()


def test_a_mask_that_is_no_image_says_so_without_a_python_object(runner, cli,
                                                                 tmp_path: Path):
    import base64

    bad = shape("m", [[0, 0], [1, 1]], "mask", mask=base64.b64encode(b"hello").decode())
    write(tmp_path / "in", {"a.json": doc([bad])})
    done = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-if", "labelme",
                               "-f", "coco", "-o", str(tmp_path / "out")])
    assert done.exit_code == 1
    assert done.stderr.strip() == ("error: a.json: shapes[0].mask: the mask is not an "
                                   "image (no PNG or other known header)")


# -- keypoint indices far past the points drawn ----------------------------------------------
def test_keypoint_indices_cannot_make_a_small_file_hold_millions_of_keypoints(
        runner, cli, tmp_path: Path):
    # Was: 3000 point shapes (392 kB) each claiming index 9999 of its own set: 2 GB of
    # memory, 45 s and a 300 MB COCO file.
    def part(group: int, index: int) -> dict:
        return shape("nose", [[1, 1]], "point", group_id=group,
                     cococonv_keypoint={"of": "person", "index": index})

    write(tmp_path / "bad", {"a.json": doc([part(g, 9999) for g in range(1, 3001)]),
                             "b.json": doc([part(1, 132), part(2, 0)])})
    done = runner.invoke(cli, ["convert", "-i", str(tmp_path / "bad"), "-if", "labelme",
                               "-f", "coco", "-o", str(tmp_path / "out")])
    assert done.exit_code == 1 and not (tmp_path / "out").exists()
    assert done.stderr.strip() == (
        "error: a.json: shapes: 3000 keypoint sets would hold 30000000 keypoints for the "
        "3000 point shapes drawn (their indices run far past the points; docs/limits.md)")
    skipped = runner.invoke(cli, ["convert", "-i", str(tmp_path / "bad"), "-if", "labelme",
                                  "-f", "coco", "-o", str(tmp_path / "out"),
                                  "--on-error", "skip"])
    assert skipped.exit_code == 0, skipped.output
    coco = json.loads((tmp_path / "out" / "annotations" / "person_keypoints_default.json")
                      .read_text())
    # b.json: one visible point of 133 (a whole-body schema) is an ordinary set
    assert sorted(a["num_keypoints"] for a in coco["annotations"]) == [1, 1]
    assert len(coco["categories"][0]["keypoints"]) == 133


def test_a_declared_size_past_the_limit_is_one_line_naming_the_key(runner, cli,
                                                                     tmp_path: Path):
    write(tmp_path / "in", {"a.json": doc(imageHeight=10**12)})
    done = runner.invoke(cli, ["convert", "-i", str(tmp_path / "in"), "-if", "labelme",
                               "-f", "coco", "-o", str(tmp_path / "out")])
    assert done.exit_code == 1 and not (tmp_path / "out").exists()
    assert done.stderr == ("error: a.json: imageHeight: must be a whole number from 1 to "
                           "1048576, got 1000000000000\n")
