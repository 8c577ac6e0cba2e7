"""Golden outputs: the bytes every conversion writes today, to hold a refactor to them.

    .venv/bin/python tests/benchmarks/golden.py            # compare with the manifest, exit 1 on a difference
    .venv/bin/python tests/benchmarks/golden.py --write    # (re)write tests/golden/manifest.json
    .venv/bin/python tests/benchmarks/golden.py --twice    # run every case twice: is it deterministic?

Issue 12 rewrites the exporters and the engine; their output must stay byte-identical. A
case is one ``cococonv.api.convert`` call into a fresh temporary folder; its result is each
written file's sha256 (of a .zip's members, not of the archive, which holds timestamps) and
the report's losses, approximations, skipped records and warnings, with the run's folders
in their text as ``<tmp>``, ``<fixtures>``, ``<repo>``. The manifest keeps each case's spec,
so tests/test_golden.py reproduces the cases from it alone.

Each case runs on both mask code paths, the compiled helpers and numpy
(COCOCONV_NO_SPEEDUPS=1): their PNG deflate streams differ (same pixels), so ``files`` are
the compiled path's and ``numpy_files`` only the files whose bytes differ on the other.

``cococonv`` and the plugins (package ``cococonv_plugins``, folder ``plugins/``) are bound
to this checkout: an editable install elsewhere (``/work/main``) would otherwise serve its
plugins to a worktree, and the manifest would record someone else's working copy.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "fixtures"
MANIFEST = ROOT / "tests" / "golden" / "manifest.json"
MODES = ("compiled", "numpy")  # the mask helpers' two code paths
GENERATED = (300, 7, 0, 0.01)  # images, anns each, seed, crowd: >= 128 items, VOC's pool runs


def bind_code() -> None:
    """Import ``cococonv`` and ``cococonv_plugins`` from this checkout, or refuse to run."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    plugins = ROOT / "plugins"
    if "cococonv_plugins" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "cococonv_plugins", plugins / "__init__.py", submodule_search_locations=[str(plugins)])
        module = importlib.util.module_from_spec(spec)
        sys.modules["cococonv_plugins"] = module
        spec.loader.exec_module(module)
    import cococonv
    import cococonv_plugins
    for module, folder in ((cococonv, ROOT / "cococonv"), (cococonv_plugins, plugins)):
        where = Path(module.__file__).resolve().parent
        if where != folder:
            raise RuntimeError(f"{module.__name__} is imported from {where}, not {folder}: the "
                               f"golden outputs would measure another checkout (run with "
                               f"PYTHONPATH={ROOT}, before anything imports cococonv_plugins)")


def speedups(mode: str) -> Any:
    """A context running its block on one mask code path (cococonv reads the switch at
    each call, so flipping it in-process is enough)."""
    from tests.builders import numpy_only
    return numpy_only(mode == "numpy")


def helpers_built() -> bool:
    """Whether both compiled mask helpers are importable (not just switched on)."""
    from cococonv.raster import speedups as helpers
    with speedups("compiled"):
        return helpers.describe() == "built"


@dataclass(frozen=True)
class Case:
    """One conversion; ``source`` is ``fixtures/<rel>``, ``examples/<name>`` or ``generated/coco|voc``."""

    source: str
    target: str
    options: dict[str, Any] = field(default_factory=dict)
    input_options: dict[str, Any] = field(default_factory=dict)
    zip: bool = False

    @property
    def name(self) -> str:
        opts = [f"{k}={v}" for k, v in sorted(self.options.items())]
        opts += [f"in:{k}={v}" for k, v in sorted(self.input_options.items())]
        suffix = ".zip" if self.zip else ""
        return f"{self.source} -> {self.target}{suffix}" + (f" [{' '.join(opts)}]" if opts else "")

    def spec(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "Case":
        return cls(**spec)


#: Every dataset folder of shared/fixtures/README.md's index (all load); plus VOCdevkit,
#: which the mmdetection folder's COCO files outrank in detection.
FIXTURES = (
    "datumaro/coco_dataset/coco", "datumaro/coco_dataset/coco_instances",
    "datumaro/coco_dataset/coco_captions", "datumaro/coco_dataset/coco_image_info",
    "datumaro/coco_dataset/coco_labels", "datumaro/coco_dataset/coco_panoptic",
    "datumaro/coco_dataset/coco_person_keypoints", "datumaro/coco_dataset/coco_stuff",
    "datumaro/coco_dataset/coco_roboflow", "datumaro/coco_dataset/mmdet_coco",
    "datumaro/roboflow_dataset/coco", "datumaro/roboflow_dataset/voc",
    "datumaro/voc_dataset/voc_dataset1", "datumaro/voc_dataset/voc_dataset2",
    "datumaro/voc_dataset/voc_dataset3", "datumaro/cvat_dataset/for_images/export_task",
    "datumaro/cvat_dataset/for_images/export_project", "datumaro/cvat_dataset/for_video",
    "cvat-ai-datumaro/coco_dataset/coco_person_keypoints",
    "cvat-ai-datumaro/cvat_dataset/for_images", "cvat-ai-datumaro/cvat_dataset/for_video",
    "cocoapi/results", "panopticapi/sample_data", "mmpose/coco", "sahi/coco_evaluate",
    "sahi/coco_utils", "label-studio-sdk/test_import_coco", "mmdetection/tests/data",
    "mmdetection/tests/data/VOCdevkit", "training_extensions/car_tree_bug",
    "training_extensions/car_tree_bug_keypoint",
    "labelme/instance_segmentation/data_dataset_coco",
    "labelme/instance_segmentation/data_dataset_voc", "labelme/bbox_detection/data_dataset_voc",
    "2label/cvat1.1", "2label/coco1.0", "2label/voc1.1", "2label/labelImg",
    "docling-eval/cvat_pdfs_dataset_e2e", "seed-examples/hasty_rle",
    "seed-examples/redbrick_dicom", "seed-examples/encord_keypoints",
)
EXAMPLES = ("examples/coco_small", "examples/voc_small")
TARGETS = ("coco", "voc", "cvat")

# Inputs for the option cases: polygons, RLE, masks with void, ellipses, keypoints, subsets.
COCO_OPTION_SOURCES = ("examples/coco_small", "fixtures/datumaro/coco_dataset/coco_instances",
                       "fixtures/2label/coco1.0", "fixtures/datumaro/voc_dataset/voc_dataset1",
                       "fixtures/2label/cvat1.1")
VOC_OPTION_SOURCES = ("examples/voc_small", "fixtures/datumaro/coco_dataset/coco_instances",
                      "fixtures/2label/voc1.1", "fixtures/labelme/instance_segmentation/"
                      "data_dataset_voc", "fixtures/2label/cvat1.1")
CVAT_OPTION_SOURCES = ("examples/coco_small", "fixtures/2label/coco1.0", "fixtures/2label/voc1.1",
                       "fixtures/datumaro/cvat_dataset/for_video")
COCO_OPTIONS = ({"reindex": True}, {"save_images": True}, {"segmentation_mode": "mask"},
                {"segmentation_mode": "polygons"}, {"crop_covered": True},
                {"tasks": ["instances"]})
VOC_OPTIONS = ({"save_images": True}, {"tasks": ["segmentation"]}, {"apply_colormap": False},
               {"keep_empty": True}, {"jobs": 2})
CVAT_OPTIONS = ({"save_images": True},)


def all_cases() -> list[Case]:
    """The fixed list: every readable input x every target, then options, then generated data."""
    cases = [Case(src, t) for src in (*(f"fixtures/{f}" for f in FIXTURES), *EXAMPLES)
             for t in TARGETS]
    for sources, target, variants in ((COCO_OPTION_SOURCES, "coco", COCO_OPTIONS),
                                      (VOC_OPTION_SOURCES, "voc", VOC_OPTIONS),
                                      (CVAT_OPTION_SOURCES, "cvat", CVAT_OPTIONS)):
        cases += [Case(src, target, dict(opts)) for src in sources for opts in variants]
    cases.append(Case("examples/coco_small", "cvat", {"save_images": True}, zip=True))
    cases += [Case("generated/coco", "coco", {"reindex": True}), Case("generated/coco", "voc"),
              Case("generated/coco", "voc", {"jobs": 2}), Case("generated/voc", "coco"),
              Case("generated/voc", "coco", input_options={"jobs": 2}),
              Case("generated/coco", "cvat")]
    return cases


class Sources:
    """Resolves a case's source to a path; the generated datasets are made once, in ``work``.

    ``generated/coco`` is bench.py's seeded generator (300 images); ``generated/voc`` is the
    default VOC conversion of it, so voc -> coco reads what this code writes.
    """

    def __init__(self, work: str):
        self.work = work
        self.made: dict[str, str] = {}
        self.input_digests: dict[str, str] = {}

    def path(self, source: str) -> str:
        kind, _, rel = source.partition("/")
        if kind == "fixtures":
            return os.path.realpath(SHARED / rel)
        if kind == "examples":
            return os.path.realpath(ROOT / "examples" / rel)
        if source not in self.made:
            self.made[source] = self._generate(rel)
        return self.made[source]

    def _generate(self, rel: str) -> str:
        import cococonv
        from cococonv.report import Report

        if rel == "coco":
            bench = _load_bench()
            folder = os.path.join(self.work, "generated-coco")
            ann = os.path.join(folder, bench.ANN_REL)
            bench.generate(ann, *GENERATED)
            self.input_digests["generated/coco"] = sha256_file(ann)
            return folder
        if rel == "voc":  # one input for both modes: the compiled path's bytes where built
            folder = os.path.join(self.work, "generated-voc")
            source = self.path("generated/coco")
            with speedups("compiled"):
                cococonv.convert(source, folder, output_format="voc", report=Report(quiet=True))
            return folder
        raise ValueError(f"unknown generated source {rel!r}")


def _load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("cococonv_bench", Path(__file__).with_name("bench.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def sha256_file(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()  # outputs are a few MB at most


def digest_output(path: str) -> dict[str, str]:
    """Relative path (``/``-separated) -> sha256; a zip's members, a folder's files."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return {info.filename: hashlib.sha256(zf.read(info)).hexdigest()
                    for info in zf.infolist() if not info.is_dir()}
    found = {}
    for folder, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(folder, name)
            found[os.path.relpath(full, path).replace(os.sep, "/")] = sha256_file(full)
    return found


def normalise(text: str, work: str) -> str:
    """``text`` with the run's folders as placeholders, longest path first (nested ones whole)."""
    pairs = {os.path.realpath(work): "<tmp>", work: "<tmp>", str(SHARED): "<fixtures>",
             os.path.realpath(SHARED): "<fixtures>", str(ROOT): "<repo>",
             os.path.realpath(ROOT): "<repo>", tempfile.gettempdir(): "<tmp>"}
    for path in sorted(pairs, key=len, reverse=True):
        text = text.replace(path, pairs[path])
    return text


def run_case(case: Case, sources: Sources, work: str) -> dict[str, Any]:
    """Convert ``case`` into a new folder under ``work``; its files' digests and report."""
    import cococonv
    from cococonv.report import Report

    src = sources.path(case.source)
    out_root = tempfile.mkdtemp(prefix="case-", dir=work)
    target = os.path.join(out_root, "out.zip" if case.zip else "out")
    report = Report(quiet=True)
    # --jobs was a VOC plugin option when the manifest was written and is a run option now
    # (default: every CPU): a case without it runs in one process, as it did then
    options, input_options = dict(case.options), dict(case.input_options)
    jobs = options.pop("jobs", None) or input_options.pop("jobs", None) or 1
    cococonv.convert(src, target, output_format=case.target, input_options=input_options,
                     output_options=options, report=report, jobs=jobs)
    result = report.as_dict()
    report_entry = {key: json.loads(normalise(json.dumps(result[key]), work))
                    for key in ("lost", "approximated", "skipped", "warnings")}
    entry = {"spec": case.spec(), "files": dict(sorted(digest_output(target).items())),
             "report": report_entry}
    if case.source in sources.input_digests:
        entry["input_sha256"] = sources.input_digests[case.source]
    return entry


def run_all(cases: Iterable[Case], work: str) -> dict[str, dict[str, Any]]:
    """Each case's manifest entry: both modes run, the numpy path's differing files kept as
    ``numpy_files``. A case whose modes differ in anything else (file set, report) is an
    error: the helpers promise the same output."""
    sources = Sources(work)
    entries = {}
    for case in cases:
        with speedups("compiled"):
            entry = run_case(case, sources, work)
        with speedups("numpy"):
            other = run_case(case, sources, work)
        delta = {p: h for p, h in other["files"].items() if entry["files"].get(p) != h}
        if set(other["files"]) != set(entry["files"]) or other["report"] != entry["report"]:
            raise RuntimeError(f"{case.name}: the numpy path writes other files or another "
                               f"report than the compiled one: {differences(entry, other)}")
        if delta:
            entry["numpy_files"] = dict(sorted(delta.items()))
        entries[case.name] = entry
    return entries


def expected_view(entry: dict[str, Any], mode: str) -> dict[str, Any]:
    """What ``run_case`` returns for ``entry`` on code path ``mode``."""
    view = {k: v for k, v in entry.items() if k != "numpy_files"}
    if mode == "numpy":
        view["files"] = {**entry["files"], **entry.get("numpy_files", {})}
    return view


def compare(manifest_entry: dict[str, Any], entry: dict[str, Any]) -> list[str]:
    """Differences of a fresh entry (both modes) from the manifest's, mode by mode."""
    lines = []
    for mode in MODES:
        want, got = expected_view(manifest_entry, mode), expected_view(entry, mode)
        lines += [f"{mode}: {line}" for line in differences(want, got)]
    return lines


def dump_manifest(manifest: dict[str, dict[str, Any]]) -> str:
    """One line per case key, spec and report, and one per file: compact, and a diff names
    exactly the files that changed."""
    cases = []
    for key in sorted(manifest):
        entry = manifest[key]
        parts = []
        for field_name in sorted(entry):
            value = entry[field_name]
            if field_name in ("files", "numpy_files") and value:
                rows = ",\n".join(f"  {json.dumps(p)}: {json.dumps(h)}"
                                   for p, h in sorted(value.items()))
                parts.append(f" {json.dumps(field_name)}: {{\n{rows}\n }}")
            else:
                parts.append(f" {json.dumps(field_name)}: {json.dumps(value, sort_keys=True)}")
        cases.append(f"{json.dumps(key)}: {{\n" + ",\n".join(parts) + "\n}")
    return "{\n" + ",\n".join(cases) + "\n}\n"


def load_manifest(path: Path = MANIFEST) -> dict[str, dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def differences(expected: dict[str, Any], actual: dict[str, Any], limit: int = 5) -> list[str]:
    """Human lines naming what differs: the first ``limit`` files, then the report."""
    lines = []
    want, got = expected["files"], actual["files"]
    for path in sorted(set(want) | set(got)):
        if want.get(path) != got.get(path):
            state = ("missing" if path not in got else "new" if path not in want
                     else "different bytes")
            lines.append(f"{path}: {state}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more files"]
    if expected.get("input_sha256") != actual.get("input_sha256"):
        lines.insert(0, "the generated input itself changed (bench.py's generator?)")
    for key in sorted(set(expected["report"]) | set(actual["report"])):
        if expected["report"].get(key) != actual["report"].get(key):
            lines.append(f"report {key}: expected {expected['report'].get(key)!r}, "
                         f"got {actual['report'].get(key)!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {MANIFEST.relative_to(ROOT)}")
    parser.add_argument("--twice", action="store_true",
                        help="run every case twice in separate folders; report any difference")
    parser.add_argument("--only", default="", help="only cases whose name contains this")
    args = parser.parse_args(argv)
    bind_code()
    if not SHARED.is_dir():
        print(f"{SHARED} is missing; clone shared/ beside the checkout", file=sys.stderr)
        return 2
    cases = [c for c in all_cases() if args.only in c.name]
    assert len({c.name for c in cases}) == len(cases), "two cases have one name"
    if args.write and not helpers_built():
        print("the compiled mask helpers are not built here; --write needs both code paths",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cococonv-golden-") as work:
        results = run_all(cases, work)
    if args.twice:
        with tempfile.TemporaryDirectory(prefix="cococonv-golden2-") as work:
            again = run_all(cases, work)
        unstable = {n: compare(results[n], again[n]) for n in results if results[n] != again[n]}
        for name, lines in unstable.items():
            print(f"NOT DETERMINISTIC: {name}\n  " + "\n  ".join(lines))
        if unstable:
            return 1
        print(f"{len(results)} cases, identical on two runs")
    if args.write:
        manifest = load_manifest() if args.only and MANIFEST.exists() else {}
        manifest.update(results)
        MANIFEST.parent.mkdir(parents=True, exist_ok=True)
        MANIFEST.write_text(dump_manifest(manifest), encoding="utf-8")
        print(f"wrote {len(manifest)} cases to {MANIFEST.relative_to(ROOT)}")
        return 0
    if not MANIFEST.exists():
        print(f"{MANIFEST} is missing; run with --write first", file=sys.stderr)
        return 2
    manifest = load_manifest()
    failed = [name for name, entry in results.items() if manifest.get(name) != entry]
    for name in failed:
        lines = compare(manifest[name], results[name]) if name in manifest else ["not in it"]
        print(f"DIFFERS from the manifest: {name}\n  " + "\n  ".join(lines))
    stale = sorted(set(manifest) - set(results)) if not args.only else []
    for name in stale:
        print(f"GONE (in the manifest, not a case any more): {name}")
    print(f"{len(results)} cases, {len(failed)} differ, {len(stale)} gone")
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
