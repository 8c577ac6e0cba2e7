"""The folder layouts of public segmentation datasets, written here from their published
structure (their images and masks are not ours to copy): CamVid as Kaggle and the
Semantic-Segmentation-Suite ship it (train/ + train_labels/<id>_L.png RGB masks +
class_dict.csv, its 32 rows with their stray spaces), SegNet's CamVid (train/ +
trainannot/ index PNGs) and ADE20K's SceneParsing release (images/training/ +
annotations/training/). Each is detected, read, and reaches COCO and CVAT whole."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

import cococonv
from cococonv import masks
from cococonv.report import Report

from ..builders import write_files

# CamVid's class_dict.csv as the Kaggle / Semantic-Segmentation-Suite copies have it:
# 32 classes, colours with a space after some commas, Void (0, 0, 0) near the end.
CAMVID_CLASSES = """name,r,g,b
Animal,64,128,64
Archway,192,0,128
Bicyclist,0,128, 192
Bridge,0, 128, 64
Building,128, 0, 0
Car,64, 0, 128
CartLuggagePram,64, 0, 192
Child,192, 128, 64
Column_Pole,192, 192, 128
Fence,64, 64, 128
LaneMkgsDriv,128, 0, 192
LaneMkgsNonDriv,192, 0, 64
Misc_Text,128, 128, 64
MotorcycleScooter,192, 0, 192
OtherMoving,128, 64, 64
ParkingBlock,64, 192, 128
Pedestrian,64, 64, 0
Road,128, 64, 128
RoadShoulder,128, 128, 192
Sidewalk,0, 0, 192
SignSymbol,192, 128, 128
Sky,128, 128, 128
SUVPickupTruck,64, 128,192
TrafficCone,0, 0, 64
TrafficLight,0, 64, 64
Train,192, 64, 128
Tree,128, 128, 0
Truck_Bus,192, 128, 192
Tunnel,64, 0, 64
VegetationMisc,192, 192, 0
Void,0, 0, 0
Wall,64, 192, 0"""


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(array).save(out, "PNG")
    return out.getvalue()


def street() -> np.ndarray:
    """A 12 x 9 RGB CamVid mask: sky on top, road below, a car, a void corner."""
    mask = np.zeros((9, 12, 3), np.uint8)
    mask[:4] = (128, 128, 128)
    mask[4:] = (128, 64, 128)
    mask[5:8, 2:6] = (64, 0, 128)
    mask[0, 0] = (0, 0, 0)
    return mask


def areas(dataset) -> dict[tuple[str, str], int]:
    names = [label.name for label in dataset.categories.labels]
    return {(item.subset + "/" + item.id, names[a.label]): masks.area(a.rle)
            for item in dataset for a in item.annotations}


def through_coco_and_cvat(root: Path, tmp_path: Path) -> tuple[int, int]:
    for fmt in ("coco", "cvat"):
        cococonv.convert(str(root), str(tmp_path / fmt), output_format=fmt,
                         report=Report(quiet=True))
    coco = sum(len(json.loads(p.read_text())["annotations"])
               for p in (tmp_path / "coco" / "annotations").glob("*.json"))
    return coco, (tmp_path / "cvat" / "annotations.xml").read_text().count("<mask ")


def test_camvid_with_labels_folders_l_suffix_and_class_dict(tmp_path):
    image = png(np.full((9, 12, 3), 90, np.uint8))
    root = write_files(tmp_path / "CamVid", {
        "class_dict.csv": CAMVID_CLASSES,
        "train/0001TP_006690.png": image, "train_labels/0001TP_006690_L.png": png(street()),
        "val/0016E5_07959.png": image, "val_labels/0016E5_07959_L.png": png(street()),
        "test/0001TP_008550.png": image})  # test_labels/ left out: images without masks
    assert cococonv.detect(str(root))[0][0] == "png_masks"
    report = Report(quiet=True)
    dataset = cococonv.load(str(root), report=report)
    assert [(item.subset, item.id) for item in dataset] == \
        [("train", "0001TP_006690"), ("val", "0016E5_07959")]
    assert len(dataset.categories.labels) == 31  # Void is no class
    assert areas(dataset) == {(f"{s}/{i}", name): n for s, i in
                              [("train", "0001TP_006690"), ("val", "0016E5_07959")]
                              for name, n in (("Sky", 47), ("Road", 48), ("Car", 12))}
    assert all(item.ignore is not None for item in dataset)  # the Void pixel
    assert through_coco_and_cvat(root, tmp_path) == (6, 6)


def test_segnet_camvid_annot_folders_hold_index_masks(tmp_path):
    plane = np.zeros((9, 12), np.uint8)  # SegNet's 0 is Sky: named in class_names.txt
    plane[4:] = 3
    plane[8, 11] = 11  # its "Unlabelled"
    names = "\n".join(["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol",
                       "Fence", "Car", "Pedestrian", "Bicyclist", "void"])
    root = write_files(tmp_path / "CamVid", {
        "class_names.txt": names,
        "train/0001TP_006690.png": png(np.full((9, 12, 3), 90, np.uint8)),
        "trainannot/0001TP_006690.png": png(plane)})
    dataset = cococonv.load(str(root), report=Report(quiet=True))
    assert areas(dataset) == {("train/0001TP_006690", "Sky"): 48,
                              ("train/0001TP_006690", "Road"): 59}
    assert through_coco_and_cvat(root, tmp_path) == (2, 2)


def test_ade20k_scene_parsing_layout(tmp_path):
    plane = np.zeros((9, 12), np.uint8)  # 0: "other objects", unlabelled in ADE20K
    plane[:3] = 1
    plane[3:, 4:] = 150
    root = write_files(tmp_path / "ADEChallengeData2016", {
        "images/training/ADE_train_00000001.jpg": jpeg_of(9, 12),
        "annotations/training/ADE_train_00000001.png": png(plane),
        "images/validation/ADE_val_00000001.jpg": jpeg_of(9, 12),
        "annotations/validation/ADE_val_00000001.png": png(plane)})
    assert cococonv.detect(str(root))[0][0] == "png_masks"
    dataset = cococonv.load(str(root), report=Report(quiet=True))
    assert {k: v for k, v in areas(dataset).items() if k[0].startswith("training")} == \
        {("training/ADE_train_00000001", "class_1"): 36,
         ("training/ADE_train_00000001", "class_150"): 48}
    assert through_coco_and_cvat(root, tmp_path) == (4, 4)


def jpeg_of(height: int, width: int) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(np.full((height, width, 3), 90, np.uint8)).save(out, "JPEG")
    return out.getvalue()


def cityscapes(root: Path) -> Path:
    """One Cityscapes frame with every gtFine file its release has for it."""
    labels = np.zeros((8, 16), np.uint8)  # 0: unlabeled
    labels[4:] = 7                        # road
    labels[1:4, 2:6] = 26                 # two cars
    labels[1:4, 9:12] = 26
    labels[0, 12:] = 24                   # a crowd of persons: no instance id
    instances = labels.astype(np.uint16)
    instances[1:4, 2:6] = 26000           # Cityscapes numbers objects from 0
    instances[1:4, 9:12] = 26001
    stem = "aachen/aachen_000000_000019"
    gt = f"gtFine/train/{stem}_gtFine_"
    return write_files(root, {
        f"leftImg8bit/train/{stem}_leftImg8bit.png": png(np.full((8, 16, 3), 90, np.uint8)),
        gt + "labelIds.png": png(labels), gt + "instanceIds.png": png(instances),
        gt + "labelTrainIds.png": png(np.where(labels == 7, 0, 255).astype(np.uint8)),
        gt + "color.png": png(np.zeros((8, 16, 4), np.uint8)),
        gt + "polygons.json": json.dumps({"imgHeight": 8, "imgWidth": 16, "objects": []})})


def test_cityscapes_label_ids_and_instance_ids(tmp_path):
    root = cityscapes(tmp_path / "cityscapes")
    assert cococonv.detect(str(root))[0][0] == "png_masks"
    semantic = cococonv.load(str(root), report=Report(quiet=True))
    assert [(item.subset, item.id) for item in semantic] == \
        [("train", "aachen/aachen_000000_000019")]
    assert areas(semantic) == {("train/aachen/aachen_000000_000019", "class_7"): 64,
                               ("train/aachen/aachen_000000_000019", "class_24"): 4,
                               ("train/aachen/aachen_000000_000019", "class_26"): 21}
    objects = cococonv.load(str(root), mask_kind="instance", instance_divisor=1000,
                            report=Report(quiet=True))
    item = next(iter(objects))
    names = [label.name for label in objects.categories.labels]
    assert sorted((names[a.label], masks.area(a.rle)) for a in item.annotations) == \
        [("class_24", 4), ("class_26", 9), ("class_26", 12), ("class_7", 64)]
    assert through_coco_and_cvat(root, tmp_path) == (3, 3)


def test_real_palette_masks_read_as_the_voc_importer_reads_them(fixtures_root, tmp_path):
    # labelme2voc's palette PNGs (255 void) and class_names.txt, laid out as mask pairs.
    import shutil
    voc = fixtures_root / "labelme/instance_segmentation/data_dataset_voc"
    root = tmp_path / "pairs"
    shutil.copytree(voc / "JPEGImages", root / "images")
    shutil.copytree(voc / "SegmentationClass", root / "masks")
    shutil.copy(voc / "class_names.txt", root / "class_names.txt")
    assert PILImage.open(root / "masks/2011_000003.png").mode == "P"
    pairs = cococonv.load(str(root), report=Report(quiet=True))
    by_voc = cococonv.load(str(voc), "voc_segmentation", report=Report(quiet=True))


    def by_class(dataset):  # VOC reads the object layer too: one mask per object
        total: dict[tuple[str, str], int] = {}
        for item in dataset:
            for a in item.annotations:
                key = (item.id, dataset.categories.labels[a.label].name)
                total[key] = total.get(key, 0) + masks.area(a.rle)
        return total
    assert by_class(pairs) == by_class(by_voc) and len(by_class(pairs)) == 7
    assert any(item.ignore is not None for item in pairs)  # __ignore__ shapes: 255
