"""`cococonv show --png DIR`: the wiring (alone or with -o), its one-line refusals."""
from __future__ import annotations

from PIL import Image as PILImage

from cococonv.gallery.palette import label_colours
from tests.builders import coco_ann, coco_doc, coco_image, files_under, write_coco

from .helpers import GREEN, uniform_png


def _dataset(tmp_path):
    root = tmp_path / "ds"
    doc = coco_doc(images=[coco_image(file_name="a.png", width=300, height=300)],
                   annotations=[coco_ann(bbox=[40, 50, 100, 80], segmentation=[],
                                         area=8000)])
    write_coco(root, {"instances_train": doc})
    (root / "images").mkdir()
    uniform_png(root / "images" / "a.png")
    return root


def _hex(colour: str) -> tuple[int, ...]:
    return tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))


def test_show_png_alone_writes_one_overlay_per_item(tmp_path, runner, cli):
    root = _dataset(tmp_path)
    before = files_under(root)
    out = tmp_path / "pngs"
    result = runner.invoke(cli, ["show", "-i", str(root), "--png", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == f"wrote 1 PNG overlay to {out}"
    assert files_under(out) == ["train/a.png"]
    picture = PILImage.open(out / "train" / "a.png").convert("RGB")
    assert picture.getpixel((40, 90)) == _hex(label_colours(["cat"])[0])   # the box edge
    assert picture.getpixel((90, 90)) == GREEN                              # the image
    assert files_under(root) == before


def test_show_png_with_a_gallery_writes_both(tmp_path, runner, cli):
    root = _dataset(tmp_path)
    result = runner.invoke(cli, ["show", "-i", str(root), "-o", str(tmp_path / "g.html"),
                                 "--png", str(tmp_path / "pngs")])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("wrote a gallery of 1 item, ") and \
        lines[1] == f"wrote 1 PNG overlay to {tmp_path / 'pngs'}"
    assert (tmp_path / "g.html").is_file() and files_under(tmp_path / "pngs") == ["train/a.png"]


def test_show_png_refusals_are_one_line_and_write_nothing(tmp_path, runner, cli):
    root = _dataset(tmp_path)
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("mine")
    cases = [([], 2, "give -o FILE.html, --png DIR, or both"),
             (["--png", str(tmp_path / "one.json")], 2, "need a folder"),
             (["--png", str(root / "inside")], 2, "overlaps the input"),
             (["--png", str(full)], 1, "output exists and is not empty"),
             (["-o", str(tmp_path / "g.html"), "--png", str(full)], 1, "not empty"),
             (["-o", str(full / "x"), "--png", str(tmp_path / "new")], 1, "not empty")]
    for extra, code, needle in cases:
        result = runner.invoke(cli, ["show", "-i", str(root), *extra])
        lines = result.stderr.splitlines()
        assert result.exit_code == code and len(lines) == 1 and needle in lines[0], \
            (extra, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "full"]
    assert (full / "x").read_text() == "mine"
