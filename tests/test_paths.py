"""cococonv.paths: dataset names kept inside the output, lookups inside the input."""
from __future__ import annotations

import os

import pytest

from cococonv import paths
from cococonv.errors import DataError
from cococonv.paths import (is_within, join_inside, lookup_relpath, overlaps, safe_relpath,
                            safe_segment)
from cococonv.sources import DirTree, FileTree


@pytest.mark.parametrize("name, expected", [
    ("a.jpg", "a.jpg"),
    ("train/a.jpg", "train/a.jpg"),
    ("./a//b.jpg", "a/b.jpg"),
    ("a\\b.jpg", "a/b.jpg"),
    ("c d.jpg", "c d.jpg"),
    ("..a/b..c", "..a/b..c"),
    ("café/ü.png", "café/ü.png"),
])
def test_safe_relpath_normalises_contained_names(name, expected):
    assert safe_relpath(name, what="file name") == expected


@pytest.mark.parametrize("name, reason", [
    ("../x.jpg", "'..' segment"),
    ("a/../../x.jpg", "'..' segment"),
    ("a\\..\\..\\x.jpg", "'..' segment"),
    ("/etc/passwd", "absolute path"),
    ("\\\\server\\share\\x", "absolute path"),
    ("//server/x", "absolute path"),
    ("C:\\x.jpg", "Windows reads as a drive"),
    ("c:x.jpg", "Windows reads as a drive"),
    ("a\x00.jpg", "control character"),
    ("a\nb.jpg", "control character"),
    ("a\tb", "control character"),
    ("a\u2028b", "control character"),
    ("", "is empty"),
    ("./", "is empty"),
    ("x" * 256, "longer than 255 bytes"),
])
def test_safe_relpath_refuses_escaping_or_unusable_names(name, reason):
    with pytest.raises(DataError, match=reason) as caught:
        safe_relpath(name, what="item id")
    assert str(caught.value).startswith("item id ")


def test_safe_relpath_refuses_non_text():
    with pytest.raises(DataError, match="must be text"):
        safe_relpath(12, what="subset")  # type: ignore[arg-type]


def test_safe_segment_takes_one_name_only():
    assert safe_segment("train", what="subset") == "train"
    with pytest.raises(DataError, match="path separator"):
        safe_segment("a/b", what="subset")
    with pytest.raises(DataError, match="path separator"):
        safe_segment("a\\b", what="label name")


def test_join_inside_stays_under_the_root(tmp_path):
    assert join_inside(str(tmp_path), "a/b.xml", what="item id") == \
        os.path.join(str(tmp_path), "a", "b.xml")
    with pytest.raises(DataError):
        join_inside(str(tmp_path), "../b.xml", what="item id")


@pytest.mark.parametrize("name, expected", [
    ("a.jpg", "a.jpg"),
    ("images/./a.jpg", "images/a.jpg"),
    ("../../../../X.jpg", "X.jpg"),
    ("../images/../sub/x.jpg", "sub/x.jpg"),
    ("/home/user/.ssh/id_rsa", "id_rsa"),
    ("C:\\data\\img\\x.jpg", "x.jpg"),
    ("\\\\server\\share\\x.jpg", "x.jpg"),
    ("..", None),
    ("/", None),
    ("a\x00b", None),
])
def test_lookup_relpath_cuts_escaping_names_to_their_tail(name, expected):
    assert lookup_relpath(name) == expected


def test_is_within_resolves_links(tmp_path):
    inside = tmp_path / "root"
    outside = tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (outside / "secret").write_text("x")
    (inside / "link").symlink_to(outside / "secret")
    assert is_within(str(inside / "a"), str(inside))
    assert not is_within(str(inside / "link"), str(inside))
    assert overlaps(str(inside), str(inside / "sub")) and overlaps(str(inside / "sub"),
                                                                   str(inside))
    assert not overlaps(str(inside), str(outside))


def test_dir_tree_never_reads_outside_its_root(tmp_path):
    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    (root / "images" / "ok.jpg").write_bytes(b"ok")
    (root / "images" / "out.jpg").symlink_to(tmp_path / "secret.jpg")
    (root / "images" / "in.jpg").symlink_to(root / "images" / "ok.jpg")
    tree = DirTree(str(root))
    assert not tree.exists("../secret.jpg")
    assert not tree.exists("images/../../secret.jpg")
    assert not tree.exists("images/out.jpg")
    assert tree.local_path("images/out.jpg") is None
    assert tree.exists("images/in.jpg")
    with pytest.raises(DataError, match="leaves the input"):
        tree.read_bytes("../secret.jpg")
    with pytest.raises(DataError, match="symbolic link"):
        tree.read_bytes("images/out.jpg")
    assert tree.read_bytes("images/ok.jpg") == b"ok"
    assert tree.read_folders() == [str(root / "images")]


def test_a_single_file_is_looked_in_only_in_its_folder(tmp_path):
    """F40: nothing above the file's folder is a root, not even above annotations/."""
    (tmp_path / "ds" / "annotations").mkdir(parents=True)
    coco = FileTree("x.json", path=str(tmp_path / "ds" / "annotations" / "x.json"))
    lookups = list(coco.image_lookups(["images/a.jpg", ".ssh/id_rsa", "a.jpg"]))
    assert [(base.root, rel) for base, rel in lookups] == [
        (str(tmp_path / "ds" / "annotations"), "images/a.jpg"),
        (str(tmp_path / "ds" / "annotations"), "a.jpg")]
    assert coco.dataset_folder() == str(tmp_path / "ds")
    assert FileTree("x.json", path=str(tmp_path / "ds" / "x.json")).dataset_folder() is None


def test_safe_relpath_bounds_the_whole_path_and_shortens_the_name_it_quotes():
    ok = "/".join(["d" * 200] * 5)  # 1004 bytes
    assert safe_relpath(ok, what="image file name") == ok
    with pytest.raises(DataError, match="1205 bytes long; .* at most 1024 bytes") as caught:
        safe_relpath(ok + "/" + "e" * 200, what="image file name")
    assert len(str(caught.value)) < 300 and "\u2026" in str(caught.value)


def test_on_windows_names_windows_cannot_hold_are_refused(monkeypatch):
    assert safe_relpath("CON.jpg", what="item id") == "CON.jpg"  # a fine name here
    monkeypatch.setattr(paths, "_WINDOWS", True)
    for name, reason in [("CON.jpg", "device name 'CON'"), ("a/lpt1", "device name 'LPT1'"),
                         ("10:42.jpg", "holds ':'"), ("q?", "holds '?'"),
                         ("dot./x", "ends with a dot")]:
        with pytest.raises(DataError, match=reason):
            safe_relpath(name, what="item id")
    assert safe_relpath("ok.jpg", what="item id") == "ok.jpg"


def test_lookup_relpath_never_looks_up_a_hidden_segment():
    assert lookup_relpath(".ssh/id_rsa") is None
    assert lookup_relpath("../../.aws/credentials") is None
    assert lookup_relpath("a/.git/x.jpg") is None
    assert lookup_relpath("./images/a.jpg") == "images/a.jpg"


def test_dir_tree_exists_answers_from_one_listing_as_from_lstat(tmp_path, monkeypatch):
    import cococonv.localfs as localfs
    import cococonv.sources as sources

    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.png").write_bytes(b"x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.jpg"
    outside.write_bytes(b"x")
    (tmp_path / "link.jpg").symlink_to(outside)
    names = ["a.jpg", "sub/b.png", "sub", "missing.jpg", "sub/missing.png", "link.jpg",
             "../a.jpg", "nosuchdir/a.jpg"]
    listed = [sources.DirTree(str(tmp_path)).exists(n) for n in names]
    monkeypatch.setattr(localfs, "MAX_LISTED", 0)  # every name lstat'ed
    assert listed == [sources.DirTree(str(tmp_path)).exists(n) for n in names]
    assert listed == [True, True, False, False, False, False, False, False]


def test_dir_tree_listing_keys_match_names_a_case_insensitive_disk_would():
    from cococonv.localfs import name_key

    assert name_key("IMG_1.JPG") == name_key("img_1.jpg")
    assert name_key("e\u0301.jpg") == name_key("\u00e9.jpg")  # NFD as APFS stores it
