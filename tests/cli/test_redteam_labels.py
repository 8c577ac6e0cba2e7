"""Red-team findings F24, F31, F33 through the CLI: CVAT label names, huge attribute lists,
images that cannot be re-encoded.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cococonv.registry import default_registry


@pytest.fixture(autouse=True)
def _plugins_loaded():
    """Load plugins before a CLI run so a plugin warning cannot land in a command's stderr."""
    default_registry()


# -- F24: one element with many attributes is read in linear time ------------------------

def test_cvat_element_with_150k_attributes_is_read(tmp_path: Path):
    many = " ".join(f'a{i}="{i}"' for i in range(150_000))
    box_many = " ".join(f'b{i}="x"' for i in range(50_000))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "annotations.xml").write_text(
        '<?xml version="1.0"?><annotations><version>1.1</version><meta><task><name>t</name>'
        '<labels><label><name>c</name></label></labels></task></meta>'
        f'<image id="0" name="a.jpg" width="5" height="5" {many}>'
        f'<box label="c" xtl="1" ytl="1" xbr="2" ybr="2" occluded="0" {box_many}/>'
        '</image></annotations>')
    out = tmp_path / "out"
    # 80k attributes took 25 s before the fix (n**2 in lxml's attrib.items()), so 150k would
    # pass the timeout; about a second after it.
    done = subprocess.run([sys.executable, "-m", "cococonv", "convert", "-i", str(tmp_path / "in"),
                           "-f", "cvat", "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    from lxml import etree
    root = etree.parse(str(out / "annotations.xml")).getroot()
    image = root.find("image")
    assert image.get("a0") == "0" and image.get("a149999") == "149999"
    box = image.find("box")
    assert box.get("b49999") == "x" and box.get("xbr") == "2"
