"""The PNG overlay files: safe names for hostile ids, missing images on a neutral canvas,
bounded canvases, the same bytes for every --jobs, nothing written unless all is."""
from __future__ import annotations

import os

import pytest

from cococonv.errors import OptionError, OutputExistsError
from cococonv.gallery.pngcanvas import (MAX_CANVAS_SIDE, MISSING, NEUTRAL, UNREADABLE,
                                        open_image)
from cococonv.gallery.png import RENAMED, write_overlay_pngs
from cococonv.model import Bbox, Caption, Image, Item, Label
from cococonv.report import Report

from .helpers import BLUE, COLOURS, dataset, item, render

HOSTILE = ["../../escape", "/etc/passwd", "a\x00b", "C:\\win", "CON", "x" * 400, "y" * 250,
           "Same", "same", "f", "f.png/x", ".hidden", "..", "ok"]


def _all_files(root):
    return sorted(os.path.relpath(os.path.join(d, n), root)
                  for d, _dirs, names in os.walk(root) for n in names)


def test_png_hostile_item_names_stay_inside_the_output_unique_and_reported(tmp_path):
    inside = tmp_path / "run"
    inside.mkdir()
    items = [Item(name, "train", None, [Bbox(label=0, x=1, y=1, w=5, h=5)]) for name in HOSTILE]
    items.append(Item("z", "../up", None, []))
    report = Report(quiet=True)
    count = write_overlay_pngs(dataset(items), str(inside / "out"), colours=COLOURS,
                               jobs=1, report=report)
    files = _all_files(inside / "out")
    assert count == len(items) == len(files)
    assert len({name.casefold() for name in files}) == len(files)
    assert _all_files(tmp_path) == [os.path.join("run", "out", f) for f in files]
    assert "train/ok.png" in files and "train/f.png" in files
    assert all(len(part.encode()) <= 255 for f in files for part in f.split(os.sep))
    assert "train/escape.png" in files and "train/same~2.png" in files
    # every name written other than as subset/id.png is counted (and listed under -v)
    kept = {"ok", "f", "Same", ".hidden"} | ({"CON"} if os.name != "nt" else set())
    assert report.approximations[("PNG file names", RENAMED)] == len(items) - len(kept)


def test_png_missing_and_unreadable_images_are_drawn_on_a_neutral_canvas(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    not_image = tmp_path / "secret.txt"
    not_image.write_text("a key")
    items = [item(tmp_path, [Bbox(label=1, x=10, y=10, w=50, h=50)], item_id="gone",
                  image=False),
             Item("broken", "train", Image("broken.png", (300, 300), path=str(broken)), []),
             Item("text", "train", Image("secret.txt", (300, 300), path=str(not_image)), []),
             Item("nofile", "train", Image("nowhere.jpg", (300, 300),
                                           path=str(tmp_path / "nowhere.jpg")), [])]
    count, report, pictures = render(tmp_path, items)
    assert count == 4
    gone = pictures["train/gone.png"]
    assert gone.getpixel((150, 150)) == NEUTRAL and gone.getpixel((10, 30)) == BLUE
    assert pictures["train/broken.png"].getpixel((150, 150)) == NEUTRAL
    assert report.approximations[("item images", MISSING)] == 2
    assert report.approximations[("item images", UNREADABLE)] == 2


def test_png_huge_declared_size_is_drawn_on_a_capped_canvas(tmp_path):
    big = Item("big", "train", Image("big.jpg", (1 << 20, 1 << 19)),
               [Bbox(label=0, x=0, y=0, w=1 << 18, h=1 << 18)])
    count, report, pictures = render(tmp_path, [big])
    picture = pictures["train/big.png"]
    assert picture.size[0] == MAX_CANVAS_SIDE // 2 and picture.size[1] > MAX_CANVAS_SIDE
    assert picture.getpixel((0, 500)) != NEUTRAL      # the box edge, scaled down
    assert any("scaled down" in how for _what, how in report.approximations)


def test_png_size_unknown_canvas_holds_the_annotations(tmp_path):
    loose = Item("loose", "train", None, [Bbox(label=1, x=100, y=50, w=400, h=300)])
    _count, report, pictures = render(tmp_path, [loose])
    picture = pictures["train/loose.png"]
    assert picture.size[0] == 501 and picture.getpixel((500, 200)) == BLUE
    assert any("size unknown" in how for _what, how in report.approximations)


def test_png_same_bytes_for_one_and_two_jobs(tmp_path):
    items = [item(tmp_path, [Bbox(label=k % 2, x=k, y=k, w=40, h=30), Label(label=0),
                             Caption(caption=f"caption {k} " * 30)], item_id=f"i{k}",
                  size=(64 + k, 80)) for k in range(5)]
    out = {}
    for jobs in (1, 2):
        target = tmp_path / f"jobs{jobs}"
        write_overlay_pngs(dataset(items), str(target), colours=COLOURS, jobs=jobs,
                           report=Report(quiet=True))
        out[jobs] = {f: (target / f).read_bytes() for f in _all_files(target)}
    assert len(out[1]) == 5 and out[1] == out[2]


def test_png_refuses_a_full_folder_and_leaves_nothing_when_it_fails(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError):
        write_overlay_pngs(dataset([]), str(full))
    with pytest.raises(OptionError):
        write_overlay_pngs(dataset([]), str(tmp_path / "one.json"))

    def failing():
        yield Item("a", "train", None, [])
        raise RuntimeError("the source broke")

    class Broken:
        categories = dataset([]).categories
        meta: dict = {}

        def __iter__(self):
            return failing()

    with pytest.raises(RuntimeError):
        write_overlay_pngs(Broken(), str(tmp_path / "new"))
    assert sorted(os.listdir(tmp_path)) == ["full"]


def test_png_overwrite_refuses_a_folder_holding_an_image_it_reads(tmp_path):
    one = item(tmp_path, [], item_id="img")
    with pytest.raises(OptionError, match="holds the image"):
        write_overlay_pngs(dataset([one]), str(tmp_path), overwrite=True)
    assert (tmp_path / "img.png").exists()


def test_png_overlays_can_be_written_as_a_zip(tmp_path):
    import zipfile

    write_overlay_pngs(dataset([item(tmp_path, [], item_id="z")]), str(tmp_path / "o.zip"))
    assert zipfile.ZipFile(tmp_path / "o.zip").namelist() == ["train/z.png"]


def test_png_postscript_is_never_decoded_and_bad_values_are_counted(tmp_path):
    eps = tmp_path / "a.eps"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    odd = Item("odd", "train", Image("a.eps", (300, 300), path=str(eps)),
               [Bbox(label=0, x="left", y=0, w=5, h=5), Bbox(label=0, x=1, y=1, w=5, h=5)])
    assert open_image(odd) == (None, UNREADABLE)   # refused before Ghostscript is asked
    _count, report, pictures = render(tmp_path, [odd])
    assert pictures["train/odd.png"].getpixel((150, 150)) == NEUTRAL
    assert report.approximations[("item images", UNREADABLE)] == 1
    assert sum(report.losses.values()) == 1


def test_png_name_tags_stop_after_a_few_hundred_shapes(tmp_path):
    from cococonv.gallery.pngcanvas import frame_for, pixels
    from cococonv.gallery.pngdraw import MAX_TAGS, Painter

    crowd = Item("many", "train", Image("m.jpg", (300, 300)),
                 [Bbox(label=0, x=k % 290, y=k % 290, w=3, h=3) for k in range(MAX_TAGS + 5)])
    frame, _ = frame_for(crowd, None)
    painter = Painter(pixels(None, frame)[0], frame, dataset([]).categories,
                      lambda label: (255, 0, 0), lambda label: "a")
    painter.paint(crowd)
    assert len(painter.tags) == MAX_TAGS and painter.untagged == 5
