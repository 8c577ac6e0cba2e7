"""Benchmark the segment_anything (SA-1B) reader and writer on generated SA-1B-like files.

    .venv/bin/python tests/benchmarks/bench_sa1b.py --files 200 --masks 100 --repeat 3
    .venv/bin/python tests/benchmarks/bench_sa1b.py --files 200,2000 --masks 20 --repeat 1

1. Generates (seeded, cached in the work dir) FILES files ``sa_<n>.json`` as SA-1B has them:
   an image of 1500 x 2250 (SA-1B's short side is 1500), MASKS masks each, compressed RLE of a
   random polygon, with bbox, area, predicted_iou, point_coords, crop_box, stability_score.
2. Runs, as subprocesses interleaved round by round so they share the machine's noise:
   ``convert`` segment_anything -> segment_anything and -> coco (``-j 1``), and the floor: a
   bare loop that reads each file, parses it with orjson and writes it back.
3. Prints median wall time, peak RSS (``os.wait4``), and the ratios to the floor. Several
   ``--files`` counts show how peak RSS grows with the number of files (it should not, for
   SA -> SA; COCO's writer gathers every record).

Not collected by pytest (pyproject's norecursedirs).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HEIGHT, WIDTH = 2250, 1500
FLOOR = """
import os, sys, orjson
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name), "rb") as fh:
        doc = orjson.loads(fh.read())
    with open(os.path.join(dst, name), "wb") as fh:
        fh.write(orjson.dumps(doc))
"""


def generate(folder: str, files: int, count: int, seed: int = 0) -> None:
    """SA-1B-like files (no images: the run converts labels only)."""
    import numpy as np
    from pycocotools import mask as M

    rng = random.Random(seed)
    os.makedirs(folder)
    for n in range(1, files + 1):
        anns = []
        for k in range(count):
            cx, cy = rng.uniform(100, WIDTH - 100), rng.uniform(100, HEIGHT - 100)
            radius = rng.uniform(10, 300)
            angles = sorted(rng.uniform(0, 2 * np.pi) for _ in range(24))
            ring = [v for a in angles for v in (cx + radius * rng.uniform(0.5, 1) * np.cos(a),
                                                cy + radius * rng.uniform(0.5, 1) * np.sin(a))]
            rle = M.frPyObjects([ring], HEIGHT, WIDTH)[0]
            box = [float(v) for v in M.toBbox(rle)]
            anns.append({"id": n * 1000 + k, "segmentation": {
                "size": [HEIGHT, WIDTH], "counts": rle["counts"].decode()},
                "bbox": box, "area": int(M.area(rle)), "predicted_iou": rng.random(),
                "point_coords": [[cx, cy]], "crop_box": [0.0, 0.0, float(WIDTH), float(HEIGHT)],
                "stability_score": rng.random()})
        doc = {"image": {"image_id": n, "width": WIDTH, "height": HEIGHT,
                         "file_name": f"sa_{n}.jpg"}, "annotations": anns}
        with open(os.path.join(folder, f"sa_{n}.json"), "w") as fh:
            json.dump(doc, fh)


def run(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process; it must succeed."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    stderr = child.stderr.read().decode() if child.stderr else ""
    if status != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="200", help="comma-separated file counts")
    parser.add_argument("--masks", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "cococonv-sa1b"))
    args = parser.parse_args()
    cococonv = [sys.executable, "-m", "cococonv"]
    for files in (int(v) for v in args.files.split(",")):
        data = os.path.join(args.work, f"sa-{files}x{args.masks}")
        if not os.path.isdir(data):
            generate(data, files, args.masks)
        size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data))
        paths = {
            "floor (orjson load+dump)": lambda out: [sys.executable, "-c", FLOOR, data, out],
            "sa -> sa": lambda out: cococonv + ["convert", "-if", "segment_anything", "-i",
                                                data, "-f", "segment_anything", "-o", out,
                                                "-j", "1", "-q"],
            "sa -> coco": lambda out: cococonv + ["convert", "-if", "segment_anything", "-i",
                                                  data, "-f", "coco", "-o", out, "-j", "1",
                                                  "-q"],
        }
        times: dict[str, list[float]] = {name: [] for name in paths}
        peaks: dict[str, list[int]] = {name: [] for name in paths}
        for _round in range(args.repeat):
            for name, command in paths.items():
                out = os.path.join(args.work, "out")
                shutil.rmtree(out, ignore_errors=True)
                wall, peak = run(command(out))
                times[name].append(wall)
                peaks[name].append(peak)
        floor = statistics.median(times["floor (orjson load+dump)"])
        print(f"{files} files x {args.masks} masks ({size / 2**20:.1f} MiB of JSON), "
              f"median of {args.repeat}:")
        for name in paths:
            median = statistics.median(times[name])
            print(f"  {name:<26} {median:7.2f} s  {median / floor:5.2f}x the floor  "
                  f"peak RSS {max(peaks[name]) / 2**20:6.1f} MiB")
    shutil.rmtree(os.path.join(args.work, "out"), ignore_errors=True)


if __name__ == "__main__":
    main()
