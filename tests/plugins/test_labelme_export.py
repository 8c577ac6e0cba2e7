"""LabelMe exporter: LabelMe -> LabelMe keeps every value; other sources map and report."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import cococonv
from cococonv import Report
from cococonv import masks as M
from cococonv.model import (Bbox, Caption, Categories, Dataset, Ellipse, Image, Item,
                            KeypointSchema, Label, Mask, Points, Polyline)

from ..builders import jpeg
from .labelme_files import doc, png_b64, shape, write


def convert(src, out, **options):
    report = Report(quiet=True)
    cococonv.convert(str(src), str(out), input_format="labelme", output_format="labelme",
                     report=report, output_options=options, jobs=1)
    return report


def save(dataset, out, **options):
    return cococonv.save(dataset, "labelme", str(out), report=Report(quiet=True), **options)


def read(path):
    return json.loads(path.read_text())


def _comparable(record):
    """A LabelMe file without what an export rewrites (imagePath, imageData), points as
    floats (LabelMe itself writes floats)."""
    out = {k: v for k, v in record.items() if k not in ("imagePath", "imageData")}
    out["shapes"] = [{**s, "points": [[float(x), float(y)] for x, y in s["points"]]}
                     for s in record["shapes"]]
    return out


def test_labelme_to_labelme_keeps_every_value(tmp_path):
    patch = np.zeros((3, 4), dtype=np.uint8)
    patch[1:, 1:3] = 1
    shapes = [
        shape("person", group_id=0, flags={"occluded": True}, description="left"),
        shape("person", [[2, 2], [9, 2], [9, 7]], group_id=0),
        shape("box", [[2, 3], [12, 9]], "rectangle", group_id=4, attributes={"score": 0.5}),
        shape("box4", [[2, 3], [12, 3], [12, 9], [2, 9]], "rectangle"),
        shape("turned", [[10, 0], [20, 10], [10, 20], [0, 10]], "oriented_rectangle"),
        shape("round", [[10, 10], [15, 10]], "circle"),
        shape("edge", [[1, 2], [3, 4]], "line"),
        shape("path", [[1, 2], [3, 4], [5, 1]], "linestrip", line_color=[1, 2, 3]),
        shape("dot", [[4, 5]], "point"),
        shape("dots", [[4, 5], [6, 7]], "points"),
        shape("blob", [[5, 6], [8, 8]], "mask", mask=png_b64(patch)),  # box not tight
    ]
    source = doc(shapes, version="6.3.1", flags={"__ignore__": False, "night": True},
                 otherData={"k": 1}, imageHeight=20, imageWidth=30)
    write(tmp_path / "in", {"sub/a.json": source})
    report = convert(tmp_path / "in", tmp_path / "out")
    assert not report.losses and not report.approximations
    back = read(tmp_path / "out" / "a.json")  # the folder every file shares is no part of ids
    expected = _comparable(source)
    got = _comparable(back)
    for one, two in zip(expected["shapes"], got["shapes"]):
        if one["shape_type"] == "oriented_rectangle":  # corners recomputed from the angle
            assert np.allclose(one.pop("points"), two.pop("points"))
        if one["shape_type"] == "mask":  # the same pixels, written again
            assert _mask_pixels(one.pop("mask")) == _mask_pixels(two.pop("mask"))
    assert got == expected
    assert back["imagePath"] == "a.jpg" and back["imageData"] is None


def _mask_pixels(text):
    import io

    from PIL import Image as PILImage
    return np.asarray(PILImage.open(io.BytesIO(base64.b64decode(text)))).astype(bool).tolist()


def test_masks_are_cropped_to_their_box_and_read_back_the_same(tmp_path):
    canvas = np.zeros((20, 30), dtype=np.uint8)
    canvas[4:9, 10:13] = 1
    canvas[6, 20] = 1
    rle = M.encode(canvas)
    cats = Categories()
    cats.add("blob")
    dataset = Dataset(cats, [Item("a", image=Image("a.jpg", size=(20, 30)),
                                  annotations=[Mask(label=0, rle=rle)])])
    save(dataset, tmp_path / "out")
    written = read(tmp_path / "out" / "a.json")["shapes"][0]
    assert written["shape_type"] == "mask"
    assert written["points"] == [[10.0, 4.0], [20.0, 8.0]]
    assert np.array(_mask_pixels(written["mask"])).shape == (5, 11)
    back = next(iter(cococonv.load(str(tmp_path / "out"), "labelme")))
    assert (M.decode(back.annotations[0].rle) == canvas).all()


def _keypoint_dataset():
    cats = Categories()
    person = cats.add("person", parent="human")
    cats.keypoints[person] = KeypointSchema(["nose", "hand", "foot"], [[1, 2]])
    cats.add("car")
    anns = [Points(label=person, points=[1, 2, 3, 4, 0, 0], visibility=[2, 1, 0]),
            Points(label=person, group=7, points=[5, 6, 7, 8, 9, 9], visibility=[2, 2, 2]),
            Ellipse(label=1, cx=10, cy=10, rx=5, ry=3), Ellipse(label=1, cx=5, cy=5, rx=2, ry=2),
            Bbox(label=1, x=2, y=2, w=6, h=4, attributes={"rotation": 30.0}),
            Caption(caption="two people"), Label(label=1), Polyline(label=1, points=[1, 1]),
            Mask(label=1, rle=M.encode(np.zeros((20, 30), dtype=np.uint8)))]
    return Dataset(cats, [Item("a", image=Image("a.jpg", size=(20, 30)), annotations=anns)])


def test_other_sources_map_to_labelme_and_report_the_rest(tmp_path):
    report = save(_keypoint_dataset(), tmp_path / "out")
    written = read(tmp_path / "out" / "a.json")
    kinds = [s["shape_type"] for s in written["shapes"]]
    assert kinds == ["point"] * 5 + ["polygon", "circle", "oriented_rectangle"]
    first = written["shapes"][:2]
    assert [s["label"] for s in first] == ["nose", "hand"]
    assert first[0]["group_id"] == first[1]["group_id"] == 8  # a new group past 7
    assert first[1]["cococonv_keypoint"] == {"of": "person", "index": 1, "visibility": 1}
    assert [s["group_id"] for s in written["shapes"][2:5]] == [7, 7, 7]
    assert written["version"] == "6.2.0"
    assert written["flags"] == {"car": True}
    lost = {what for what, _why in report.losses}
    assert {"captions", "keypoint skeletons", "absent keypoints", "empty masks",
            "polylines with fewer than 2 points", "label supercategories"} <= lost
    assert [what for what, _how in report.approximations] == ["ellipses"]
    back = cococonv.load(str(tmp_path / "out"), "labelme")
    item = next(iter(back))
    sets = [a for a in item.annotations if isinstance(a, Points)]
    assert [(s.points, s.visibility) for s in sets] == [
        ([1, 2, 3, 4], [2, 1]), ([5, 6, 7, 8, 9, 9], [2, 2, 2])]
    person = back.categories.find("person")
    assert back.categories.keypoints[person].names == ["nose", "hand", "foot"]
    assert back.categories.find("nose") is None
    turned = next(a for a in item.annotations if isinstance(a, Bbox))
    assert turned.attributes["rotation"] == pytest.approx(30.0)
    assert [turned.x, turned.y, turned.w, turned.h] == pytest.approx([2, 2, 6, 4])


def test_embed_and_save_images(tmp_path):
    data = jpeg(width=30, height=20)
    write(tmp_path / "in", {"train/x/a.json": doc(imagePath="a.jpg"),
                            "val/b.json": doc(imagePath="../imgs/b.jpg",
                                              imageData=base64.b64encode(data).decode())})
    (tmp_path / "in" / "train" / "x" / "a.jpg").write_bytes(data)
    report = convert(tmp_path / "in", tmp_path / "out", save_images=True, embed_images=True)
    out = tmp_path / "out"
    a, b = read(out / "train" / "x" / "a.json"), read(out / "val" / "b.json")
    assert a["imagePath"] == "a.jpg" and base64.b64decode(a["imageData"]) == data
    assert (out / "train" / "x" / "a.jpg").read_bytes() == data
    # b's image existed only as imageData: written out as the file its imagePath names;
    # it was named outside its subset folder, so it goes by its path in the input
    assert b["imagePath"] == "imgs/b.jpg"
    assert (out / "val" / "imgs" / "b.jpg").read_bytes() == data
    assert base64.b64decode(b["imageData"]) == data
    assert not report.losses


def test_image_data_is_null_without_embed_images(tmp_path):
    data = jpeg(width=30, height=20)
    write(tmp_path / "in", {"a.json": doc(imageData=base64.b64encode(data).decode())})
    report = convert(tmp_path / "in", tmp_path / "out")
    assert report.losses == {("images only embedded in the source", "imageData is null "
                              "without --embed-images (--save-images writes them as "
                              "files)"): 1}
    written = read(tmp_path / "out" / "a.json")
    assert written["imageData"] is None and (written["imageHeight"], written["imageWidth"]) \
        == (20, 30)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json"]


def test_embedding_a_missing_image_is_reported(tmp_path):
    write(tmp_path / "in", {"a.json": doc()})
    report = convert(tmp_path / "in", tmp_path / "out", embed_images=True)
    assert ("embedded images", "not present in the input; imageData left null") in report.losses
