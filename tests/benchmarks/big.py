"""Peak memory and time of cococonv on multi-GB COCO files, beside the orjson floor.

    .venv/bin/python tests/benchmarks/big.py --sizes 200M,1G,3G --work /tmp/big
    .venv/bin/python tests/benchmarks/big.py --sizes 200M --paths coco-coco --keep
    .venv/bin/python tests/benchmarks/big.py --sizes 1G --paths coco-voc \
        --floor-lock /tmp/lead/bigmem.lock

What it does, one size at a time (smallest first):

1. Writes (seeded) ``<work>/<size>/annotations/instances_train.json`` of about that many
   bytes, streamed to disk (never held whole): images of COCO's sizes, ~7 annotations per
   image on average, each naming a random image (COCO files are not grouped by image),
   polygons as bench.py makes them, ~1 % crowd RLE (a pool of 20,000 outlines per image
   size, reused with new ids and categories). It prints the images and annotations.
2. Runs, each as a subprocess read with ``os.wait4`` (peak RSS of that child only):
   the floor (an orjson load + dump of the file), then each chosen path with
   ``--streaming on``: ``coco-coco`` (``-f coco``), ``coco-voc`` (``-f voc_detection``:
   the XML files) and ``coco-voc-masks`` (``-f voc``: XML files and the two segmentation
   PNGs of each image); each with ``-memory`` (``coco-voc-memory``) runs
   ``--streaming off``. The floor is skipped where it cannot fit (``--floor-max``, default
   1.5 GB: orjson holds ~9x the file); its figure there is extrapolated from the smaller
   sizes, and labelled so. ``--floor-lock FILE`` holds an exclusive ``flock`` on FILE while
   the floor runs (a shared machine's lock for big-memory runs; the wait is not timed).
   A file kept by an earlier ``--keep`` run is used again (the generator is seeded).
3. Prints wall and CPU time (user + sys), peak RSS, RSS / file size, and both times / the
   floor's (CPU seconds are the steadier figure on a shared machine), then deletes the
   size's files unless ``--keep``.

Run it alone, late, with ``nice``: it needs about 4 GB of memory at 3 GB and ~3x the
largest size of disk. Not collected by pytest.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (its generators and its measured runner)

UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
#: Each path's output format and --streaming mode.
PATHS = {"coco-coco": ("coco", "on"), "coco-voc": ("voc_detection", "on"),
         "coco-voc-masks": ("voc", "on")}
PATHS.update({f"{name}-memory": (fmt, "off") for name, (fmt, _mode) in list(PATHS.items())})
IMAGE_BYTES = 3700  # one image with its ~7 annotations, as generated here


def parse_size(text: str) -> int:
    text = text.strip().upper().removesuffix("B")
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


#: Outlines made per image size, then reused (with new ids, images and categories): making
#: one costs ~50 us of Python, which would be most of the time of writing 3 GB.
POOL = 20_000


def _shape(rng: random.Random, w: int, h: int) -> dict:
    """One object's geometry: a polygon of 8-30 points as bench.py makes them, 1 % crowd
    RLE; its bbox and area consistent with it."""
    if rng.random() < 0.01:
        counts, area, box = bench._rle_blob(rng, w, h)
        return {"segmentation": {"counts": counts, "size": [h, w]}, "area": area,
                "iscrowd": 1, "bbox": box}
    ring = bench._polygon(rng, w, h, max(rng.randint(8, 30), rng.randint(8, 30)))
    xs, ys = ring[0::2], ring[1::2]
    x0, y0 = min(xs), min(ys)
    return {"segmentation": [ring], "area": bench._shoelace(ring), "iscrowd": 0,
            "bbox": [x0, y0, round(max(xs) - x0, 2), round(max(ys) - y0, 2)]}


def generate(path: str, size: int, seed: int = 0) -> tuple[int, int]:
    """Write a COCO instances file of about ``size`` bytes; (images, annotations)."""
    import orjson

    rng = random.Random(seed)
    n_images = max(1, size // IMAGE_BYTES)
    n_anns = n_images * 7
    sizes = [s for s, _ in bench.IMAGE_SIZES]
    weights = [w for _, w in bench.IMAGE_SIZES]
    dims = [rng.choices(sizes, weights)[0] for _ in range(n_images)]
    cat_ids = [c[0] for c in bench.COCO_CATEGORIES]
    pool: dict = {}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as fh:
        fh.write(b'{"info":{"description":"cococonv big benchmark (synthetic)"},'
                 b'"licenses":[{"id":1,"name":"synthetic","url":""}],"images":[')
        for k, (w, h) in enumerate(dims):
            fh.write((b"," if k else b"") + orjson.dumps({
                "license": 1, "file_name": f"{k + 1:012d}.jpg", "height": h, "width": w,
                "date_captured": "2013-11-14 17:02:52", "id": k + 1}))
        fh.write(b'],"annotations":[')
        for a in range(n_anns):
            k = rng.randrange(n_images)
            w, h = dims[k]
            shape = pool.get((w, h, a % POOL))
            if shape is None:
                shape = pool[(w, h, a % POOL)] = _shape(rng, w, h)
            record = dict(shape, image_id=k + 1, category_id=rng.choice(cat_ids), id=a + 1)
            fh.write((b"," if a else b"") + orjson.dumps(record))
        fh.write(b'],"categories":' + orjson.dumps(
            [{"supercategory": s, "id": i, "name": n} for i, n, s in bench.COCO_CATEGORIES])
            + b"}")
    os.replace(path + ".part", path)
    return n_images, n_anns


def measure(argv: list[str], out: str | None) -> bench.Run:
    if out is not None and os.path.exists(out):
        shutil.rmtree(out) if os.path.isdir(out) else os.remove(out)
    run, stderr = bench.run_measured(argv)
    if run.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({run.returncode}):\n{stderr}")
    return run


@contextlib.contextmanager
def locked(path: str | None):
    """An exclusive flock on ``path`` (the lock the ``flock`` command takes) while inside."""
    if path is None:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200M,1G,3G")
    parser.add_argument("--paths", default="coco-coco,coco-voc")
    parser.add_argument("--work", default="/tmp/cococonv-big")
    parser.add_argument("--floor-max", default="1.5G", help="largest file the floor runs on")
    parser.add_argument("--floor-lock", help="flock this file while the floor runs")
    parser.add_argument("--jobs", help="cococonv's --jobs (default: its own)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    unknown = [p for p in args.paths.split(",") if p not in PATHS]
    if unknown:
        parser.error(f"unknown path {unknown[0]} (known: {', '.join(PATHS)})")
    cococonv = [sys.executable, "-m", "cococonv"]
    floors: list[tuple[int, float, float]] = []  # (bytes, seconds, peak bytes)
    rows = []
    for text in args.sizes.split(","):
        size = parse_size(text)
        folder = os.path.join(args.work, text)
        src = os.path.join(folder, "annotations", "instances_train.json")
        if os.path.exists(src):  # kept (--keep) from an earlier run: seeded, so the same
            images = max(1, size // IMAGE_BYTES)
            anns = images * 7
        else:
            images, anns = generate(src, size)
        real = os.path.getsize(src)
        print(f"{text}: {real / 2**20:.0f} MiB, {images} images, {anns} annotations",
              flush=True)
        floor = None
        if real <= parse_size(args.floor_max):
            floor_out = os.path.join(folder, "floor.json")
            script = ("import orjson, sys\n"
                      "with open(sys.argv[1], 'rb') as f: d = orjson.loads(f.read())\n"
                      "with open(sys.argv[2], 'wb') as f: f.write(orjson.dumps(d))\n")
            with locked(args.floor_lock):
                run = measure([sys.executable, "-c", script, src, floor_out], floor_out)
            floor = (run.wall, run.cpu, run.maxrss_kib * 1024, "measured")
            floors.append((real, run.wall, run.cpu, run.maxrss_kib * 1024))
            os.remove(floor_out)
        elif floors:
            # time and peak of the floor grow linearly with the file: scaled from the
            # largest size measured, and labelled as such
            base, wall, cpu, peak = floors[-1]
            scale = real / base
            floor = (wall * scale, cpu * scale, peak * scale, "extrapolated")
        rows.append((text, real, "floor orjson load+dump", floor))
        for path in args.paths.split(","):
            target, mode = PATHS[path]
            out = os.path.join(args.work, f"out-{target}")
            jobs = ["--jobs", args.jobs] if args.jobs else []
            run = measure(cococonv + ["convert", "-if", "coco", "-i", folder, "-f", target,
                                      "-o", out, "--streaming", mode, "-q", *jobs], out)
            rows.append((text, real, f"{path} streaming {mode}",
                         (run.wall, run.cpu, run.maxrss_kib * 1024, "")))
            shutil.rmtree(out)
        if not args.keep:
            shutil.rmtree(folder)
        print_rows(rows, floors)


def print_rows(rows: list, floors: list) -> None:
    print(f"{'size':>6} {'case':<34} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} "
          f"{'RSS/file':>8} {'t/floor':>8} {'cpu/floor':>9}")
    floor_of = {}
    for text, real, case, figures in rows:
        if figures is None:
            continue
        wall, cpu, peak, note = figures
        if case.startswith("floor"):
            floor_of[text] = (wall, cpu)
        ratio = cpu_ratio = float("nan")
        if text in floor_of and not case.startswith("floor"):
            ratio, cpu_ratio = wall / floor_of[text][0], cpu / floor_of[text][1]
        print(f"{text:>6} {case:<34} {wall:8.1f} {cpu:8.1f} {peak / 2**20:9.0f} "
              f"{peak / real:8.2f} {ratio:8.2f} {cpu_ratio:9.2f} {note}", flush=True)


if __name__ == "__main__":
    main()
