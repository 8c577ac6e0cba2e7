"""One fuzz case: a seed copied into a fresh sandbox, mutated, and the command to run on it.

A case is a pure function of (run seed, case number), so `--case N` rebuilds exactly the
input a finding came from. The sandbox is deep inside a jail folder so that every escape
the mutators plant (at most nine `..` or an absolute path into the jail) lands where the
checks look.
"""
from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .binary import mutate_bytes, mutate_jpeg, mutate_lines, mutate_png, mutate_zip
from .mutate import mutate_json, mutate_xml
from .seeds import Seed
from .values import Context

DEPTH = 10            # folders between the jail and the sandbox (> the most `..` planted)
SECRET = b"COCOCONV-FUZZ-SECRET-7f3a9c"
_WEIGHTS = {".json": 6, ".xml": 6, ".png": 3, ".txt": 2, ".zip": 6, ".jpg": 1, ".jpeg": 1}


@dataclass
class Case:
    """A prepared case: where it lives, what was done to the input, what to run."""

    number: int
    seed: Seed
    jail: Path
    sandbox: Path
    input_path: Path
    output_path: Path
    argv: list[str]
    mutations: list[str] = field(default_factory=list)
    stdin: Path | None = None       # fed to the child as fd 0 (for `-i -`)

    def command(self) -> str:
        """The command line with sandbox paths shortened, for reports."""
        line = "cococonv " + " ".join(a.replace(str(self.sandbox) + "/", "")
                                      for a in self.argv)
        if self.stdin:
            line += " < " + str(self.stdin.relative_to(self.sandbox))
        return line


def mutator_for(name: str):
    """The mutator for a file of this name (blind bytes for the unknown)."""
    ext = os.path.splitext(name.lower())[1]
    return {".json": mutate_json, ".xml": mutate_xml, ".png": mutate_png,
            ".jpg": mutate_jpeg, ".jpeg": mutate_jpeg, ".txt": mutate_lines,
            ".zip": lambda d, c: mutate_zip(d, c, mutator_for)}.get(ext, mutate_bytes)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SOURCE.md")


def _file_level(ctx: Context, root: Path) -> str:
    """Damage the dataset's file set rather than a file: a missing, swapped or odd file."""
    rng = ctx.rng
    files = _files(root)
    if not files:
        return "no file left to damage"
    images = [p for p in files if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    op = rng.randrange(6)
    victim = rng.choice(images if images and op == 0 else files)
    rel = victim.relative_to(root)
    if op <= 1:
        victim.unlink()
        return f"file {rel} deleted"
    if op == 2 and len(files) > 1:
        other = rng.choice([p for p in files if p != victim])
        a, b = victim.read_bytes(), other.read_bytes()
        victim.write_bytes(b)
        other.write_bytes(a)
        return f"files {rel} and {other.relative_to(root)} swapped"
    if op == 3:
        victim.write_bytes(b"")
        return f"file {rel} emptied"
    if op == 4:
        victim.unlink()
        victim.mkdir()
        return f"file {rel} replaced by a folder"
    extra = victim.with_name(rng.choice(["instances_extra.json", "extra.xml", "x.png"]))
    extra.write_bytes(rng.choice(files).read_bytes())
    return f"file {extra.relative_to(root)} added (a copy of another file)"


def _mutate_file(ctx: Context, root: Path) -> str:
    files = _files(root)
    if not files:
        return "nothing to mutate"
    weights = [_WEIGHTS.get(p.suffix.lower(), 1) for p in files]
    target = ctx.rng.choices(files, weights)[0]
    data, what = mutator_for(target.name)(target.read_bytes(), ctx)
    target.write_bytes(data)
    return f"{target.relative_to(root)}: {what}"


_TASK_FORMATS = {
    "coco": ["coco_instances", "coco_person_keypoints", "coco_captions", "coco_labels",
             "coco_panoptic", "coco_stuff", "coco_image_info"],
    "voc": ["voc_detection", "voc_segmentation", "voc_instance_segmentation",
            "voc_classification", "voc_layout", "voc_action"],
}


def _options(rng: random.Random, out_format: str) -> list[str]:
    opts: list[str] = []
    if rng.random() < 0.3:
        opts.append("--save-images")
    if rng.random() < 0.35:
        opts += ["--on-error", rng.choice(["warn", "warn", "skip"])]
    if out_format == "coco":
        if rng.random() < 0.5:
            opts += ["--segmentation-mode", rng.choice(["mask", "polygons", "guess"])]
        if rng.random() < 0.2:
            opts.append("--reindex")
        if rng.random() < 0.1:
            opts.append("--crop-covered")
    elif out_format == "voc":
        if rng.random() < 0.3:
            opts += ["--jobs", "2"]
        if rng.random() < 0.2:
            opts.append("--keep-empty")
        if rng.random() < 0.1:
            opts += ["--label-map", "voc"]
    elif rng.random() < 0.2:
        opts.append("--reindex")
    if rng.random() < 0.05:
        opts += ["--image-ext", ".png"]
    return opts


def prepare(run_seed: int, number: int, seeds: list[Seed], workdir: Path) -> Case:
    """Build case `number` of run `run_seed` under `workdir` (replacing an earlier copy)."""
    rng = random.Random(f"{run_seed}:{number}")
    seed = rng.choice(seeds)
    jail = workdir / f"case{number}"
    if jail.exists():
        shutil.rmtree(jail)
    sandbox = jail.joinpath(*["d"] * DEPTH)
    sandbox.mkdir(parents=True)
    (jail / "abs").mkdir()
    secret = jail / "secret.jpg"
    secret.write_bytes(b"\xff\xd8\xff\xfe\x00\x20" + SECRET.ljust(30, b"-") + b"\xff\xd9")
    ctx = Context(rng, jail, secret)
    shutil.copytree(seed.root, sandbox / "in", symlinks=True)
    input_path = sandbox / "in" / seed.entry if seed.entry else sandbox / "in"
    mutations = []
    for _ in range(rng.choice([1, 1, 1, 2])):
        if not seed.zipped and rng.random() < 0.12:
            mutations.append(_file_level(ctx, sandbox / "in"))
        else:
            mutations.append(_mutate_file(ctx, sandbox / "in"))
    out_format = rng.choice(["coco", "voc", "cvat"])
    family = out_format
    if rng.random() < 0.2 and out_format != "cvat":
        out_format = rng.choice(_TASK_FORMATS[out_format])
    roll = rng.random()
    single = {"coco": ".json", "cvat": ".xml"}.get(family, "")
    suffix = ".zip" if roll < 0.15 else single if roll < 0.2 and out_format != "coco_panoptic" \
        else ""
    output_path = sandbox / ("out" + suffix)
    stdin = None
    given = str(input_path)
    if input_path.suffix in (".json", ".xml") and rng.random() < 0.1 and input_path.is_file():
        stdin, given = input_path, "-"
    argv = _command(rng, given, out_format, output_path)
    if rng.random() < 0.3 and seed.input_format and argv[0] != "detect":
        argv += ["-if", seed.input_format]
    if argv[0] == "convert":
        argv += _options(rng, family)
        if rng.random() < 0.15:
            argv += rng.choice([["-t", "masks_to_polygons"], ["-t", "polygons_to_masks"],
                                ["-t", "reindex"], ["-t", "remap_labels", "--mapping",
                                                    "cat:dog,person:,car:car2"]])
    return Case(number, seed, jail, sandbox, input_path, output_path, argv, mutations, stdin)


def _command(rng: random.Random, given: str, out_format: str, output_path: Path) -> list[str]:
    """Mostly `convert`; some `info` and `detect`, and some output to stdout."""
    roll = rng.random()
    if roll < 0.06:
        return ["info", "-i", given] + (["--json"] if rng.random() < 0.5 else [])
    if roll < 0.09 and given != "-":
        return ["detect", given]
    if roll < 0.12 and not out_format.startswith("voc") and out_format != "coco_panoptic":
        return ["convert", "-i", given, "-f", out_format, "-o", "-"]
    return ["convert", "-i", given, "-f", out_format, "-o", str(output_path)]
