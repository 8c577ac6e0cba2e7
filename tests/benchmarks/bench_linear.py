"""Time the inputs whose unit tests once held wall-clock bounds (they flaked under load; the
tests now count steps or memory, see tests/scaling.py), at the sizes that showed the bugs:

    .venv/bin/python tests/benchmarks/bench_linear.py --repeat 5

- cvat: 5,000 images (a box with an attribute and a polygon each), ``cococonv.load``;
- label_studio: 20,000 regions chained by ``parentID`` with a cycle (once minutes);
- labelme: 40 2x2 masks in a file declaring 16384x16384, labelme -> labelme -> coco
  (once over a minute: a full canvas per mask);
- sequence_prefix: a 200,000-character name of separators (once a backtracking regex).

Each case runs in this process, ``--repeat`` times after a warm-up; prints the median and
the spread of wall and CPU seconds. Run it from the checkout's root. Not collected by pytest.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def cvat_case(work: Path):
    import cococonv
    from tests.plugins.test_cvat_import import cvat_images

    (work / "cvat").mkdir()
    (work / "cvat" / "annotations.xml").write_text(cvat_images(5000))
    return lambda: cococonv.load(str(work / "cvat"), "cvat")


def label_studio_case(work: Path):
    import cococonv
    from cococonv import Report
    from tests.cli.test_redteam_label_studio import chain
    from tests.plugins.label_studio_tasks import task, write

    path = write(work / "ls", [task(*chain(20000))])
    return lambda: cococonv.load(str(path), "label_studio", report=Report(quiet=True))


def labelme_case(work: Path):
    import numpy as np

    import cococonv
    from cococonv import Report
    from tests.plugins.labelme_files import doc, png_b64, shape, write

    patch = png_b64(np.ones((2, 2), np.uint8))
    shapes = [shape("m", [[k, k], [k + 1, k + 1]], "mask", mask=patch) for k in range(40)]
    write(work / "lm_in", {"a.json": doc(shapes, imageHeight=16384, imageWidth=16384)})

    def run() -> None:
        for src, fmt, out in (("lm_in", "labelme", "lm"), ("lm", "coco", "coco")):
            cococonv.convert(str(work / src), str(work / out), output_format=fmt,
                             input_format="labelme", overwrite=True, jobs=1,
                             report=Report(quiet=True))
    return run


def prefix_case(_work: Path):
    from cococonv.splitting import sequence_prefix

    name = "a" + "_" * 200_000 + "1"
    return lambda: sequence_prefix(name)


CASES = {"cvat": cvat_case, "label_studio": label_studio_case, "labelme": labelme_case,
         "sequence_prefix": prefix_case}


def measure(run, repeat: int) -> tuple[list[float], list[float]]:
    run()  # warm-up: imports, caches
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    print(f"{'case':16} {'wall median':>11} {'min-max':>13} {'cpu median':>10}")
    with tempfile.TemporaryDirectory(prefix="bench-linear-") as tmp:
        for name in args.cases.split(","):
            work = Path(tmp) / name
            work.mkdir()
            walls, cpus = measure(CASES[name](work), args.repeat)
            print(f"{name:16} {statistics.median(walls):10.3f}s "
                  f"{min(walls):6.3f}-{max(walls):.3f}s {statistics.median(cpus):9.3f}s")


if __name__ == "__main__":
    main()
