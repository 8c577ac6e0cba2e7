"""`cococonv show` without a browser: the embedded data, paths, safety and the CLI's errors."""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from cococonv.gallery import write_gallery
from cococonv.gallery.page import script_safe_json
from cococonv.model import (Annotation, Bbox, Categories, Dataset, Image, Item, Mask,
                            Polygon)
from tests.builders import coco_ann, coco_doc, coco_image, one_error_line, write_coco

HOSTILE = "</script><script>alert(1)</script>\u2028<!--"


def embedded(html: Path) -> dict:
    text = html.read_text("utf-8")
    found = re.search(r'<script type="application/json" id="gallery-data">(.*?)</script>',
                      text, re.S)
    return json.loads(found.group(1))


def _dataset(*items: Item, labels=("cat",)) -> Dataset:
    cats = Categories()
    for name in labels:
        cats.add(name)
    return Dataset(cats, items)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_names_from_the_dataset_cannot_leave_the_embedded_json(tmp_path):
    item = Item(HOSTILE, image=Image(HOSTILE + ".jpg", (10, 10)),
                annotations=[Bbox(id=HOSTILE, label=0, w=2, h=2,
                                  attributes={HOSTILE: HOSTILE})])
    out = tmp_path / "g.html"
    write_gallery([_dataset(item, labels=(HOSTILE,))], str(out))
    text = out.read_text("utf-8")
    assert text.count("</script>") == 2  # the data's and the code's own
    assert "\u2028" not in text and "<!--" not in text.split("gallery-data")[1]
    data = embedded(out)
    assert data["labels"] == [HOSTILE]
    assert data["items"][0]["a"][0][0]["at"] == {HOSTILE: HOSTILE}
    assert b"\\u003c/script" in script_safe_json({"x": "</script>"})
    # Offline by construction: no address but SVG's namespace, and a CSP that loads nothing.
    assert set(re.findall(r"https?://[^\s\"']+", text)) == {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in text


def test_images_are_linked_by_an_encoded_relative_path_and_never_touched(tmp_path, runner,
                                                                        cli):
    source = tmp_path / "data"
    (source / "images" / "sub dir").mkdir(parents=True)
    (source / "images" / "sub dir" / "a #1?.jpg").write_bytes(b"not decoded")
    write_coco(source, {"instances_default": coco_doc(
        images=[coco_image(file_name="sub dir/a #1?.jpg")])})
    before = _tree_digest(source)
    result = runner.invoke(cli, ["show", "-i", str(source), "-o", str(tmp_path / "o" / "g.html")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "wrote a gallery of 1 item, 1 annotation (" in result.stderr
    item = embedded(tmp_path / "o" / "g.html")["items"][0]
    assert item["src"] == "../data/images/sub%20dir/a%20%231%3F.jpg"
    assert (item["w"], item["h"]) == (10, 8)
    assert _tree_digest(source) == before


@pytest.mark.parametrize("args, code, needle", [
    pytest.param(["-o", "{src}/g.html"], 2, "overlaps the input", id="inside-input"),
    pytest.param(["-o", "{tmp}/exists.html"], 1, "--overwrite", id="exists"),
    pytest.param(["-o", "{tmp}/g.html", "--conversion-report", "{tmp}/exists.html"], 1,
                 "not valid JSON", id="bad-report"),
    pytest.param(["-o", "{tmp}/g.html", "-i", "{src}", "-i", "{src}"], 2, "two to compare",
                 id="three-inputs"),
])
def test_show_refuses_in_one_line_and_writes_nothing(tmp_path, runner, cli, args, code,
                                                    needle):
    source = write_coco(tmp_path / "src", {"instances_default": coco_doc()})
    (tmp_path / "exists.html").write_text("<p>mine</p>")
    argv = [a.format(src=source, tmp=tmp_path) for a in ["-i", "{src}", *args]]
    result = runner.invoke(cli, ["show", *argv])
    lines = result.stderr.splitlines()
    assert result.exit_code == code and len(lines) == 1 and needle in lines[0], result.stderr
    if code == 1:
        one_error_line(result.stderr, 1)
    assert (tmp_path / "exists.html").read_text() == "<p>mine</p>"
    assert not (tmp_path / "g.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.html", "src"]


def test_zip_images_need_embedding_and_embedded_thumbnails_are_small_jpegs(tmp_path, runner,
                                                                          cli):
    from PIL import Image as PILImage
    folder = write_coco(tmp_path / "src", {"instances_default": coco_doc(
        images=[coco_image(width=1000, height=800)])})
    (folder / "images").mkdir()
    PILImage.new("RGB", (1000, 800), (10, 200, 30)).save(folder / "images" / "a.jpg")
    archive = tmp_path / "ds.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*"):
            zf.write(path, path.relative_to(folder))
    plain = runner.invoke(cli, ["show", "-i", str(archive), "-o", str(tmp_path / "a.html")])
    assert plain.exit_code == 0, plain.stderr
    assert "without a picture: 1 item (image inside an archive (use --embed-images))" \
        in plain.stderr
    assert "src" not in embedded(tmp_path / "a.html")["items"][0]
    inlined = runner.invoke(cli, ["show", "-i", str(archive), "-o", str(tmp_path / "b.html"),
                                  "--embed-images"])
    assert inlined.exit_code == 0, inlined.stderr
    src = embedded(tmp_path / "b.html")["items"][0]["src"]
    assert src.startswith("data:image/jpeg;base64,")
    import base64
    import io
    with PILImage.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as thumb:
        assert thumb.size == (384, 307)


def test_two_inputs_match_by_subset_and_file_name_with_labels_unified_by_name(tmp_path):
    a = _dataset(Item("1", image=Image("x.jpg"), annotations=[Bbox(label=1, w=3, h=3)]),
                 Item("2", image=Image("y.jpg"), annotations=[Bbox(label=0, w=3, h=3)]),
                 labels=("cat", "dog"))
    b = _dataset(Item("x", image=Image("x.jpg"), annotations=[Bbox(label=0, w=3, h=3)]),
                 Item("y", image=Image("y.jpg"), annotations=[Bbox(label=1, w=3.5, h=3)]),
                 Item("z", image=Image("z.jpg")), labels=("dog", "cat"))
    write_gallery([a, b], str(tmp_path / "g.html"), names=["src", "dst"])
    data = embedded(tmp_path / "g.html")
    assert data["inputs"] == ["src", "dst"] and data["labels"] == ["cat", "dog"]
    x, y, z = data["items"]
    assert [rec["l"] for side in x["a"] for rec in side] == [1, 1] and "d" not in x
    assert y["d"] == 1 and z["a"][0] is None and z["d"] == 1
    b.get("default", "x").image.size = (20, 30)
    a.get("default", "1").image.size = (20, 31)
    write_gallery([a, b], str(tmp_path / "sizes.html"))
    assert embedded(tmp_path / "sizes.html")["items"][0]["d"] == 1


@dataclass(slots=True, kw_only=True)
class _Cuboid(Annotation):
    kind: ClassVar[str] = "cuboid"


def test_what_the_page_cannot_draw_is_counted(tmp_path):
    item = Item("a", image=Image("a.jpg", (4, 4)),
                annotations=[_Cuboid(), Polygon(label=0, points=[0, 0, 2, 0, 2, 2]),
                             Mask(label=0, rle={"size": [4, 4], "counts": [3, 13]})])
    result = write_gallery([_dataset(item)], str(tmp_path / "g.html"))
    assert result.not_drawn == {"cuboid": 1}
    assert result.no_picture == {"no image file": 1}
    assert "  not drawn: 1 cuboid annotations (a kind the gallery does not know)" \
        in result.lines()
    assert [rec["k"] for rec in embedded(tmp_path / "g.html")["items"][0]["a"][0]] == \
        ["polygon", "mask"]


def test_show_on_a_project_with_its_conversion_report(tmp_path, runner, cli):
    source = write_coco(tmp_path / "src", {"instances_default": coco_doc(
        annotations=[coco_ann(), coco_ann(id=2)])})
    assert runner.invoke(cli, ["create", "-o", str(tmp_path / "proj")]).exit_code == 0
    assert runner.invoke(cli, ["import", "-p", str(tmp_path / "proj"), str(source)]
                         ).exit_code == 0
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"lost": [{"what": "ellipses", "why": "x", "count": 3}],
                                  "approximated": [], "skipped": [], "warnings": []}))
    result = runner.invoke(cli, ["show", "-p", str(tmp_path / "proj"), "-o",
                                 str(tmp_path / "g.html"), "--conversion-report", str(report)])
    assert result.exit_code == 0, result.stderr
    data = embedded(tmp_path / "g.html")
    assert data["report"]["lost"][0]["count"] == 3
    assert [rec["i"] for rec in data["items"][0]["a"][0]] == [1, 2]
    for out in (["-o", str(source / "g.html")], ["--png", str(source / "pngs")]):
        inside = runner.invoke(cli, ["show", "-p", str(tmp_path / "proj"), *out])
        assert inside.exit_code == 2 and "overlaps the input" in inside.stderr, inside.stderr
    assert sorted(p.name for p in source.iterdir()) == ["annotations"]


def test_rotation_crowd_and_ids_reach_the_page_exactly(tmp_path):
    item = Item("a", image=Image("a.jpg", (40, 50)),
                annotations=[Bbox(id="x7", label=0, x=1.25, y=2, w=3, h=4,
                                  attributes={"rotation": 30.5, "is_crowd": True,
                                              "occluded": False})])
    write_gallery([_dataset(item)], str(tmp_path / "g.html"))
    rec = embedded(tmp_path / "g.html")["items"][0]["a"][0][0]
    assert rec == {"k": "bbox", "l": 0, "i": "x7", "c": 1, "g": [1.25, 2, 3, 4], "r": 30.5,
                   "at": {"rotation": 30.5, "occluded": False}}


def test_the_page_can_go_to_stdout_with_paths_from_the_working_folder(tmp_path, runner, cli,
                                                                       monkeypatch):
    source = write_coco(tmp_path / "src", {"instances_default": coco_doc()})
    (source / "images").mkdir()
    (source / "images" / "a.jpg").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["show", "-q", "-i", "src", "-o", "-"])
    assert result.exit_code == 0 and result.stderr == ""
    page = tmp_path / "out.html"
    page.write_bytes(result.stdout_bytes)
    assert embedded(page)["items"][0]["src"] == "src/images/a.jpg"
    loud = runner.invoke(cli, ["show", "-i", "src", "-o", "-"])
    assert loud.stderr.startswith("wrote a gallery of 1 item, 1 annotation (") and \
        loud.stderr.endswith(" MB) to the standard output\n"), loud.stderr


def test_a_mask_written_another_way_is_not_a_difference(tmp_path):
    from cococonv import masks
    listed = {"size": [4, 4], "counts": [3, 5, 8]}
    packed = masks.compress(listed)
    assert isinstance(packed["counts"], str)
    sides = [_dataset(Item("a", image=Image("a.jpg"),
                           annotations=[Mask(label=0, rle=rle)])) for rle in (listed, packed)]
    write_gallery(sides, str(tmp_path / "same.html"))
    assert "d" not in embedded(tmp_path / "same.html")["items"][0]
    sides[1].get("default", "a").annotations[0].rle = {"size": [4, 4], "counts": [4, 4, 8]}
    write_gallery(sides, str(tmp_path / "moved.html"))
    assert embedded(tmp_path / "moved.html")["items"][0]["d"] == 1
