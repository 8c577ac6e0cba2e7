"""SIGTERM and SIGHUP end a run as Ctrl-C does (red-team F23): the workers stopped, the
staging folder removed, nothing written, exit 128 + the signal; a SIGKILLed parent takes
its workers with it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc; the parent-death signal is Linux's")


def busy_coco(path: Path, count: int = 4000) -> Path:
    """Enough large polygon masks that painting them keeps two workers busy for seconds."""
    images, annotations = [], []
    for k in range(count):
        images.append({"id": k + 1, "file_name": f"{k:05d}.jpg", "width": 1200, "height": 900})
        x = 10 + k % 50
        annotations.append({"id": k + 1, "image_id": k + 1, "category_id": 1, "iscrowd": 0,
                            "segmentation": [[x, 10, 1150, 20, 1100, 880, x, 850]],
                            "bbox": [x, 10, 1140, 870], "area": 900000})
    path.mkdir()
    (path / "instances_default.json").write_text(json.dumps(
        {"images": images, "annotations": annotations,
         "categories": [{"id": 1, "name": "cat"}]}))
    return path / "instances_default.json"


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def start_busy_run(tmp_path: Path) -> tuple[subprocess.Popen, Path, set[int]]:
    source = busy_coco(tmp_path / "in")
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "cococonv", "convert", "-if", "coco", "-i",
                            str(source), "-f", "voc", "-o", str(out), "--jobs", "2"],
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and run.poll() is None:
        workers = children(run.pid)
        staged = [p for p in tmp_path.iterdir() if p.name.startswith(".cococonv-")]
        if len(workers) >= 2 and staged and any(staged[0].rglob("*.png")):
            break
        time.sleep(0.01)
    assert run.poll() is None and len(workers) >= 2, "the run ended before it was signalled"
    return run, out, workers


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_termination_stops_the_workers_and_leaves_nothing(tmp_path, signum):
    run, out, workers = start_busy_run(tmp_path)
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 128 + signum
    assert stderr.splitlines()[-1] == \
        f"error: interrupted ({signal.Signals(signum).name}); nothing was written"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no staging folder left
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(alive(pid) for pid in workers)


def test_a_killed_parent_takes_its_workers_with_it(tmp_path):
    """SIGKILL runs no cleanup: the staging folder stays (the next run removes it), but the
    workers must not live on, painting into it."""
    run, out, workers = start_busy_run(tmp_path)
    run.kill()
    run.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(alive(pid) for pid in workers)
    assert not out.exists()
