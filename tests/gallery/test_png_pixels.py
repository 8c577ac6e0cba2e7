"""Pixel colours at known points of the PNG overlays: every annotation kind lands where the
dataset puts it, in its label's colour."""
from __future__ import annotations

from cococonv import masks
from cococonv.model import Bbox, Ellipse, Mask, Points, Polygon, Polyline

from .helpers import BLUE, GREEN, RED, blend, close, item, render


def _one(tmp_path, annotations):
    count, report, pictures = render(tmp_path, [item(tmp_path, annotations)])
    assert count == 1
    return pictures["train/x.png"], report


def test_png_box_edge_is_the_label_colour_and_inside_stays_the_image(tmp_path):
    picture, _ = _one(tmp_path, [Bbox(label=1, x=170, y=170, w=100, h=60)])
    assert picture.getpixel((170, 200)) == BLUE       # left edge
    assert picture.getpixel((270, 200)) == BLUE       # right edge
    assert picture.getpixel((220, 200)) == GREEN      # inside: no fill
    assert picture.getpixel((150, 200)) == GREEN      # outside


def test_png_rotated_box_is_drawn_turned_about_its_centre(tmp_path):
    # 90 degrees turns a 100 x 20 box about (150, 150) into a 20 x 100 one
    picture, _ = _one(tmp_path, [Bbox(label=0, x=100, y=140, w=100, h=20,
                                      attributes={"rotation": 90})])
    assert picture.getpixel((140, 150)) == RED        # the turned box's left edge
    assert picture.getpixel((150, 100)) == RED        # its top edge
    assert picture.getpixel((110, 140)) == GREEN      # the unturned box's corner: empty


def test_png_polygon_hole_is_left_open_by_the_even_odd_rule(tmp_path):
    outer = [50, 50, 150, 50, 150, 150, 50, 150]
    hole = [80, 80, 120, 80, 120, 120, 80, 120]
    picture, _ = _one(tmp_path, [Polygon(label=0, group=1, points=outer),
                                 Polygon(label=0, group=1, points=hole)])
    assert close(picture.getpixel((65, 100)), blend(RED, GREEN))   # interior: translucent
    assert picture.getpixel((100, 100)) == GREEN                   # the hole: the image
    assert picture.getpixel((50, 100)) == RED                      # outer outline
    assert picture.getpixel((80, 100)) == RED                      # hole outline


def test_png_ungrouped_overlapping_polygons_are_each_filled(tmp_path):
    square = [50, 50, 150, 50, 150, 150, 50, 150]
    inner = [80, 80, 120, 80, 120, 120, 80, 120]
    picture, _ = _one(tmp_path, [Polygon(label=0, points=square), Polygon(label=0, points=inner)])
    assert close(picture.getpixel((100, 100)), blend(RED, blend(RED, GREEN)))


def test_png_mask_interior_is_a_translucent_layer_of_its_label_colour(tmp_path):
    import numpy as np

    array = np.zeros((300, 300), dtype=np.uint8)
    array[250:290, 20:120] = 1
    picture, _ = _one(tmp_path, [Mask(label=1, rle=masks.encode(array))])
    assert close(picture.getpixel((70, 270)), blend(BLUE, GREEN))
    assert picture.getpixel((70, 240)) == GREEN


def test_png_crowd_mask_is_striped(tmp_path):
    import numpy as np

    array = np.zeros((300, 300), dtype=np.uint8)
    array[100:200, 100:200] = 1
    picture, _ = _one(tmp_path, [Mask(label=1, rle=masks.uncompress(masks.encode(array)),
                                      attributes={"is_crowd": True})])
    row = {picture.getpixel((x, 150)) for x in range(120, 180)}
    assert len(row) == 2 and GREEN not in row     # stripes and gaps, both tinted


def test_png_keypoints_joint_shown_hidden_point_not_occluded_hollow(tmp_path):
    points = Points(label=0, points=[200, 30, 260, 30, 230, 70], visibility=[2, 0, 1])
    picture, _ = _one(tmp_path, [points])
    assert picture.getpixel((200, 30)) == RED         # a visible joint: filled
    assert picture.getpixel((260, 30)) == GREEN       # v=0: not drawn
    assert picture.getpixel((230, 30)) == GREEN       # no bone to the hidden point
    assert picture.getpixel((215, 50)) == RED         # the bone from point 1 to point 3
    assert picture.getpixel((230, 70)) == GREEN       # v=1: hollow ...
    assert RED in {picture.getpixel((x, 70)) for x in range(224, 236)}  # ... with a ring


def test_png_polyline_is_open_and_ellipse_is_filled(tmp_path):
    line = Polyline(label=0, points=[20, 20, 120, 20, 120, 120])
    ellipse = Ellipse(label=1, cx=220, cy=220, rx=40, ry=20)
    picture, _ = _one(tmp_path, [line, ellipse])
    assert picture.getpixel((70, 20)) == RED and picture.getpixel((120, 70)) == RED
    assert picture.getpixel((70, 70)) == GREEN         # open: the closing edge is absent
    assert close(picture.getpixel((220, 220)), blend(BLUE, GREEN))
    assert picture.getpixel((180, 220)) == BLUE        # the outline at the end of rx
    assert picture.getpixel((220, 250)) == GREEN


def test_png_shapes_outside_the_image_are_counted_and_huge_values_cost_nothing(tmp_path):
    far = Polygon(label=0, points=[1e14, 1e14, 1e14 + 5, 1e14, 1e14, 1e14 + 5])
    crossing = Polyline(label=1, points=[-1e14, 150, 1e14, 150])
    broken = Polygon(label=0, points=[float("nan"), 1, 2, 3, 4, 5])
    picture, report = _one(tmp_path, [far, crossing, broken])
    assert picture.getpixel((10, 150)) == BLUE and picture.getpixel((290, 150)) == BLUE
    assert {what for what, _why in report.losses} == {"polygon annotations"}
    assert sorted(report.losses.values()) == [1, 1]
    reasons = " | ".join(sorted(why for _what, why in report.losses))
    assert "no finite number" in reasons and "wholly outside the image" in reasons


def test_png_fills_lie_under_every_outline(tmp_path):
    import numpy as np

    array = np.zeros((300, 300), dtype=np.uint8)
    array[100:200, 100:200] = 1
    picture, _ = _one(tmp_path, [Bbox(label=1, x=120, y=120, w=40, h=40),
                                 Mask(label=0, rle=masks.encode(array), z_order=5)])
    assert picture.getpixel((120, 140)) == BLUE                    # the box edge, untinted
    assert close(picture.getpixel((140, 140)), blend(RED, GREEN))  # the mask over the image
