"""The gallery in a real headless Chromium: it renders without console errors, draws one
element per annotation, opens the large view, and paints the expected colours."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import cococonv
from cococonv import masks
from cococonv.gallery import label_colours, write_gallery
from cococonv.model import (Bbox, Categories, Dataset, Ellipse, Image, Item, KeypointSchema,
                            Label, Mask, Points, Polygon, Polyline)
from cococonv.report import Report

GREY = (128, 128, 128)
LABELS = ["box", "blob", "person", "ring"]


def _rect_rle(height: int, width: int, x0: int, x1: int, y0: int, y1: int) -> dict:
    import numpy as np
    plane = np.zeros((height, width), dtype=np.uint8)
    plane[y0:y1, x0:x1] = 1
    return masks.encode(plane)


def _known_dataset(folder: Path) -> Dataset:
    from PIL import Image as PILImage
    PILImage.new("RGB", (200, 100), GREY).save(folder / "grey.png")
    cats = Categories()
    for name in LABELS:
        cats.add(name)
    cats.keypoints[2] = KeypointSchema(["a", "b", "c"], [[1, 2], [2, 3]])
    anns = [
        Bbox(id=1, label=0, x=20, y=20, w=60, h=40),
        Mask(id=2, label=1, rle=_rect_rle(100, 200, 120, 180, 10, 50)),
        Points(id=3, label=2, points=[100, 80, 130, 80, 160, 90], visibility=[2, 1, 0]),
        Polygon(id=4, label=3, group=7, points=[10, 62, 90, 62, 90, 98, 10, 98],
                declared_bbox=[10, 62, 80, 36]),
        Polygon(id=5, label=3, group=7, points=[40, 70, 60, 70, 60, 90, 40, 90]),
        Polyline(id=6, label=0, points=[100, 10, 110, 20, 100, 30]),
        Ellipse(id=7, label=1, cx=190, cy=90, rx=5, ry=3, attributes={"rotation": 30}),
        Label(id=8, label=2),
    ]
    item = Item("grey", image=Image("grey.png", (100, 200), str(folder / "grey.png")),
                annotations=anns)
    return Dataset(cats, [item])


def _close(actual, expected, tolerance=12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def _rgb(colour: str) -> tuple[int, ...]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _blend(colour: str, alpha: float, under=GREY) -> tuple[int, ...]:
    return tuple(round(c * alpha + u * (1 - alpha)) for c, u in zip(_rgb(colour), under))


def _near(shot, x: float, y: float, expected, radius: int = 2, tolerance: int = 12) -> bool:
    return any(_close(shot.getpixel((round(x) + dx, round(y) + dy)), expected, tolerance)
               for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1))


def test_large_view_paints_box_edge_mask_interior_and_skeleton_joint(tmp_path, open_page):
    write_gallery([_known_dataset(tmp_path)], str(tmp_path / "out" / "g.html"))
    opened = open_page(tmp_path / "out" / "g.html")
    page = opened.page
    assert page.locator("#grid svg .ann").count() == 7
    assert page.locator("#grid .chip").count() == 1
    page.locator(".card").first.click()
    assert page.locator("#viewer").is_visible()
    frame = page.locator("#viewer-body .frame").bounding_box()
    page.mouse.move(0, 0)
    shot = opened.screenshot()
    scale = frame["width"] / 200

    def at(x, y):
        return frame["x"] + x * scale, frame["y"] + y * scale

    colours = label_colours(LABELS)
    assert _near(shot, *at(20, 40), _rgb(colours[0]), tolerance=30)           # box edge
    assert not _near(shot, *at(50, 40), _rgb(colours[0]), radius=0)            # box inside
    assert _close(shot.getpixel(tuple(map(round, at(150, 30)))),
                  _blend(colours[1], 128 / 255))                               # mask interior
    joint = at(100, 80)  # 2 px below the centre: inside the dot, off the bone through it
    assert _close(shot.getpixel((round(joint[0]), round(joint[1] + 2))), _rgb(colours[2]))
    hollow = at(130, 80)
    assert _close(shot.getpixel((round(hollow[0]), round(hollow[1] + 2))), GREY)  # v=1
    assert _close(shot.getpixel(tuple(map(round, at(50, 80)))), GREY)           # the hole
    assert _close(shot.getpixel(tuple(map(round, at(25, 80)))),
                  _blend(colours[3], 0.25))                                    # ring fill
    assert opened.problems == []


def test_hover_keys_and_toggles_work_without_a_server(tmp_path, open_page):
    dataset = _known_dataset(tmp_path)
    second = Item("again", image=dataset.get("default", "grey").image,
                  annotations=[Bbox(id=9, label=0, x=1, y=1, w=5, h=5,
                                    attributes={"note": "</script><b>x</b>"})])
    second.image = Image("grey2.png", (100, 200), str(tmp_path / "grey.png"))
    dataset.add(second)
    write_gallery([dataset], str(tmp_path / "g.html"))
    page = open_page(tmp_path / "g.html").page
    page.locator(".card").nth(1).click()
    box = page.locator("#viewer-body .k-bbox").first.bounding_box()
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)   # on the outline
    tip = page.locator("#tip")
    assert "</script><b>x</b>" in tip.inner_text() and "id: 9" in tip.inner_text()
    page.keyboard.press("ArrowLeft")
    assert "grey.png" in page.locator("#viewer-title").inner_text()
    assert page.locator("#viewer-body .k-mask").count() == 1
    page.keyboard.press("Escape")
    assert page.locator("#viewer").is_hidden()
    page.locator('#legend input[data-label="0"]').uncheck()
    assert page.locator("#grid .k-bbox").first.is_hidden()
    declared = page.locator("#grid .declared").first
    assert declared.is_hidden()
    page.check("#declared")
    assert declared.is_visible()
    page.locator('#legend input[data-kind="mask"]').uncheck()
    assert page.locator("#grid .k-mask").first.is_hidden()
    page.select_option("#label", "1")
    assert page.locator("#grid .card").count() == 1


def test_the_done_when_fixture_draws_every_annotation_kind(fixtures_root, tmp_path, open_page,
                                                          runner, cli):
    source = fixtures_root / "datumaro/coco_dataset/coco"
    out = tmp_path / "g.html"
    result = runner.invoke(cli, ["show", "-i", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    expected = Counter(ann.kind for item in cococonv.load(str(source), report=Report(quiet=True))
                       for ann in item.annotations)
    opened = open_page(out)
    drawn = {kind: opened.page.locator(f"#grid .ann.k-{kind}").count() for kind in expected}
    assert drawn == dict(expected)
    assert opened.page.locator("#grid .ann").count() == sum(expected.values())
    assert opened.page.locator("#grid img").count() == 2
    assert opened.page.evaluate("[...document.images].every(i => i.naturalWidth > 0)")
    opened.page.click("#stats-button")
    assert "annotations per label and kind" in opened.page.locator("#stats").inner_text()
    assert opened.problems == []


def test_voc_round_trip_side_by_side_marks_what_changed(fixtures_root, tmp_path, open_page,
                                                        runner, cli):
    source = fixtures_root / "datumaro/voc_dataset/voc_dataset1"
    report = tmp_path / "report.json"
    for args in (["-i", str(source), "-f", "coco", "-o", str(tmp_path / "coco"),
                  "--save-images", "--report", str(report)],
                 ["-i", str(tmp_path / "coco"), "-f", "voc", "-o", str(tmp_path / "back")]):
        done = runner.invoke(cli, ["convert", *args])
        assert done.exit_code == 0, done.stderr
    out = tmp_path / "cmp.html"
    result = runner.invoke(cli, ["show", "-i", str(source), "-i", str(tmp_path / "back"),
                                 "-o", str(out), "--conversion-report", str(report)])
    assert result.exit_code == 0, result.stderr
    opened = open_page(out)
    page = opened.page
    cards = page.locator("#grid .card")
    assert page.locator("#grid .card").first.locator(".pane").count() == 2
    differs = page.locator("#grid .card.differs").count()
    assert 0 < differs <= cards.count()
    page.check("#diffonly")
    assert page.locator("#grid .card").count() == differs
    page.check("#overlay")
    page.wait_for_selector("#grid .card.filled")
    assert page.locator("#grid .card").first.locator(".pane").count() == 1
    assert page.locator("#grid .ann").count() == page.evaluate(
        "DATA.items.filter(e => e.d).reduce((n, e) => n + e.a.reduce("
        "(m, side) => m + (side || []).length, 0), 0)")
    page.click("#stats-button")
    assert "conversion report" in page.locator("#stats").inner_text()
    assert opened.problems == []


def test_thousands_of_cards_fill_lazily_as_the_page_scrolls(tmp_path, open_page):
    from PIL import Image as PILImage
    PILImage.new("RGB", (64, 48), GREY).save(tmp_path / "p.png")
    cats = Categories()
    cats.add("thing")
    picture = str(tmp_path / "p.png")
    dataset = Dataset(cats, [Item(f"i{n}", image=Image(f"p{n}.png", (48, 64), picture),
                                  annotations=[Bbox(id=n, label=0, x=4, y=4, w=20, h=10)])
                             for n in range(2000)])
    write_gallery([dataset], str(tmp_path / "g.html"))
    opened = open_page(tmp_path / "g.html")
    page = opened.page
    filled = page.locator(".card.filled").count()
    assert 0 < filled < 400
    page.mouse.wheel(0, 20000)
    page.wait_for_function("n => document.querySelectorAll('.card.filled').length > n",
                           arg=filled)
    assert opened.problems == []


def test_an_item_without_a_size_is_drawn_at_its_pictures_size(tmp_path, open_page):
    from PIL import Image as PILImage
    PILImage.new("RGB", (300, 100), GREY).save(tmp_path / "wide.png")
    item = Item("w", image=Image("wide.png", None, str(tmp_path / "wide.png")),
                annotations=[Bbox(id=1, label=0, x=10, y=10, w=20, h=20),
                             Polygon(id=2, label=0, points=[0, 0, 30, 0, 30, 60])])
    write_gallery([Dataset(_known_dataset(tmp_path).categories, [item])],
                  str(tmp_path / "g.html"))
    page = open_page(tmp_path / "g.html").page
    page.wait_for_function("() => document.querySelector('#grid .frame img').naturalWidth > 0")
    page.wait_for_function("() => document.querySelector('#grid svg').getAttribute('viewBox')"
                           " === '0 0 300 100'")
    frame = page.locator("#grid .frame").bounding_box()
    assert abs(frame["width"] / frame["height"] - 3) < 0.05
    assert page.locator("#grid .ann").count() == 2


def test_the_pages_rle_decoder_agrees_with_pycocotools(tmp_path, open_page):
    import numpy as np
    write_gallery([_known_dataset(tmp_path)], str(tmp_path / "g.html"))
    page = open_page(tmp_path / "g.html").page
    rng = np.random.default_rng(5)
    for height, width, density in ((37, 53, 0.5), (300, 41, 0.02), (64, 64, 0.97)):
        plane = (rng.random((height, width)) < density).astype(np.uint8)
        packed = masks.encode(plane)
        listed = masks.uncompress(packed)
        assert page.evaluate("rle => rleArea(rle)", packed) == int(plane.sum())
        assert page.evaluate("rle => rleArea(rle)", listed) == int(plane.sum())
        assert page.evaluate("rle => rleRuns(rle.counts)", packed) == \
            masks.counts_of(packed).tolist()
    broken = {"size": [4, 4], "counts": [3, 5, 9]}
    assert page.evaluate("rle => [rleArea(rle), maskImage(rle, '#ff0000', 64)]", broken) == \
        [None, None]


def test_overlay_draws_a_one_pixel_shift_as_two_lines_in_two_colours(tmp_path, open_page):
    first = _known_dataset(tmp_path)
    second = _known_dataset(tmp_path)
    second.get("default", "grey").annotations[0].x = 21
    write_gallery([first, second], str(tmp_path / "g.html"))
    opened = open_page(tmp_path / "g.html")
    page = opened.page
    page.check("#overlay")
    page.wait_for_selector("#grid .card.filled")
    page.locator(".card").first.click()
    frame = page.locator("#viewer-body .frame").bounding_box()
    page.mouse.move(0, 0)
    shot = opened.screenshot()
    scale = frame["width"] / 200
    y = frame["y"] + 50 * scale
    assert _near(shot, frame["x"] + 20 * scale, y, (0, 0xb4, 0xff), radius=1, tolerance=40)
    assert _near(shot, frame["x"] + 21 * scale, y, (0xff, 0x2f, 0xb9), radius=1, tolerance=40)
    assert opened.problems == []
