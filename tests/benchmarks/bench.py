"""Benchmark cococonv against a plain orjson load + dump, on a generated COCO dataset.

    .venv/bin/python tests/benchmarks/bench.py --images 5000 --anns 7 --repeat 5
    .venv/bin/python tests/benchmarks/bench.py --images 50000 --repeat 3
    .venv/bin/python tests/benchmarks/bench.py --paths coco-coco,coco-voc,voc-coco

What it does:

1. Generates (seeded, cached in the work dir) ``annotations/instances_val2017.json``: N images x
   K annotations, 80 categories with COCO's sparse ids, polygons of 8-30 points with 2-decimal
   coordinates, consistent bbox/area, ~1 % iscrowd annotations with uncompressed RLE.
   5,000 x 7 is about the size of COCO val2017 (~20-25 MB).
2. Runs every command of the chosen paths as a subprocess, interleaved (A, B, A, B, ...) so the
   commands share the machine's noise, and reads each child's peak RSS from ``os.wait4``.
   The parent stays small (generation and checks run in their own subprocesses) because Linux
   folds the parent's RSS high-water mark into a vfork'ed child's ``ru_maxrss``.
3. Prints median wall time, CPU time, peak RSS, and cococonv/baseline ratios; checks the
   outputs (counts, ids 1..N after --reindex, bboxes/areas/segmentations equal to the input).
   The coco-voc, coco-yolo and yolo-coco paths (thousands of new files each) first wait
   until the last deleted outputs (this run's earlier paths', the last run's) are 5 minutes
   old: this machine's ext4 has no journal, and new files are several times slower to create
   until then (``_move_aside``; ``--no-settle`` skips the wait).
   cococonv's modules are byte-compiled first, as ``pip install .`` leaves them
   (``compile_first``; ``--no-compile`` times the checkout as it is).
4. Checks that the coco->coco path imports no heavy module (numpy, pycocotools, PIL) with
   ``-X importtime``, and times ``cococonv --help`` (``--no-imports`` skips this).

Paths: ``coco-coco`` (default), ``coco-voc`` and ``voc-coco`` (timed only
when ``cococonv formats`` lists a voc exporter/importer; skipped with a message otherwise),
``coco-yolo`` and ``yolo-coco`` (with image files, written once beside the COCO file as
solid-colour JPEGs of each image's size, so yolo -> coco reads the sizes from the image
headers: its input is a coco -> yolo --save-images output without yolo_meta.json).
Every path times the orjson load + dump of the instances file in the same interleaved rounds
and prints each command's ratio to it. Compare a prototype (or an older checkout) with the installed code, on every path,
interleaved, with ``--variant``:

    --variant proto="env PYTHONPATH=/tmp/proto/src .venv/bin/python -m cococonv"

This file is not collected by pytest (pyproject's norecursedirs).
"""
from __future__ import annotations

import argparse
import math
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ANN_REL = "annotations/instances_val2017.json"
SELF = os.path.abspath(__file__)
HEAVY_MODULES = ("numpy", "pycocotools", "PIL", "cv2", "scipy", "lxml", "tqdm")

# COCO's 80 categories with their sparse ids (1..90 with gaps), for realism.
COCO_CATEGORIES = [
    (1, "person", "person"), (2, "bicycle", "vehicle"), (3, "car", "vehicle"),
    (4, "motorcycle", "vehicle"), (5, "airplane", "vehicle"), (6, "bus", "vehicle"),
    (7, "train", "vehicle"), (8, "truck", "vehicle"), (9, "boat", "vehicle"),
    (10, "traffic light", "outdoor"), (11, "fire hydrant", "outdoor"),
    (13, "stop sign", "outdoor"), (14, "parking meter", "outdoor"), (15, "bench", "outdoor"),
    (16, "bird", "animal"), (17, "cat", "animal"), (18, "dog", "animal"),
    (19, "horse", "animal"), (20, "sheep", "animal"), (21, "cow", "animal"),
    (22, "elephant", "animal"), (23, "bear", "animal"), (24, "zebra", "animal"),
    (25, "giraffe", "animal"), (27, "backpack", "accessory"), (28, "umbrella", "accessory"),
    (31, "handbag", "accessory"), (32, "tie", "accessory"), (33, "suitcase", "accessory"),
    (34, "frisbee", "sports"), (35, "skis", "sports"), (36, "snowboard", "sports"),
    (37, "sports ball", "sports"), (38, "kite", "sports"), (39, "baseball bat", "sports"),
    (40, "baseball glove", "sports"), (41, "skateboard", "sports"),
    (42, "surfboard", "sports"), (43, "tennis racket", "sports"), (44, "bottle", "kitchen"),
    (46, "wine glass", "kitchen"), (47, "cup", "kitchen"), (48, "fork", "kitchen"),
    (49, "knife", "kitchen"), (50, "spoon", "kitchen"), (51, "bowl", "kitchen"),
    (52, "banana", "food"), (53, "apple", "food"), (54, "sandwich", "food"),
    (55, "orange", "food"), (56, "broccoli", "food"), (57, "carrot", "food"),
    (58, "hot dog", "food"), (59, "pizza", "food"), (60, "donut", "food"),
    (61, "cake", "food"), (62, "chair", "furniture"), (63, "couch", "furniture"),
    (64, "potted plant", "furniture"), (65, "bed", "furniture"),
    (67, "dining table", "furniture"), (70, "toilet", "furniture"), (72, "tv", "electronic"),
    (73, "laptop", "electronic"), (74, "mouse", "electronic"), (75, "remote", "electronic"),
    (76, "keyboard", "electronic"), (77, "cell phone", "electronic"),
    (78, "microwave", "appliance"), (79, "oven", "appliance"), (80, "toaster", "appliance"),
    (81, "sink", "appliance"), (82, "refrigerator", "appliance"), (84, "book", "indoor"),
    (85, "clock", "indoor"), (86, "vase", "indoor"), (87, "scissors", "indoor"),
    (88, "teddy bear", "indoor"), (89, "hair drier", "indoor"), (90, "toothbrush", "indoor"),
]
IMAGE_SIZES = [((640, 480), 50), ((640, 427), 20), ((480, 640), 10), ((640, 426), 8),
               ((500, 375), 6), ((640, 360), 6)]  # (width, height), weight


# ------------------------------------------------------------------------------------------
# generation (runs in a subprocess)
# ------------------------------------------------------------------------------------------
def _shoelace(flat: list[float]) -> float:
    xs, ys = flat[0::2], flat[1::2]
    n = len(xs)
    s = 0.0
    for i in range(n):
        j = (i + 1) % n
        s += xs[i] * ys[j] - xs[j] * ys[i]
    return abs(s) / 2.0


def _polygon(rng: random.Random, width: int, height: int, n_points: int) -> list[float]:
    """A star-shaped (hence simple) ring of n_points vertices, coordinates with 2 decimals."""
    radius = rng.uniform(8, min(width, height) * 0.35)
    cx = rng.uniform(radius * 0.5, width - radius * 0.5)
    cy = rng.uniform(radius * 0.5, height - radius * 0.5)
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n_points))
    flat: list[float] = []
    for a in angles:
        r = radius * rng.uniform(0.45, 1.0)
        x = min(max(cx + r * math.cos(a), 0.0), width - 0.01)
        y = min(max(cy + r * math.sin(a), 0.0), height - 0.01)
        flat += (round(x, 2), round(y, 2))
    return flat


def _rle_blob(rng: random.Random, width: int, height: int) -> tuple[list[int], float, list]:
    """An uncompressed column-major RLE of a crowd region (1-3 runs of ones per column)."""
    cols = rng.randint(60, width - 2)
    x0 = rng.randint(1, width - cols - 1)
    parts = rng.randint(1, 3)
    band = (height - 2) // parts
    # per part, a top/bottom edge that wanders from column to column
    edges = []
    for p in range(parts):
        top = rng.randint(p * band + 1, p * band + band // 2)
        edges.append([top, rng.randint(top + 4, (p + 1) * band - 1)])
    counts: list[int] = []
    pos = 0  # next pixel index (column-major) not yet covered by counts
    area = 0
    ymin, ymax = height, 0
    for x in range(x0, x0 + cols):
        for p, edge in enumerate(edges):
            lo, hi = p * band + 1, (p + 1) * band - 1
            edge[0] = min(max(edge[0] + rng.randint(-3, 3), lo), hi - 5)
            edge[1] = min(max(edge[1] + rng.randint(-3, 3), edge[0] + 4), hi)
            start = x * height + edge[0]
            counts.append(start - pos)        # zeros
            counts.append(edge[1] - edge[0])  # ones
            pos = x * height + edge[1]
            area += edge[1] - edge[0]
            ymin, ymax = min(ymin, edge[0]), max(ymax, edge[1])
    counts.append(width * height - pos)
    return counts, float(area), [float(x0), float(ymin), float(cols), float(ymax - ymin)]


def generate(path: str, n_images: int, n_anns: int, seed: int, crowd_frac: float) -> None:
    import orjson

    rng = random.Random(seed)
    sizes = [s for s, _ in IMAGE_SIZES]
    weights = [w for _, w in IMAGE_SIZES]
    image_ids = sorted(rng.sample(range(1, max(600_000, n_images * 12)), n_images))
    images = []
    for iid in image_ids:
        (w, h), = rng.choices(sizes, weights)
        fname = f"{iid:012d}.jpg"
        images.append({
            "license": rng.randint(1, 8), "file_name": fname,
            "coco_url": f"http://images.cocodataset.org/val2017/{fname}",
            "height": h, "width": w,
            "date_captured": f"2013-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                             f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
                             f"{rng.randint(0, 59):02d}",
            "flickr_url": f"http://farm{rng.randint(1, 9)}.staticflickr.com/"
                          f"{rng.randint(1000, 9999)}/{rng.randint(10**9, 10**10)}_"
                          f"{rng.getrandbits(40):010x}_z.jpg",
            "id": iid})
    cat_ids = [c[0] for c in COCO_CATEGORIES]
    cat_weights = [40 if c == 1 else (1 + (c * 7) % 5) for c in cat_ids]  # many persons
    ann_ids = rng.sample(range(1, max(2_500_000, n_images * n_anns * 8)), n_images * n_anns)
    annotations = []
    k = 0
    for img in images:
        w, h = img["width"], img["height"]
        for _ in range(n_anns):
            cid, = rng.choices(cat_ids, cat_weights)
            if rng.random() < crowd_frac:
                counts, area, bbox = _rle_blob(rng, w, h)
                annotations.append({
                    "segmentation": {"counts": counts, "size": [h, w]}, "area": area,
                    "iscrowd": 1, "image_id": img["id"], "bbox": bbox, "category_id": cid,
                    "id": 900_100_000_000 + ann_ids[k]})
            else:
                # 8-30 points, more often many (mean ~23), as COCO's traced outlines
                rings = [_polygon(rng, w, h, max(rng.randint(8, 30), rng.randint(8, 30)))]
                while rng.random() < 0.15 and len(rings) < 4:  # objects in several parts
                    rings.append(_polygon(rng, w, h, max(rng.randint(8, 30),
                                                         rng.randint(8, 30))))
                flat = [v for ring in rings for v in ring]
                xs, ys = flat[0::2], flat[1::2]
                x0, y0 = min(xs), min(ys)
                bbox = [x0, y0, round(max(xs) - x0, 2), round(max(ys) - y0, 2)]
                area = sum(_shoelace(r) for r in rings)
                annotations.append({
                    "segmentation": rings, "area": area, "iscrowd": 0,
                    "image_id": img["id"], "bbox": bbox, "category_id": cid,
                    "id": ann_ids[k]})
            k += 1
    rng.shuffle(annotations)  # COCO files are not grouped by image
    doc = {
        "info": {"description": "cococonv benchmark (synthetic)", "url": "", "version": "1.0",
                 "year": 2017, "contributor": "cococonv", "date_created": "2017/09/01"},
        "licenses": [{"url": f"http://creativecommons.org/licenses/by/{i}/", "id": i,
                      "name": f"License {i}"} for i in range(1, 9)],
        "images": images,
        "annotations": annotations,
        "categories": [{"supercategory": s, "id": i, "name": n} for i, n, s in COCO_CATEGORIES],
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(doc))
    os.replace(tmp, path)


def write_images(src_json: str, folder: str) -> None:
    """A JPEG of each image's size (one encoding per size), for paths that read headers."""
    import io

    import orjson
    from PIL import Image

    with open(src_json, "rb") as fh:
        images = orjson.loads(fh.read())["images"]
    os.makedirs(folder, exist_ok=True)
    encoded: dict[tuple[int, int], bytes] = {}
    for image in images:
        size = (image["width"], image["height"])
        if size not in encoded:
            buffer = io.BytesIO()
            Image.new("RGB", size, (120, 110, 90)).save(buffer, "JPEG", quality=60)
            encoded[size] = buffer.getvalue()
        with open(os.path.join(folder, image["file_name"]), "wb") as fh:
            fh.write(encoded[size])


# ------------------------------------------------------------------------------------------
# checks (run in a subprocess so the parent stays small)
# ------------------------------------------------------------------------------------------
def verify_coco(src_path: str, out_path: str) -> None:
    """The reindexed output holds the same images and objects as the input."""
    import orjson

    with open(src_path, "rb") as fh:
        src = orjson.loads(fh.read())
    with open(out_path, "rb") as fh:
        out = orjson.loads(fh.read())
    problems: list[str] = []

    def check(cond: bool, msg: str) -> None:
        if not cond and len(problems) < 20:
            problems.append(msg)

    s_img, o_img = src["images"], out["images"]
    s_ann, o_ann = src["annotations"], out["annotations"]
    check(len(o_img) == len(s_img), f"images: {len(o_img)} != {len(s_img)}")
    check(len(o_ann) == len(s_ann), f"annotations: {len(o_ann)} != {len(s_ann)}")
    check(len(out["categories"]) == len(src["categories"]), "category count differs")
    check([i["id"] for i in o_img] == list(range(1, len(o_img) + 1)), "image ids are not 1..N")
    check([a["id"] for a in o_ann] == list(range(1, len(o_ann) + 1)),
          "annotation ids are not 1..N")
    check([c["id"] for c in out["categories"]] == list(range(1, len(out["categories"]) + 1)),
          "category ids are not 1..N")
    check(out.get("info") == src.get("info") and out.get("licenses") == src.get("licenses"),
          "info/licenses differ")
    s_cat = {c["id"]: c["name"] for c in src["categories"]}
    o_cat = {c["id"]: c["name"] for c in out["categories"]}
    # Images: same order, same file names and sizes, extra keys kept.
    o_name_by_id = {}
    for si, oi in zip(s_img, o_img, strict=False):  # counts checked above
        o_name_by_id[oi["id"]] = oi["file_name"]
        for key in ("file_name", "width", "height", "coco_url", "flickr_url", "date_captured",
                    "license"):
            check(si.get(key) == oi.get(key), f"image {si['file_name']}: {key} differs")
    # Objects: per image, in input order.
    s_by_name: dict[str, list] = {}
    s_name_by_id = {i["id"]: i["file_name"] for i in s_img}
    for a in s_ann:
        s_by_name.setdefault(s_name_by_id[a["image_id"]], []).append(a)
    o_by_name: dict[str, list] = {}
    for a in o_ann:
        o_by_name.setdefault(o_name_by_id.get(a["image_id"], "?"), []).append(a)
    for name, s_list in s_by_name.items():
        o_list = o_by_name.get(name, [])
        check(len(o_list) == len(s_list), f"{name}: {len(o_list)} objects, input {len(s_list)}")
        for sa, oa in zip(s_list, o_list, strict=False):
            where = f"{name} ann {sa['id']}"
            check(oa.get("bbox") == sa["bbox"], f"{where}: bbox {oa.get('bbox')} != {sa['bbox']}")
            check(oa.get("area") == sa["area"], f"{where}: area {oa.get('area')} != {sa['area']}")
            check(oa.get("iscrowd") == sa["iscrowd"], f"{where}: iscrowd differs")
            check(oa.get("segmentation") == sa["segmentation"], f"{where}: segmentation differs")
            check(o_cat.get(oa.get("category_id")) == s_cat[sa["category_id"]],
                  f"{where}: category differs")
    if problems:
        print("FAIL coco-coco check:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(f"ok: {len(o_img)} images, {len(o_ann)} annotations, ids 1..N, "
          f"bbox/area/segmentation/category equal to the input")


def verify_voc(voc_dir: str, n_images: int, n_objects: int, n_crowd: int) -> None:
    """Annotations/*.xml: one per image; <object> count matches (with or without crowds)."""
    import xml.etree.ElementTree as ET

    ann_dir = os.path.join(voc_dir, "Annotations")
    xmls = sorted(f for f in os.listdir(ann_dir) if f.endswith(".xml")) \
        if os.path.isdir(ann_dir) else []
    objects = sum(len(ET.parse(os.path.join(ann_dir, f)).getroot().findall("object"))
                  for f in xmls)
    masks = {}
    for sub in ("SegmentationClass", "SegmentationObject"):
        folder = os.path.join(voc_dir, sub)
        masks[sub] = len(os.listdir(folder)) if os.path.isdir(folder) else 0
    # every image has polygons, so each needs its class and object PNG
    ok = (len(xmls) == n_images and objects in (n_objects, n_objects - n_crowd)
          and all(count == n_images for count in masks.values()))
    print(f"{'ok' if ok else 'FAIL'}: {len(xmls)} xml (want {n_images}), {objects} objects "
          f"(want {n_objects} or {n_objects - n_crowd} without crowds), mask PNGs {masks} "
          f"(want {n_images} each)")
    sys.exit(0 if ok else 1)


def verify_voc_coco(out_path: str, n_images: int, n_objects: int, n_crowd: int) -> None:
    import orjson

    with open(out_path, "rb") as fh:
        out = orjson.loads(fh.read())
    n_img, n_ann = len(out["images"]), len(out.get("annotations", []))
    ok = n_img == n_images and n_ann in (n_objects, n_objects - n_crowd)
    print(f"{'ok' if ok else 'FAIL'}: {n_img} images (want {n_images}), {n_ann} annotations "
          f"(want {n_objects} or {n_objects - n_crowd} without crowds)")
    sys.exit(0 if ok else 1)


def _worker(argv: list[str]) -> None:
    cmd, *rest = argv
    if cmd == "generate":
        path, n_images, n_anns, seed, crowd = rest
        generate(path, int(n_images), int(n_anns), int(seed), float(crowd))
    elif cmd == "verify-coco":
        verify_coco(*rest)
    elif cmd == "verify-voc":
        verify_voc(rest[0], *map(int, rest[1:]))
    elif cmd == "verify-voc-coco":
        verify_voc_coco(rest[0], *map(int, rest[1:]))
    elif cmd == "images":
        write_images(*rest)
    elif cmd == "verify-yolo":
        verify_yolo(rest[0], *map(int, rest[1:]))
    elif cmd == "verify-yolo-coco":
        verify_yolo_coco(rest[0], *map(int, rest[1:]))
    elif cmd == "stats":  # how many annotations and crowds the file holds
        import orjson
        with open(rest[0], "rb") as fh:
            doc = orjson.loads(fh.read())
        anns = doc["annotations"]
        print(len(doc["images"]), len(anns), sum(1 for a in anns if a.get("iscrowd")))
    else:
        raise SystemExit(f"unknown worker command {cmd}")


def verify_yolo(yolo_dir: str, n_images: int, n_objects: int, n_crowd: int) -> None:
    """One label file per image; at least one line per object (rings become lines)."""
    labels = os.path.join(yolo_dir, "labels", "val2017")
    files = os.listdir(labels) if os.path.isdir(labels) else []
    lines = 0
    for name in files:
        with open(os.path.join(labels, name), "rb") as fh:
            lines += fh.read().count(b"\n")
    ok = len(files) == n_images and lines >= n_objects - n_crowd
    print(f"{'ok' if ok else 'FAIL'}: {len(files)} label files (want {n_images}), {lines} "
          f"lines (want at least {n_objects - n_crowd})")
    sys.exit(0 if ok else 1)


def verify_yolo_coco(out_path: str, n_images: int, n_objects: int, n_crowd: int) -> None:
    import orjson

    with open(out_path, "rb") as fh:
        out = orjson.loads(fh.read())
    names = {c[1] for c in COCO_CATEGORIES}
    n_img, anns = len(out["images"]), out.get("annotations", [])
    sized = all(i.get("width") and i.get("height") for i in out["images"])
    ok = n_img == n_images and len(anns) >= n_objects - n_crowd and sized and \
        {c["name"] for c in out["categories"]} == names
    print(f"{'ok' if ok else 'FAIL'}: {n_img} images (want {n_images}, all sized from the "
          f"headers: {sized}), {len(anns)} annotations (want at least "
          f"{n_objects - n_crowd}), COCO's category names")
    sys.exit(0 if ok else 1)


# ------------------------------------------------------------------------------------------
# running and measuring
# ------------------------------------------------------------------------------------------
@dataclass
class Run:
    wall: float
    cpu: float
    maxrss_kib: int
    returncode: int


@dataclass
class Case:
    name: str
    argv: list[str]
    before: list[str] | None = None  # a path moved aside before each run (fresh output)
    runs: list[Run] = field(default_factory=list)
    group: str = ""


def compile_first() -> str:
    """Byte-compile the installed cococonv and its plugins, as ``pip install .`` does.

    An editable checkout run with PYTHONDONTWRITEBYTECODE=1 (as on the team's machine) never
    gets its ``.pyc`` files, so every timed run would compile some 100 modules from source
    first (0.1-0.15 s a run, measured): a cost of that checkout, not of cococonv. A
    ``--variant`` run from another tree is not compiled here: compile it yourself.
    """
    where = subprocess.run(
        [sys.executable, "-c", "import os, cococonv, cococonv_plugins\n"
         "for m in (cococonv, cococonv_plugins): print(os.path.dirname(m.__file__))"],
        capture_output=True, text=True, check=True).stdout.split()
    subprocess.run([sys.executable, "-m", "compileall", "-q", *where], check=True,
                   stdout=subprocess.DEVNULL)
    return f"compiled first ({', '.join(where)}; --no-compile to time it as found)"


def run_measured(argv: list[str], *, env: dict | None = None,
                 stdout=subprocess.DEVNULL) -> tuple[Run, str]:
    """Run argv; wall time, user+sys CPU and peak RSS from os.wait4 (this child only)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=stdout, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode), stderr


def run_checked(argv: list[str], what: str) -> str:
    proc = subprocess.run(argv, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{what} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


def _rm(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


SETTLE_SECONDS = 300
SETTLE_STAMP = os.path.join(tempfile.gettempdir(), "cococonv-bench-last-delete")


def _move_aside(path: str, trash: str) -> None:
    """Rename a previous output out of the way; it is deleted after the timed rounds.

    This machine's ext4 has no journal, and without one ext4 avoids reusing inodes deleted
    in the last 5 minutes: each new file's inode is found by scanning past every recently
    deleted one (perf: ``find_inode_bit`` / ``recently_deleted``), so creating files soon
    after a mass delete costs 0.1-0.3 ms each instead of ~35 us; 15,000 mask files then
    take seconds of system time. A round must not pay for the previous round's delete,
    and a run must not pay for the last run's (see ``settle``)."""
    if os.path.lexists(path):
        os.makedirs(trash, exist_ok=True)
        os.rename(path, os.path.join(trash, f"{len(os.listdir(trash))}"))


def run_cases(cases: list[Case], repeat: int, warmup: int) -> None:
    """A/B/A/B...: every round runs each case once, in the same order."""
    total = warmup + repeat
    trashes = set()
    for r in range(total):
        for case in cases:
            for path in case.before or ():
                trash = os.path.join(os.path.dirname(os.path.abspath(path)), ".trash")
                trashes.add(trash)
                _move_aside(path, trash)
            os.sync()  # earlier rounds' writeback must not land inside this one
            result, stderr = run_measured(case.argv)
            if result.returncode != 0:
                sys.exit(f"{case.name} failed ({result.returncode}): {shlex.join(case.argv)}\n"
                         f"{stderr[-3000:]}")
            if r >= warmup:
                case.runs.append(result)
            print(f"  round {r + 1}/{total}{' (warm-up)' if r < warmup else ''} "
                  f"{case.name:<24} {result.wall:7.2f} s  {result.maxrss_kib / 1024:7.1f} MiB",
                  file=sys.stderr)
    for trash in trashes:
        _rm(trash)
    if trashes:
        with open(SETTLE_STAMP, "w") as fh:
            fh.write(str(time.time()))


def settle(wait: bool) -> None:
    """Wait until the last run's deletes are 5 minutes old (see ``_move_aside``)."""
    try:
        with open(SETTLE_STAMP) as fh:
            left = float(fh.read()) + SETTLE_SECONDS - time.time()
    except (OSError, ValueError):
        return
    if left <= 0:
        return
    if not wait:
        print(f"note: the last run deleted its outputs {SETTLE_SECONDS - left:.0f} s ago; "
              f"file creation is slower for {left:.0f} s more (journal-less ext4)",
              file=sys.stderr)
        return
    print(f"waiting {left:.0f} s for the last run's deleted inodes to age "
          f"(--no-settle skips this)", file=sys.stderr)
    time.sleep(left)


def print_table(cases: list[Case], reference: Case | None) -> list[dict]:
    rows = []
    header = (f"{'command':<24} {'median s':>9} {'min s':>7} {'cpu s':>7} {'peak MiB':>9} "
              f"{'time x':>7} {'RSS x':>7}")
    print(header)
    print("-" * len(header))
    for case in cases:
        t = median([r.wall for r in case.runs])
        cpu = median([r.cpu for r in case.runs])
        rss = max(r.maxrss_kib for r in case.runs) / 1024
        row = {"name": case.name, "median_s": t, "min_s": min(r.wall for r in case.runs),
               "cpu_s": cpu, "peak_rss_mib": rss, "runs": [r.__dict__ for r in case.runs]}
        ratio_t = ratio_m = ""
        if reference is not None and case is not reference:
            ref_t = median([r.wall for r in reference.runs])
            ref_m = max(r.maxrss_kib for r in reference.runs) / 1024
            row["time_ratio"], row["rss_ratio"] = t / ref_t, rss / ref_m
            ratio_t, ratio_m = f"{t / ref_t:.2f}", f"{rss / ref_m:.2f}"
        print(f"{case.name:<24} {t:9.2f} {row['min_s']:7.2f} {cpu:7.2f} {rss:9.1f} "
              f"{ratio_t:>7} {ratio_m:>7}")
        rows.append(row)
    return rows


def orjson_baseline(src_json: str, work: str) -> Case:
    """The floor every path is compared with, in the same interleaved rounds: a bare
    orjson load + dump of the instances file."""
    base_out = os.path.join(work, "baseline-out.json")
    script = ("import orjson, sys\n"
              "with open(sys.argv[1], 'rb') as f: d = orjson.loads(f.read())\n"
              "with open(sys.argv[2], 'wb') as f: f.write(orjson.dumps(d))\n")
    return Case("baseline orjson", [sys.executable, "-c", script, src_json, base_out],
                before=[base_out])


def time_builds(baseline: Case, label: str, builds: list[tuple[str, list[str]]],
                out_of: Callable[[str], str], argv_of: Callable[[list[str], str], list[str]],
                args: argparse.Namespace) -> list[dict]:
    """Time every build's command (``argv_of(build command, its output)``) interleaved with
    the floor, and print the table of medians and ratios to it."""
    cases = [baseline] + [Case(f"{label}{name}", argv_of(cmd, out_of(name)),
                               before=[out_of(name)]) for name, cmd in builds]
    print("commands:")
    for case in cases:
        print(f"  {case.name}: {shlex.join(case.argv)}")
    run_cases(cases, args.repeat, args.warmup)
    return print_table(cases, baseline)


def _yolo_path(path: str, baseline: Case, builds: list[tuple[str, list[str]]],
               cococonv: list[str], src_dir: str, src_json: str, work: str,
               counts: tuple[int, int, int], args: argparse.Namespace) -> list[dict]:
    """coco-yolo (default options) or yolo-coco (sizes from the image headers)."""
    images = os.path.join(src_dir, "images", "val2017")
    if not os.path.isdir(images):
        run_checked([sys.executable, SELF, "_worker", "images", src_json, images],
                    "writing the images")
    counted = [str(n) for n in counts]
    if path == "coco-yolo":
        rows = time_builds(
            baseline, "coco->yolo ", builds, lambda name: f"{work}/yolo-out-{name}",
            lambda cmd, out: cmd + ["-q", "convert", "-if", "coco", "-i", src_dir, "-f",
                                    "yolo", "-o", out, "--overwrite"], args)
        for name, _cmd in builds if not args.no_verify else []:
            print(f"check {name}: " + run_checked(
                [sys.executable, SELF, "_worker", "verify-yolo", f"{work}/yolo-out-{name}",
                 *counted], "check coco->yolo"))
        return rows
    yolo_in = os.path.join(work, "yolo-in")
    if not os.path.isdir(yolo_in):
        run_checked(cococonv + ["-q", "convert", "-if", "coco", "-i", src_dir, "-f", "yolo",
                                "-o", yolo_in, "--save-images", "--overwrite"],
                    "making the yolo input")
        os.remove(os.path.join(yolo_in, "yolo_meta.json"))  # sizes from the headers
    rows = time_builds(
        baseline, "yolo->coco ", builds, lambda name: f"{work}/yolo-coco-{name}",
        lambda cmd, out: cmd + ["-q", "convert", "-if", "yolo", "-i", yolo_in, "-f", "coco",
                                "-o", out, "--overwrite"], args)
    for name, _cmd in builds if not args.no_verify else []:
        out = os.path.join(work, f"yolo-coco-{name}", "annotations")
        files = sorted(os.path.join(out, f) for f in os.listdir(out)) \
            if os.path.isdir(out) else []
        print(f"check {name}: " + run_checked(
            [sys.executable, SELF, "_worker", "verify-yolo-coco", *files[:1], *counted],
            "check yolo->coco"))
    return rows


def registry_formats(cococonv: list[str]) -> dict:
    import json
    out = run_checked(cococonv + ["formats", "--json"], "cococonv formats --json")
    return json.loads(out)


def plugin_options(cococonv: list[str], name: str) -> list[dict]:
    import json
    out = run_checked(cococonv + ["formats", name, "--json"], f"cococonv formats {name}")
    return [opt for entry in json.loads(out) for opt in entry.get("options", [])]


def parse_importtime(stderr: str) -> dict[str, dict]:
    """Heavy packages in ``-X importtime`` output: cost (ms, incl. children) and importer."""
    lines = []
    for raw in stderr.splitlines():
        if not raw.startswith("import time:"):
            continue
        parts = raw[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name_col = parts[2].rstrip()
        indent = len(name_col) - len(name_col.lstrip())
        lines.append((indent, name_col.strip(), int(parts[1])))
    found: dict[str, dict] = {}
    for i, (indent, name, cumulative) in enumerate(lines):
        top = name.split(".")[0]
        if top not in HEAVY_MODULES:
            continue
        # importtime prints children before their parent: the parent is the next shallower line
        parent = next((n for d, n, _c in lines[i + 1:] if d < indent), "<main>")
        entry = found.setdefault(top, {"ms": 0.0, "via": None})
        if parent.split(".")[0] != top:  # an outermost line of this package
            entry["ms"] += cumulative / 1e3
            entry["via"] = entry["via"] or parent
    return dict(sorted(found.items()))


def import_check(commands: list[tuple[str, list[str]]], src_dir: str, work: str,
                 repeat: int) -> dict:
    """Heavy imports on the coco->coco path; startup time of --help and of a tiny conversion.

    ``PYTHONPROFILEIMPORTTIME=1`` is ``-X importtime`` for any command (console script,
    ``python -m cococonv``, a variant behind ``env``).
    """
    tiny = os.path.join(work, "tiny")
    tiny_ann = os.path.join(tiny, ANN_REL)
    if not os.path.exists(tiny_ann):
        run_checked([sys.executable, SELF, "_worker", "generate", tiny_ann,
                     "3", "2", "1", "0"], "tiny dataset")
    tiny_args = ["-q", "convert", "-if", "coco", "-i", tiny, "-f", "coco", "-o",
                 os.path.join(work, "tiny-out"), "--reindex", "--overwrite"]
    full_args = ["-q", "convert", "-if", "coco", "-i", src_dir, "-f", "coco", "-o",
                 os.path.join(work, "imports-out"), "--reindex", "--overwrite"]
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    result: dict = {}
    rounds = max(5, repeat)
    base = median([run_measured([sys.executable, "-c", "import orjson"])[0].wall
                   for _ in range(rounds)])
    result["python_orjson_median_s"] = base
    print(f"  reference: python -c 'import orjson': median {base * 1e3:.0f} ms")
    for name, cmd in commands:
        entry: dict = {}
        for label, args in (("--help", ["--help"]), ("tiny coco->coco", tiny_args),
                            ("full coco->coco", full_args)):
            proc = subprocess.run(cmd + args, check=False, capture_output=True, text=True,
                                  env=env)
            if proc.returncode != 0:
                sys.exit(f"import check {name} {label} failed:\n{proc.stderr[-2000:]}")
            heavy = parse_importtime(proc.stderr)
            entry[label] = heavy
            shown = "; ".join(f"{k} {v['ms']:.0f} ms (via {v['via']})"
                              for k, v in heavy.items()) or "none"
            print(f"  {name}: heavy imports, {label:<16}: {shown}")
        bad = sorted(set(entry["tiny coco->coco"]) | set(entry["full coco->coco"]))
        entry["ok"] = not bad
        print(f"  {name}: {'OK: no heavy module' if not bad else 'NOT OK: ' + ', '.join(bad)}"
              f" on coco->coco")
        helps = [run_measured(cmd + ["--help"])[0].wall for _ in range(rounds)]
        tinies = [run_measured(cmd + tiny_args)[0] for _ in range(rounds)]
        entry["help_median_s"] = median(helps)
        entry["tiny_median_s"] = median([r.wall for r in tinies])
        entry["tiny_peak_rss_mib"] = max(r.maxrss_kib for r in tinies) / 1024
        print(f"  {name}: --help median {entry['help_median_s'] * 1e3:.0f} ms; tiny conversion "
              f"median {entry['tiny_median_s'] * 1e3:.0f} ms, "
              f"{entry['tiny_peak_rss_mib']:.1f} MiB")
        result[name] = entry
    return result


def verdict(rows: list[dict], max_time: float, max_rss: float) -> None:
    """The targets: time and peak RSS against the baseline."""
    for row in rows:
        if "time_ratio" not in row:
            continue
        ok_t, ok_m = row["time_ratio"] <= max_time, row["rss_ratio"] <= max_rss
        print(f"  {row['name']:<22} time {row['time_ratio']:.2f}x "
              f"({'ok' if ok_t else 'over'} <= {max_time}x), peak RSS {row['rss_ratio']:.2f}x "
              f"({'ok' if ok_m else 'over'} <= {max_rss}x)")


def repo_state() -> str:
    """The commit of the checkout this script lives in, and whether it has changes."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(SELF)))
    try:
        git = ["git", "-C", repo]
        head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], check=False,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"],
                               check=False, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "unknown"


# ------------------------------------------------------------------------------------------
def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        _worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=5000, help="images (default 5000)")
    parser.add_argument("--anns", type=int, default=7, help="annotations per image (default 7)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crowd", type=float, default=0.01,
                        help="fraction of iscrowd annotations with RLE (default 0.01)")
    parser.add_argument("--paths", default="coco-coco",
                        help="comma-separated: coco-coco, coco-voc, voc-coco, coco-yolo, "
                             "yolo-coco (default coco-coco)")
    parser.add_argument("--work", default=None,
                        help="work dir (default: $TMPDIR/cococonv-bench-<images>x<anns>-s<seed>)")
    parser.add_argument("--regen", action="store_true", help="regenerate the dataset")
    parser.add_argument("--voc-jobs", type=int, default=None, metavar="N",  # both voc paths
                        help="pass --jobs N to the coco-voc and voc-coco conversions")
    parser.add_argument("--cococonv", default=None,
                        help="command that runs cococonv (default: the cococonv script next "
                             "to this python)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=CMD",
                        help="also time another cococonv command on every path, interleaved")
    parser.add_argument("--no-verify", action="store_true", help="skip output checks")
    parser.add_argument("--no-settle", action="store_true",
                        help="do not wait for the last run's deleted outputs to age 5 minutes "
                             "(on a journal-less ext4 new files are slow until then)")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not byte-compile cococonv before timing (see compile_first)")
    parser.add_argument("--no-imports", action="store_true",
                        help="skip the -X importtime / startup check")
    parser.add_argument("--json-out", default=None, help="write the figures as JSON here")
    parser.add_argument("--max-time-ratio", type=float, default=1.5,
                        help="target: cococonv median time / baseline (default 1.5)")
    parser.add_argument("--max-rss-ratio", type=float, default=1.0,
                        help="target: cococonv peak RSS / baseline (default 1.0)")
    args = parser.parse_args()

    def command(text: str) -> list[str]:
        """Split a command; relative paths in it (tokens with a /) made absolute."""
        return [os.path.abspath(t) if "/" in t and not os.path.isabs(t) and "=" not in t
                and os.path.exists(t) else t for t in shlex.split(text)]

    bindir = os.path.dirname(sys.executable)
    if args.json_out:
        args.json_out = os.path.abspath(args.json_out)
    if args.cococonv:
        cococonv = command(args.cococonv)
    elif os.path.exists(os.path.join(bindir, "cococonv")):
        cococonv = [os.path.join(bindir, "cococonv")]
    else:
        cococonv = [sys.executable, "-m", "cococonv"]
    variants = [(v.split("=", 1)[0], command(v.split("=", 1)[1])) for v in args.variant]
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    for p in paths:
        if p not in ("coco-coco", "coco-voc", "voc-coco", "coco-yolo", "yolo-coco"):
            parser.error(f"unknown path {p!r}")

    default_work = os.path.join(tempfile.gettempdir(),
                                f"cococonv-bench-{args.images}x{args.anns}-s{args.seed}")
    work = os.path.abspath(args.work or default_work)
    src_dir = os.path.join(work, "coco")
    src_json = os.path.join(src_dir, ANN_REL)
    stamp = os.path.join(work, "params.txt")
    params = f"{args.images} {args.anns} {args.seed} {args.crowd} v2"
    os.makedirs(work, exist_ok=True)
    # Run everything from the work dir: `python -m cococonv` puts the cwd first on sys.path,
    # which would shadow a --variant's PYTHONPATH when started from the repo root.
    os.chdir(work)
    stamped = ""
    if os.path.exists(stamp):
        with open(stamp) as fh:
            stamped = fh.read()
    if args.regen or not os.path.exists(src_json) or stamped != params:
        t0 = time.perf_counter()
        run_checked([sys.executable, SELF, "_worker", "generate", src_json,
                     str(args.images), str(args.anns), str(args.seed), str(args.crowd)],
                    "generation")
        with open(stamp, "w") as fh:
            fh.write(params)
        print(f"generated {src_json} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if "coco-voc" in paths:
        settle(not args.no_settle)
    n_img, n_ann, n_crowd = map(int, run_checked(
        [sys.executable, SELF, "_worker", "stats", src_json],
        "stats").split())
    size_mb = os.path.getsize(src_json) / 1e6
    print(f"dataset: {src_json}\n  {n_img} images, {n_ann} annotations ({n_crowd} crowd RLE), "
          f"{size_mb:.1f} MB")
    print(f"code: {repo_state()}")
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, "
          f"rounds {args.repeat} (+{args.warmup} warm-up), interleaved")
    print(f"bytecode: {'as found' if args.no_compile else compile_first()}")
    null_run, _ = run_measured([sys.executable, "-c", "import orjson"])
    print(f"floor: python + orjson import = {null_run.maxrss_kib / 1024:.1f} MiB, "
          f"{null_run.wall * 1e3:.0f} ms")

    report: dict = {"dataset": {"path": src_json, "images": n_img, "annotations": n_ann,
                                "crowd": n_crowd, "mb": size_mb}, "paths": {}}
    formats = None

    builds = [("cococonv", cococonv)] + variants
    for path in paths:
        print(f"\n== {path} ==")
        baseline = orjson_baseline(src_json, work)
        if path == "coco-coco":
            report["paths"][path] = time_builds(
                baseline, "", builds, lambda name: os.path.join(work, f"out-{name}"),
                lambda cmd, out: cmd + ["-q", "convert", "-if", "coco", "-i", src_dir, "-f",
                                        "coco", "-o", out, "--reindex", "--overwrite"], args)
            print("targets (median time, peak RSS vs the baseline):")
            verdict(report["paths"][path], args.max_time_ratio, args.max_rss_ratio)
            if not args.no_verify:
                for name, _cmd in builds:
                    out_json = os.path.join(work, f"out-{name}", ANN_REL)
                    print(f"check {name}: ", end="", flush=True)
                    print(run_checked([sys.executable, SELF, "_worker",
                                       "verify-coco", src_json, out_json], f"check {name}"))
            continue

        if formats is None:
            formats = registry_formats(cococonv)
        exporters = formats.get("exporter", formats.get("exporters", []))
        importers = formats.get("importer", formats.get("importers", []))
        if path in ("coco-yolo", "yolo-coco"):
            settle(not args.no_settle)  # an earlier path's deletes slow these creations
            report["paths"][path] = _yolo_path(path, baseline, builds, cococonv, src_dir,
                                               src_json, work, (n_img, n_ann, n_crowd), args)
            continue
        if "voc" not in exporters or "voc" not in importers:
            print(f"skipped: cococonv has no voc importer/exporter yet (`cococonv formats` "
                  f"lists exporters: {', '.join(exporters)}); {path} runs once it exists")
            continue
        voc_out = os.path.join(work, "voc-out")
        jobs = ["--jobs", str(args.voc_jobs)] if args.voc_jobs is not None else []
        if path == "coco-voc":
            extra: list[str] = []
            for opt in plugin_options(cococonv, "voc"):
                if "mask" in opt["name"] and opt["type"] == "bool" and not opt["default"]:
                    extra.append(opt["flag"])  # e.g. --save-masks: paint masks too
            report["paths"][path] = time_builds(
                baseline, "coco->voc ", builds, lambda name: f"{voc_out}-{name}",
                lambda cmd, out: cmd + ["-q", "convert", "-if", "coco", "-i", src_dir, "-f",
                                        "voc", "-o", out, "--overwrite", *extra, *jobs], args)
            if not args.no_verify:
                for name, _cmd in builds:
                    print(f"check {name}: " + run_checked(
                        [sys.executable, SELF, "_worker", "verify-voc", f"{voc_out}-{name}",
                         str(n_img), str(n_ann), str(n_crowd)], "check coco->voc"))
        else:  # voc-coco: reads what coco-voc wrote (made once, untimed, if missing)
            voc_in = os.path.join(work, "voc-in")
            if not os.path.isdir(voc_in):
                run_checked(cococonv + ["-q", "convert", "-if", "coco", "-i", src_dir, "-f", "voc",
                                        "-o", voc_in, "--overwrite"], "making the voc input")
            report["paths"][path] = time_builds(
                baseline, "voc->coco ", builds, lambda name: f"{work}/voc-coco-{name}",
                lambda cmd, out: cmd + ["-q", "convert", "-if", "voc", "-i", voc_in, "-f",
                                        "coco", "-o", out, "--overwrite", *jobs], args)
            for name, _cmd in builds if not args.no_verify else []:
                out = f"{work}/voc-coco-{name}"
                files = [os.path.join(d, f) for d, _s, fs in os.walk(os.path.join(out,
                         "annotations")) for f in fs if f.endswith(".json")]
                if len(files) != 1:
                    print(f"check {name}: FAIL: expected one annotation file, got {files}")
                else:
                    print(f"check {name}: " + run_checked(
                        [sys.executable, SELF, "_worker", "verify-voc-coco",
                         files[0], str(n_img), str(n_ann), str(n_crowd)], "check voc->coco"))

    if not args.no_imports and "coco-coco" in paths:
        print("\n== imports and startup (PYTHONPROFILEIMPORTTIME=1, i.e. -X importtime) ==")
        report["imports"] = import_check(builds, src_dir, work,
                                         args.repeat)

    import resource
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(parent peak RSS {parent:.1f} MiB: a child's figure cannot be below this)")
    if args.json_out:
        import json
        with open(args.json_out, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
