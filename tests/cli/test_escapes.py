"""Hostile names through the CLI: nothing is written outside the target, nothing is read
outside the input, the output never replaces what the run reads.

Every case runs ``cococonv convert`` in a sandbox folder and compares every file of the
sandbox outside the target before and after: none may appear, change or vanish. A refused
run exits 1 (bad data) or 2 (the command line) with one stderr line and leaves no target.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from cococonv.registry import default_registry

from ..builders import coco_ann, coco_doc, coco_image, files_under, voc_xml, write_voc

SECRET = b"\xff\xd8\xffsecret bytes from outside the input"  # a JPEG signature: copied if reached
IMAGE = b"\xff\xd8\xffan image inside the input"


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


def snapshot(root: Path, skip: Path) -> dict[str, bytes]:
    """Every file under ``root`` except those under ``skip``, with its bytes."""
    return {rel: (root / rel).read_bytes() for rel in files_under(root)
            if not (root / rel).resolve().is_relative_to(skip.resolve())}


def run(runner, cli, sandbox: Path, target: Path, args: list[str]):
    """Run convert; assert the sandbox outside ``target`` is exactly as before."""
    before = snapshot(sandbox, target)
    result = runner.invoke(cli, ["convert", *args, "-o", str(target)])
    assert snapshot(sandbox, target) == before, result.stderr
    leftovers = [p.name for p in target.parent.iterdir() if p.name.startswith(".cococonv-")]
    assert not leftovers
    return result


def refused(result, code: int, *needles: str) -> None:
    lines = result.stderr.splitlines()
    assert result.exit_code == code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]
    assert result.stdout == ""


def sandbox_of(tmp_path: Path) -> tuple[Path, Path]:
    """A sandbox four folders deep (so ``../../../..`` stays inside it) and its dataset."""
    root = tmp_path / "sandbox"
    ds = root / "a" / "b" / "c" / "ds"
    ds.mkdir(parents=True)
    (root / "secret.jpg").write_bytes(SECRET)
    return root, ds


def write_coco_ds(ds: Path, file_names: dict[str, list[str]], images: dict[str, bytes] = {}):
    for subset, names in file_names.items():
        doc = coco_doc(images=[coco_image(id=i + 1, file_name=n) for i, n in enumerate(names)],
                       annotations=[coco_ann(id=i + 1, image_id=i + 1)
                                    for i in range(len(names))])
        (ds / "annotations").mkdir(exist_ok=True)
        (ds / "annotations" / f"instances_{subset}.json").write_text(json.dumps(doc))
    for rel, data in images.items():
        (ds / rel).parent.mkdir(parents=True, exist_ok=True)
        (ds / rel).write_bytes(data)


def write_cvat_ds(ds: Path, images: list[tuple[str, str | None]]) -> None:
    body = "".join(
        f'<image id="{i}" name="{name}" width="10" height="8"'
        + (f' subset="{subset}"' if subset else "")
        + '><box label="cat" occluded="0" xtl="1" ytl="2" xbr="4" ybr="6" z_order="0"/>'
          "</image>\n"
        for i, (name, subset) in enumerate(images))
    (ds / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version>'
        "<meta><task><labels><label><name>cat</name><attributes/></label></labels></task>"
        f"</meta>\n{body}</annotations>\n")


OUTPUTS = ["voc", "coco", "cvat"]


# -- 1. writes outside the target ------------------------------------------------------------
@pytest.mark.parametrize("fmt", OUTPUTS)
def test_coco_file_name_climbing_out_never_writes_outside(runner, cli, tmp_path, fmt):
    """The name is written by its tail (X.jpg) inside the target, with a warning
    (test_absolute_names.py has the details); ``run`` checks nothing appeared outside."""
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": ["../../../../X.jpg"]}, {"images/X.jpg": IMAGE})
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", fmt,
                                             "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert "written by their tail" in result.stderr
    saved = [p for p in files_under(target) if p.endswith(".jpg")]
    assert [Path(p).name for p in saved] == ["X.jpg"]
    assert all(".." not in p.split("/") for p in files_under(target))


@pytest.mark.parametrize("fmt", OUTPUTS)
def test_skipped_escaping_item_is_counted_and_the_rest_written(runner, cli, tmp_path, fmt):
    root, ds = sandbox_of(tmp_path)
    # its tail is ok.jpg, which the second item writes too: the earlier one wins
    write_coco_ds(ds, {"default": ["ok.jpg", "../../../../ok.jpg"]},
                  {"images/ok.jpg": IMAGE})
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", fmt,
                                             "--save-images", "--on-error", "skip"])
    assert result.exit_code == 0, result.stderr
    assert re.search(r"skipped +bad records +1 ", result.stderr)
    saved = [p for p in files_under(target) if p.endswith(".jpg")]
    assert [Path(p).name for p in saved] == ["ok.jpg"]


@pytest.mark.parametrize("fmt", ["voc", "coco"])
def test_cvat_image_name_climbing_out_is_written_by_its_tail(runner, cli, tmp_path, fmt):
    root, ds = sandbox_of(tmp_path)
    write_cvat_ds(ds, [("../../../X.jpg", None)])
    (ds / "images").mkdir()
    (ds / "images" / "X.jpg").write_bytes(IMAGE)
    target = ds.parent / "out"
    args = ["-if", "cvat", "-i", str(ds), "-f", fmt] + (["--save-images"] if fmt == "coco"
                                                        else [])
    result = run(runner, cli, root, target, args)
    assert result.exit_code == 0, result.stderr
    assert "written by their tail" in result.stderr
    assert [p for p in files_under(target) if p.endswith((".jpg", ".xml"))] == (
        ["images/default/X.jpg"] if fmt == "coco" else ["Annotations/X.xml"])


@pytest.mark.parametrize("fmt", ["voc", "coco"])
def test_cvat_subset_climbing_out_is_refused(runner, cli, tmp_path, fmt):
    root, ds = sandbox_of(tmp_path)
    write_cvat_ds(ds, [("a.jpg", "../../../S"), ("b.jpg", "train")])
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "cvat", "-i", str(ds), "-f", fmt])
    refused(result, 1, "subset '../../../S'")


def test_cvat_subset_with_a_separator_is_refused_when_images_go_per_subset(runner, cli,
                                                                         tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_cvat_ds(ds, [("a.jpg", "x/../../S"), ("b.jpg", "train")])
    (ds / "images").mkdir()
    for name in ("a.jpg", "b.jpg"):
        (ds / "images" / name).write_bytes(IMAGE)
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "cvat", "-i", str(ds), "-f", "cvat",
                                             "--save-images"])
    refused(result, 1, "subset 'x/../../S'")


def test_cvat_to_cvat_keeps_an_escaping_name_as_data_without_save_images(runner, cli,
                                                                       tmp_path):
    """Without --save-images a name is only text in the XML: it is written as it was."""
    root, ds = sandbox_of(tmp_path)
    write_cvat_ds(ds, [("../../../X.jpg", None)])
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "cvat", "-i", str(ds), "-f", "cvat"])
    assert result.exit_code == 0, result.stderr
    assert files_under(target) == ["annotations.xml"]
    assert 'name="../../../X.jpg"' in (target / "annotations.xml").read_text()


def test_zip_output_members_stay_relative(runner, cli, tmp_path):
    import zipfile

    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": ["sub/ok.jpg"]}, {"images/sub/ok.jpg": IMAGE})
    target = ds.parent / "out.zip"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "voc",
                                             "--save-images"])
    assert result.exit_code == 0, result.stderr
    names = zipfile.ZipFile(target).namelist()
    assert "JPEGImages/sub/ok.jpg" in names
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)


# -- 2. reads outside the input ---------------------------------------------------------------
@pytest.mark.parametrize("fmt", OUTPUTS)
def test_absolute_file_name_in_a_single_coco_file_never_copies_outside_files(
        runner, cli, tmp_path, fmt):
    """The file outside the input is never found; VOC, whose files are named after the item
    id (here the absolute name), writes it by its tail (secret)."""
    root, ds = sandbox_of(tmp_path)
    doc = coco_doc(images=[coco_image(file_name=str(root / "secret.jpg"))])
    (ds / "x.json").write_text(json.dumps(doc))
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco_instances", "-i", str(ds / "x.json"),
                                             "-f", fmt, "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert all(SECRET not in (target / rel).read_bytes() for rel in files_under(target))
    assert re.search(r"lost +images +1 +not present in the input", result.stderr)


def test_absolute_file_name_is_looked_up_by_its_tail_inside_the_input(runner, cli, tmp_path):
    """The image is found by its base name under the dataset's images/ (its size read from
    it) when the dataset folder is the input; nothing outside is touched."""
    from PIL import Image as PILImage

    root, ds = sandbox_of(tmp_path)
    record = coco_image(file_name="/elsewhere/data/pic.png")
    del record["width"], record["height"]
    (ds / "annotations").mkdir()
    (ds / "annotations" / "x.json").write_text(json.dumps(coco_doc(images=[record])))
    (ds / "images").mkdir()
    buffer = io.BytesIO()
    PILImage.new("RGB", (7, 5)).save(buffer, "PNG")
    (ds / "images" / "pic.png").write_bytes(buffer.getvalue())
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco_instances", "-i", str(ds),
                                             "--relpath", "annotations/x.json", "-f", "cvat"])
    assert result.exit_code == 0, result.stderr
    assert 'width="7" height="5"' in (target / "annotations.xml").read_text()


def test_symlink_leading_outside_the_input_is_not_read(runner, cli, tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": ["a.jpg"]})
    (ds / "images").mkdir()
    (ds / "images" / "a.jpg").symlink_to(root / "secret.jpg")
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "coco",
                                             "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert all(SECRET not in (target / rel).read_bytes() for rel in files_under(target))


@pytest.mark.parametrize("fmt", OUTPUTS)
def test_voc_filename_climbing_out_never_copies_outside_files(runner, cli, tmp_path, fmt):
    root, ds = sandbox_of(tmp_path)
    # from ds/JPEGImages/, five '..' reach the sandbox root holding secret.jpg
    write_voc(ds, {"a": voc_xml(filename="../../../../../secret.jpg")},
              {"Main/train.txt": "a\n"}, {"JPEGImages/other.jpg": IMAGE})
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "voc", "-i", str(ds), "-f", fmt,
                                             "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert all(SECRET not in (target / rel).read_bytes() for rel in files_under(target))


def test_cvat_absolute_image_name_is_looked_up_inside_the_input(runner, cli, tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_cvat_ds(ds, [(str(root / "secret.jpg"), None)])
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "cvat", "-i", str(ds), "-f", "coco",
                                             "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert all(SECRET not in (target / rel).read_bytes() for rel in files_under(target))
    assert re.search(r"lost +images +1 +not present in the input", result.stderr)


# -- 3. the output never replaces what the run reads -----------------------------------------
@pytest.mark.parametrize("fmt", OUTPUTS)
def test_output_onto_the_image_folder_of_a_single_file_is_refused(runner, cli, tmp_path, fmt):
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"x": ["a.jpg"]}, {"images/a.jpg": IMAGE, "images/other.txt": b"keep"})
    (ds / "annotations" / "instances_x.json").rename(ds / "annotations" / "x.json")
    target = ds / "images"
    before = snapshot(root, root / "nothing")
    result = runner.invoke(cli, ["convert", "-if", "coco_instances", "-i",
                                 str(ds / "annotations" / "x.json"), "-o", str(target),
                                 "-f", fmt, "--overwrite", "--save-images"])
    refused(result, 2, "overlaps")
    assert snapshot(root, root / "nothing") == before


def test_output_onto_a_folder_images_were_read_from_is_refused(runner, cli, tmp_path):
    """Images found beside a flat annotation file (not under images/): that folder counts."""
    root, ds = sandbox_of(tmp_path)
    (ds / "pics").mkdir()
    (ds / "pics" / "a.jpg").write_bytes(IMAGE)
    (ds / "x.json").write_text(json.dumps(coco_doc(images=[coco_image(file_name="pics/a.jpg")])))
    before = snapshot(root, root / "nothing")
    result = runner.invoke(cli, ["convert", "-if", "coco_instances", "-i", str(ds / "x.json"),
                                 "-o", str(ds / "pics"), "-f", "voc", "--overwrite"])
    refused(result, 2, "reads from")
    assert snapshot(root, root / "nothing") == before


# -- 9. names a VOC list cannot hold ------------------------------------------------------------
def test_newline_in_a_name_is_refused_for_voc(runner, cli, tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": ["a\nb.jpg", "ok.jpg"]})
    target = ds.parent / "out"
    refused(run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "voc"]), 1,
            "control character")


def test_spaces_in_ids_are_kept_in_voc_lists_and_read_back_once(runner, cli, tmp_path):
    """Datumaro's convention: a plain list line is one id. A newline cannot be (skipped)."""
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": ["c d.jpg", "a\nb.jpg", "e.jpg", " f.jpg"]})
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "voc",
                                             "--tasks", "detection,classification",
                                             "--on-error", "skip"])
    assert result.exit_code == 0, result.stderr
    assert re.search(r"skipped +bad records +2 ", result.stderr)
    assert (target / "ImageSets" / "Main" / "default.txt").read_text() == "c d\ne\n"
    assert (target / "ImageSets" / "Main" / "cat_default.txt").read_text() == \
        "c d -1\ne -1\n"
    assert (target / "Annotations" / "c d.xml").is_file()
    back = runner.invoke(cli, ["info", "-if", "voc", "-i", str(target), "--json"])
    assert json.loads(back.stdout)["items"] == 2
    again = tmp_path / "again"
    result = runner.invoke(cli, ["convert", "-if", "voc", "-i", str(target), "-f", "coco",
                                 "-o", str(again)])
    assert result.exit_code == 0, result.stderr
    names = [i["file_name"] for i in json.loads(
        (again / "annotations" / "instances_default.json").read_text())["images"]]
    assert sorted(names) == ["c d.jpg", "e.jpg"]


# -- 10. two items, one output file -------------------------------------------------------------
def test_same_id_in_two_subsets_is_written_per_subset_for_voc(runner, cli, tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"train": ["a.jpg", "t.jpg"], "val": ["a.jpg"]},
                  {"images/train/a.jpg": IMAGE + b"train", "images/val/a.jpg": IMAGE + b"val",
                   "images/train/t.jpg": IMAGE})
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "voc",
                                             "--save-images"])
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "'a' in 'train' and 'val'" in warnings[0]
    assert (target / "JPEGImages" / "train" / "a.jpg").read_bytes() == IMAGE + b"train"
    assert (target / "JPEGImages" / "val" / "a.jpg").read_bytes() == IMAGE + b"val"
    assert (target / "Annotations" / "train" / "a.xml").is_file()
    assert (target / "Annotations" / "val" / "a.xml").is_file()
    assert (target / "ImageSets" / "Main" / "train.txt").read_text() == "train/a\nt\n"
    assert (target / "ImageSets" / "Main" / "val.txt").read_text() == "val/a\n"
    back = runner.invoke(cli, ["info", "-if", "voc", "-i", str(target), "--json"])
    assert json.loads(back.stdout)["items"] == 3


def test_two_images_saved_to_one_file_name_an_error_naming_both(runner, cli, tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"train": ["a.jpg"], "val": ["a.jpg"]},
                  {"images/train/a.jpg": b"train", "images/val/a.jpg": b"val"})
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "coco",
                                             "--save-images", "--merge-images"])
    refused(result, 1, "item 'a' of subset 'val'", "item 'a' of subset 'train'",
            "'images/a.jpg'")


def test_cvat_same_image_name_in_two_subsets_saved_per_subset(runner, cli, tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_cvat_ds(ds, [("a.jpg", "train"), ("a.jpg", "val")])
    for subset in ("train", "val"):
        (ds / "images" / subset).mkdir(parents=True)
        (ds / "images" / subset / "a.jpg").write_bytes(IMAGE + subset.encode())
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "cvat", "-i", str(ds), "-f", "cvat",
                                             "--save-images"])
    assert result.exit_code == 0, result.stderr
    assert (target / "images" / "val" / "a.jpg").read_bytes() == IMAGE + b"val"


def test_project_export_onto_a_source_image_folder_is_refused(runner, cli, tmp_path):
    """export_project checks every source the same way convert checks its input."""
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"x": ["a.jpg"]}, {"images/a.jpg": IMAGE})
    source = ds / "annotations" / "instances_x.json"
    project = root / "proj"
    assert runner.invoke(cli, ["create", "-o", str(project)]).exit_code == 0
    imported = runner.invoke(cli, ["import", "-p", str(project), "-f", "coco_instances",
                                   str(source)])
    assert imported.exit_code == 0, imported.stderr
    before = snapshot(root, root / "nothing")
    result = runner.invoke(cli, ["export", "-p", str(project), "-f", "voc", "-o",
                                 str(ds / "images"), "--overwrite", "--save-images"])
    refused(result, 2, "overlaps")
    assert snapshot(root, root / "nothing") == before


def test_output_beside_a_zip_input_named_images_is_allowed(runner, cli, tmp_path):
    """An archive reads nothing beside it: only a single annotation file has image folders."""
    import zipfile

    root, ds = sandbox_of(tmp_path)
    doc = coco_doc()
    with zipfile.ZipFile(ds / "export.zip", "w") as archive:
        archive.writestr("annotations/instances_default.json", json.dumps(doc))
    target = ds / "images"
    result = run(runner, cli, root, target, ["-i", str(ds / "export.zip"), "-f", "voc"])
    assert result.exit_code == 0, result.stderr
    assert (target / "Annotations" / "a.xml").is_file()


def test_label_name_climbing_out_refuses_its_voc_class_list(runner, cli, tmp_path):
    """VOC writes ImageSets/Main/<class>_<subset>.txt: a label name is a file name there."""
    root, ds = sandbox_of(tmp_path)
    (ds / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version><meta>'
        "<task><labels><label><name>../../../evil</name><attributes/></label><label><name>ok"
        "</name><attributes/></label></labels></task></meta>\n"
        '<image id="0" name="a.jpg" width="10" height="8"><tag label="../../../evil"/>'
        '<tag label="ok"/></image>\n</annotations>\n')
    target = ds.parent / "out"
    refused(run(runner, cli, root, target, ["-if", "cvat", "-i", str(ds), "-f", "voc"]), 1,
            "label name '../../../evil'")
    result = run(runner, cli, root, target, ["-if", "cvat", "-i", str(ds), "-f", "voc",
                                             "--on-error", "warn"])
    assert result.exit_code == 0, result.stderr
    assert sorted(files_under(target / "ImageSets" / "Main")) == ["default.txt",
                                                                  "ok_default.txt"]


# -- whole-path length, long names in messages, Windows names ------------------------------
DEEP = ("d" * 200 + "/") * 25 + "deep.jpg"  # every segment fits; the whole path is 5 KB
MID = ("d" * 200 + "/") * 7 + "mid.jpg"  # 1.4 KB: a file can be made there, to be copied


@pytest.mark.parametrize("fmt", OUTPUTS)
def test_a_name_making_a_too_long_path_is_skipped_under_warn(runner, cli, tmp_path, fmt):
    """VOC names its files by item id (DEEP); COCO and CVAT write a path from the name
    only to save the image, so theirs (MID) is one whose image exists."""
    root, ds = sandbox_of(tmp_path)
    name = DEEP if fmt == "voc" else MID
    files = {"images/ok.jpg": IMAGE} | ({} if fmt == "voc" else {f"images/{MID}": IMAGE})
    write_coco_ds(ds, {"default": [name, "ok.jpg"]}, files)
    target = ds.parent / "out"
    args = ["-if", "coco", "-i", str(ds), "-f", fmt, "--save-images"]
    result = run(runner, cli, root, target, args)
    refused(result, 1, "bytes long", "at most 1024 bytes", "dddd\u2026")
    assert len(result.stderr) < 600, result.stderr
    result = run(runner, cli, root, target, [*args, "--on-error", "warn"])
    assert result.exit_code == 0, result.stderr
    assert re.search(r"skipped +bad records +1 ", result.stderr)
    assert [Path(p).name for p in files_under(target) if p.endswith(".jpg")] == ["ok.jpg"]


def test_error_lines_quote_at_most_about_200_characters_of_a_name(runner, cli, tmp_path):
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": ["x" * 250 + "/" + "../" * 2000]})  # no tail: refused
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "voc"])
    refused(result, 1, "'..' segment", "xxxx\u2026")
    assert len(result.stderr) < 600, result.stderr


WINDOWS_NAMES = ["CON.jpg", "aux.jpg", "ab:c.jpg", "q?.jpg", "LPT1", "x<y>|z.jpg", "dot.",
                 "10:42:07.jpg"]


def test_names_windows_cannot_hold_are_written_and_warned_about_in_an_archive(runner, cli,
                                                                             tmp_path):
    """A folder output follows the host's rules (Linux: all fine, no warning); a zip,
    often unpacked on Windows, gets one warning counting the members Windows refuses."""
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": [*WINDOWS_NAMES, "ok.jpg"]})
    folder = run(runner, cli, root, ds.parent / "out", ["-if", "coco", "-i", str(ds), "-f",
                                                        "voc"])
    assert folder.exit_code == 0 and "warning" not in folder.stderr, folder.stderr
    assert len(list((ds.parent / "out" / "Annotations").iterdir())) == 9
    for name in ("out.zip", "out.tar.gz"):
        zipped = run(runner, cli, root, ds.parent / name, ["-if", "coco", "-i", str(ds),
                                                           "-f", "voc"])
        assert zipped.exit_code == 0, zipped.stderr
        warnings = [line for line in zipped.stderr.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1 and re.search(
            r"\d+ name\(s\) in the archive cannot be extracted on Windows", warnings[0]), \
            warnings


def test_a_one_letter_name_before_a_colon_is_read_as_a_windows_drive(runner, cli,
                                                                      tmp_path):
    """``a:b`` is drive a:'s ``b`` on Windows: looked up, and written, by its tail."""
    root, ds = sandbox_of(tmp_path)
    write_coco_ds(ds, {"default": ["a:b.jpg"]})
    target = ds.parent / "out"
    result = run(runner, cli, root, target, ["-if", "coco", "-i", str(ds), "-f", "voc"])
    assert result.exit_code == 0, result.stderr
    assert "e.g. 'a:b' -> 'b'" in result.stderr
    assert "Annotations/b.xml" in files_under(target)
