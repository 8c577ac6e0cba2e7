"""Small datasets for the PNG overlay tests: a uniform image, known colours, model objects."""
from __future__ import annotations

from pathlib import Path

from cococonv.model import Categories, Dataset, Image, Item, KeypointSchema

GREEN = (0, 128, 0)
RED = (255, 0, 0)
BLUE = (0, 0, 255)
COLOURS = ["#ff0000", (0, 0, 255)]  # label a, label b: both spellings accepted


def uniform_png(path: Path, size: tuple[int, int] = (300, 300), colour=GREEN) -> str:
    from PIL import Image as PILImage

    PILImage.new("RGB", size, colour).save(path)
    return str(path)


def categories() -> Categories:
    cats = Categories()
    cats.add("a")
    cats.add("b")
    cats.keypoints[0] = KeypointSchema(names=["p", "q", "r"], skeleton=[[1, 2], [1, 3]])
    return cats


def dataset(items: list[Item]) -> Dataset:
    return Dataset(categories(), items)


def item(tmp_path: Path, annotations: list, *, item_id: str = "x", subset: str = "train",
         image: bool = True, size: tuple[int, int] = (300, 300)) -> Item:
    path = uniform_png(tmp_path / f"{item_id}.png", (size[1], size[0])) if image else None
    return Item(item_id, subset, Image("x.png", size, path=path), annotations)


def blend(colour, background, alpha: int = 96) -> tuple[int, ...]:
    """What a translucent fill of ``colour`` over ``background`` gives (Pillow's rule)."""
    return tuple(round((c * alpha + b * (255 - alpha)) / 255) for c, b in zip(colour, background))


def close(pixel, expected, tolerance: int = 2) -> bool:
    return all(abs(p - e) <= tolerance for p, e in zip(pixel, expected))


def render(tmp_path: Path, items: list[Item], **options):
    """Write the overlays; returns (files written, report, {relative name: RGB image})."""
    from PIL import Image as PILImage

    from cococonv.gallery.png import write_overlay_pngs
    from cococonv.report import Report

    report = Report(quiet=True)
    out = tmp_path / "out"
    count = write_overlay_pngs(dataset(items), str(out), colours=COLOURS, jobs=1,
                               report=report, **options)
    pictures = {str(p.relative_to(out)): PILImage.open(p).convert("RGB")
                for p in sorted(out.rglob("*.png"))}
    return count, report, pictures
