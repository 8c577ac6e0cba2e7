"""Run by tests/interop/test_labelme_interop.py in a subprocess: LabelMe's own reader
(``labelme.LabelFile``) loads each JSON file it is given.

LabelMe is imported only here, in its own process (and possibly its own environment:
``COCOCONV_LABELME_PYTHON`` names that interpreter): it is GPL-3.0 and pulls in PyQt5 and
onnxruntime, so it is no dependency of cococonv nor of the interop extra.

Input (argv): JSON file paths. Output (stdout): a JSON list, per file, of
``{"shapes": [[shape_type, label, points, group_id], ...], "flags": {...}, "image": n}``
(``n`` the bytes of the image LabelMe loaded) or ``{"error": "..."}``.
"""
from __future__ import annotations

import json
import sys


def probe(path: str) -> dict:
    from labelme import LabelFile

    try:
        loaded = LabelFile(path)
        shapes = [[s["shape_type"], s["label"], [list(map(float, p)) for p in s["points"]],
                   s["group_id"]] for s in loaded.shapes]
        return {"shapes": shapes, "flags": dict(loaded.flags or {}),
                "image": len(getattr(loaded, "image_data", None) or loaded.imageData or b"")}
    except Exception as exc:  # noqa: BLE001 - every failure is the answer, reported
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}


if __name__ == "__main__":
    print(json.dumps([probe(path) for path in sys.argv[1:]]))
