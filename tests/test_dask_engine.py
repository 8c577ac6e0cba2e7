"""--engine dask: conversions through a Dask cluster write the bytes a local run writes.

One ``distributed.LocalCluster`` (two worker processes, one thread each) is started for
the module; every run here checks that chunks really went to it (``dask_engine.SENT``).
"""
from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cococonv import api, dask_engine, engine
from cococonv.errors import CococonvError, EngineError
from cococonv.report import Report
from cococonv.testing import big_dataset

from .builders import files_under, one_error_line

if os.environ.get("CI"):
    import distributed  # under CI the [dask] extra is installed: missing is a failure
else:
    distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None,
                                  silence_logs=logging.ERROR) as local:
        yield local
        dask_engine.disconnect()


@pytest.fixture(scope="module")
def workers(cluster) -> engine.DaskWorkers:
    return engine.use_dask(cluster.scheduler_address)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    """big_dataset (144 items, masks in every one) as COCO and as VOC, written locally."""
    root = tmp_path_factory.mktemp("sources")
    found = {}
    for fmt in ("coco", "voc"):
        found[fmt] = root / fmt
        api.save(big_dataset(), fmt, str(found[fmt]), jobs=1, report=Report(quiet=True))
    return found


def _tree(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in files_under(root)}


def _sent_during(run) -> int:
    before = dask_engine.SENT[0]
    run()
    return dask_engine.SENT[0] - before


@pytest.mark.parametrize("source, target", [("coco", "voc"), ("voc", "coco")])
def test_a_conversion_on_the_cluster_writes_the_bytes_of_jobs_1(sources, workers, tmp_path,
                                                                source, target):
    outputs = {}
    for name, jobs in (("local", 1), ("dask", workers)):
        outputs[name] = tmp_path / name
        sent = _sent_during(lambda: api.convert(
            str(sources[source]), str(outputs[name]), input_format=source,
            output_format=target, jobs=jobs, report=Report(quiet=True)))
        assert (sent > 0) == (name == "dask")
    local, remote = _tree(outputs["local"]), _tree(outputs["dask"])
    assert local and local.keys() == remote.keys()
    assert [rel for rel in local if local[rel] != remote[rel]] == []


def test_images_of_a_zip_input_are_read_by_the_workers(sources, workers, tmp_path):
    """An item's image loader (a member of the input archive) travels to the workers:
    the archive is opened again there, by path, not sent."""
    from PIL import Image

    folder = tmp_path / "coco"
    shutil.copytree(sources["coco"], folder)
    for index, item in enumerate(big_dataset()):
        path = folder / "images" / item.subset / item.image.name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), (index % 256, 7, 9)).save(path, "JPEG")
    archive = shutil.make_archive(str(tmp_path / "coco"), "zip", folder)
    outputs = {}
    for name, jobs in (("local", 1), ("dask", workers)):
        outputs[name] = tmp_path / name
        api.convert(archive, str(outputs[name]), input_format="coco", output_format="voc",
                    output_options={"save_images": True}, jobs=jobs,
                    report=Report(quiet=True))
    local, remote = _tree(outputs["local"]), _tree(outputs["dask"])
    assert sum(rel.startswith("JPEGImages/") for rel in local) == 144
    assert local == remote


def test_the_cli_runs_on_the_scheduler_it_is_given(sources, workers, cluster, tmp_path,
                                                   runner, cli, monkeypatch):
    base = ["convert", "-if", "coco", "-i", str(sources["coco"]), "-f", "voc"]
    local = runner.invoke(cli, [*base, "-o", str(tmp_path / "local"), "-j", "1"])
    assert local.exit_code == 0, local.output
    given = {}
    for name, extra in (("flag", ["--scheduler", cluster.scheduler_address]), ("env", [])):
        if name == "env":
            monkeypatch.setenv("COCOCONV_DASK_SCHEDULER", cluster.scheduler_address)
        given[name] = _sent_during(lambda: given.__setitem__(name + "-result", runner.invoke(
            cli, [*base, "-o", str(tmp_path / name), "--engine", "dask", *extra])))
        result = given[name + "-result"]
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert _tree(tmp_path / name) == _tree(tmp_path / "local")
    assert given["flag"] > 0 and given["env"] > 0


def test_an_item_failing_on_a_worker_raises_the_line_of_a_local_run(sources, workers,
                                                                    tmp_path):
    """An image that cannot be decoded for re-encoding (--image-ext png) fails on a
    worker; the client redoes that item and raises what --jobs 1 raises."""
    from PIL import Image

    folder = tmp_path / "coco"
    shutil.copytree(sources["coco"], folder)
    for item in big_dataset():
        path = folder / "images" / item.subset / item.image.name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30)).save(path, "JPEG")
    (folder / "images" / "val" / "val_0050.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    lines = {}
    for name, jobs in (("local", 1), ("dask", workers)):
        with pytest.raises(CococonvError) as caught:
            api.convert(str(folder), str(tmp_path / name), input_format="coco",
                        output_format="voc", jobs=jobs, report=Report(quiet=True),
                        output_options={"save_images": True, "image_ext": ".png"})
        lines[name] = str(caught.value).replace(str(tmp_path / name), "OUT")
        assert not (tmp_path / name).exists()
    assert "val_0050" in lines["local"] and lines["dask"] == lines["local"]


def _slow_write(folder: str, index: int) -> int:
    """One file per item, slowly: what an exporter's per-item phase does."""
    time.sleep(0.02)
    Path(folder, f"{index}.txt").write_text(str(index))
    return index


def test_a_failed_run_stops_the_chunks_in_flight_before_it_ends(workers, tmp_path):
    """The consumer fails at the first result; once the hook the output's removal calls
    (``engine.stop_all``) returns, no worker writes any more."""
    results = engine.map_items(_slow_write, str(tmp_path), range(20 * engine.CHUNK), workers)
    with pytest.raises(RuntimeError):
        for index in results:
            raise RuntimeError(f"the consumer failed at {index}")
    engine.stop_all()
    written = len(list(tmp_path.iterdir()))
    time.sleep(1.0)
    assert len(list(tmp_path.iterdir())) == written < 20 * engine.CHUNK


def test_the_jobs_value_of_a_cluster_pickles_without_its_client(workers):
    again = pickle.loads(pickle.dumps(workers))
    assert isinstance(again, engine.DaskWorkers) and again.address == workers.address
    assert engine.resolve_jobs(workers) is workers and int(workers) >= 2


@pytest.mark.parametrize("args, env, code, needle", [
    pytest.param(["--engine", "dask"], {}, 2, "--engine dask needs --scheduler",
                 id="no-scheduler"),
    pytest.param(["--scheduler", "tcp://127.0.0.1:9"], {}, 2,
                 "--scheduler needs --engine dask", id="scheduler-without-engine"),
    pytest.param(["--engine", "dask", "-j", "2", "--scheduler", "tcp://127.0.0.1:9"], {}, 2,
                 "--jobs counts local processes", id="jobs-with-dask"),
    pytest.param(["--engine", "dask", "--scheduler", "nowhere"], {}, 1,
                 "nowhere: not a Dask scheduler address", id="bad-address"),
    pytest.param(["--engine", "dask"], {"COCOCONV_DASK_SCHEDULER": "tcp://127.0.0.1:9"}, 1,
                 "tcp://127.0.0.1:9: cannot reach the Dask scheduler", id="unreachable"),
])
def test_engine_options_fail_in_one_line(sources, tmp_path, runner, cli, monkeypatch,
                                         args, env, code, needle):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", 0.5)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(cli, ["convert", "-if", "coco", "-i", str(sources["coco"]),
                                 "-f", "voc", "-o", str(tmp_path / "out"), *args])
    if code == 1:
        one_error_line(result.stderr, result.exit_code, needle)
    else:
        assert result.exit_code == 2 and needle in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_dask_extra_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as uninstalled
    with pytest.raises(EngineError, match=r"pip install 'cococonv\[dask\]'"):
        engine.use_dask("tcp://127.0.0.1:9")


def test_help_and_a_local_run_never_import_dask(sources, tmp_path):
    code = ("import sys\nfrom cococonv.cli import cli\n"
            "for args in (['convert', '--help'], ['-q', 'convert', '-if', 'coco', '-i', "
            f"{str(sources['coco'])!r}, '-f', 'coco', '-o', {str(tmp_path / 'out')!r}]):\n"
            "    try:\n        cli(args)\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out").is_dir()


def _fails_off_the_client(client_pid: int, index: int) -> int:
    """Fails on a worker for every 50th item (a path only the client sees, say)."""
    if os.getpid() != client_pid and index % 50 == 7:
        raise OSError(f"item {index}: /data/local/{index}.jpg not found")
    return index


def test_items_the_workers_failed_and_the_client_redid_are_one_note(workers, capsys):
    from cococonv.context import Context

    report = Report(verbose=True)
    results = Context(report, jobs=workers).map(_fails_off_the_client, os.getpid(),
                                                range(4 * engine.CHUNK))
    assert list(results) == list(range(4 * engine.CHUNK))  # redone here, in order
    line = ("5 items failed on the Dask workers and were redone in this process (OSError "
            "5); first: OSError: item 7: /data/local/7.jpg not found")
    assert report.notes == [line] and report.as_dict()["notes"] == [line]
    assert capsys.readouterr().err == line + "\n"  # the -v log
