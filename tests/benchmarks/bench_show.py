"""Benchmark `cococonv show` on bench.py's generated COCO dataset (5,000 images x 7 objects by
default, with solid-colour JPEGs), interleaved with `cococonv info` on the same input, which
reads the dataset and does nothing else, and with bench.py's orjson floor:

    .venv/bin/python tests/benchmarks/bench_show.py --images 5000 --repeat 5

Prints the medians, the time `show` takes beyond reading (show - info), the page's size, an
in-process breakdown (load, then build + render + write of the page), and, when Playwright
and Chromium are installed, how long the page takes to open, how many cards it fills at
first and that scrolling fills more (the lazy loading). Not collected by pytest.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the generator, the runner and the table)


def breakdown(src_dir: str, html: str) -> None:
    """Load once, then time the gallery alone, in this process."""
    import cococonv
    from cococonv.gallery import write_gallery
    from cococonv.report import Report

    t0 = time.perf_counter()
    dataset = cococonv.load(src_dir, "coco", report=Report(quiet=True), jobs=1)
    t1 = time.perf_counter()
    result = write_gallery([dataset], html, overwrite=True)
    t2 = time.perf_counter()
    print(f"in-process: load {t1 - t0:.2f} s, gallery (data + HTML + write) {t2 - t1:.2f} s; "
          f"{result.items} items, {result.annotations} annotations, "
          f"{result.bytes / 1e6:.1f} MB")


def open_in_browser(html: str) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: playwright not installed, skipped")
        return
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        t0 = time.perf_counter()
        page.goto("file://" + os.path.abspath(html))
        page.wait_for_load_state("load")
        opened = time.perf_counter() - t0
        first = page.locator(".card.filled").count()
        cards = page.locator(".card").count()
        t1 = time.perf_counter()
        page.mouse.wheel(0, 30000)
        page.wait_for_function("n => document.querySelectorAll('.card.filled').length > n",
                               arg=first)
        scrolled = time.perf_counter() - t1
        later = page.locator(".card.filled").count()
        browser.close()
    print(f"browser: opened in {opened:.2f} s with {cards} cards, {first} filled; a scroll "
          f"filled {later - first} more in {scrolled:.2f} s; page errors: {errors or 'none'}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_breakdown":
        breakdown(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--anns", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = os.path.join(bench.tempfile.gettempdir(),
                        f"cococonv-bench-show-{args.images}x{args.anns}-s{args.seed}")
    src_dir = os.path.join(work, "coco")
    src_json = os.path.join(src_dir, bench.ANN_REL)
    if not os.path.exists(src_json):
        bench.run_checked([sys.executable, bench.SELF, "_worker", "generate", src_json,
                           str(args.images), str(args.anns), str(args.seed), "0.01"],
                          "generation")
        bench.run_checked([sys.executable, bench.SELF, "_worker", "images", src_json,
                           os.path.join(src_dir, "images", "val2017")], "writing the images")
    cococonv = os.path.join(os.path.dirname(sys.executable), "cococonv")
    html = os.path.join(work, "gallery.html")
    cases = [bench.orjson_baseline(src_json, work),
             bench.Case("info (reading only)", [cococonv, "-q", "info", "-if", "coco", "-i",
                                                src_dir, "-j", "1"]),
             bench.Case("show", [cococonv, "-q", "show", "-if", "coco", "-i", src_dir,
                                 "-o", html, "--overwrite"])]
    print(f"dataset: {src_json} ({os.path.getsize(src_json) / 1e6:.1f} MB)")
    bench.run_cases(cases, args.repeat, args.warmup)
    rows = bench.print_table(cases, cases[0])
    beyond = rows[2]["median_s"] - rows[1]["median_s"]
    print(f"show beyond reading (median show - median info): {beyond:.2f} s; page "
          f"{os.path.getsize(html) / 1e6:.1f} MB")
    print(bench.run_checked([sys.executable, os.path.abspath(__file__), "_breakdown", src_dir,
                             html], "breakdown"))
    open_in_browser(html)


if __name__ == "__main__":
    main()
