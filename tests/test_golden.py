"""Golden outputs: every case of tests/golden/manifest.json writes the same bytes and report.

The manifest was written by ``tests/benchmarks/golden.py --write`` from the code before the
issue-12 refactor; a difference here is a change of output. Each case runs on both mask
code paths (compiled helpers, numpy); the compiled one skips where they are not built. When a change is meant, rewrite
the manifest with ``--write`` and let the diff show which files moved. Cases reading
../shared/fixtures skip without it (a failure under CI); examples/ and generated cases
always run.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

_SCRIPT = Path(__file__).resolve().parent / "benchmarks" / "golden.py"
_spec = importlib.util.spec_from_file_location("cococonv_golden", _SCRIPT)
golden = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("cococonv_golden", golden)  # its dataclasses look their module up
_spec.loader.exec_module(golden)

MANIFEST: dict[str, dict[str, Any]] = golden.load_manifest()


@pytest.fixture(scope="session")
def golden_sources(tmp_path_factory) -> Any:
    """One work folder and one set of generated inputs for every case of the session."""
    try:
        golden.bind_code()
    except RuntimeError as err:
        pytest.fail(str(err), pytrace=False)
    work = tmp_path_factory.mktemp("golden")
    return golden.Sources(str(work)), str(work)


@pytest.mark.parametrize("mode", golden.MODES)
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_case_writes_the_golden_bytes(name: str, mode: str, golden_sources, request) -> None:
    entry = MANIFEST[name]
    case = golden.Case.from_spec(entry["spec"])
    if case.source.startswith("fixtures/"):
        request.getfixturevalue("fixtures_root")  # skips (fails under CI) without shared/
    if mode == "compiled" and not golden.helpers_built():
        pytest.skip("the compiled mask helpers are not built here (cococonv --version)")
    sources, work = golden_sources
    with golden.speedups(mode):
        actual = golden.run_case(case, sources, work)
    want = golden.expected_view(entry, mode)
    if actual != want:
        pytest.fail(f"{name} ({mode} mask path): output differs from tests/golden/manifest.json"
                    "\n  " + "\n  ".join(golden.differences(want, actual)), pytrace=False)


def test_manifest_holds_exactly_the_scripts_cases() -> None:
    """A case added to or dropped from golden.py without ``--write`` is caught here."""
    names = {case.name for case in golden.all_cases()}
    assert sorted(names - set(MANIFEST)) == [], "run tests/benchmarks/golden.py --write"
    assert sorted(set(MANIFEST) - names) == [], "run tests/benchmarks/golden.py --write"


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if "jobs=2" in n))
def test_jobs_2_writes_what_jobs_1_writes(name: str) -> None:
    """VOC's --jobs must not change a byte (the 300-image cases run its worker pool)."""
    twin = name.replace(" [in:jobs=2]", "").replace(" [jobs=2]", "")
    assert twin in MANIFEST, f"no --jobs 1 twin {twin!r} for {name!r}"
    for mode in golden.MODES:
        expected = golden.expected_view(MANIFEST[twin], mode)
        actual = golden.expected_view(MANIFEST[name], mode)
        assert {k: v for k, v in actual.items() if k != "spec"} == \
            {k: v for k, v in expected.items() if k != "spec"}, golden.differences(expected, actual)
