"""Run by tests/interop in a subprocess: Datumaro 1.x imports each dataset it is given.

Datumaro is imported only here, in its own process: it pulls in pandas, pyarrow and cv2 and
sets warning filters and log handlers that would leak into the test process.

``datumaro_probe.py export DIR`` writes Datumaro's own COCO sample instead (see
``export_sample``). Otherwise input (stdin): a JSON list of ``[path, format]``. Output (stdout): a JSON list, per input,
of ``{"items": n, "subsets": [...], "kinds": {annotation type: count}}`` or
``{"error": "..."}`` with the exception chain.
"""
from __future__ import annotations

import json
import logging
import sys
import warnings
from collections import Counter


def probe(path: str, fmt: str) -> dict:
    from datumaro.components.dataset import Dataset

    try:
        dataset = Dataset.import_from(path, fmt)
        kinds: Counter[str] = Counter()
        items = 0
        for item in dataset:
            items += 1
            for ann in item.annotations:
                kinds[ann.type.name] += 1
                if ann.type.name == "mask":
                    ann.image  # decode: a colour the label map lacks fails only here
        return {"items": items, "subsets": sorted(dataset.subsets()), "kinds": dict(kinds)}
    except Exception as exc:  # noqa: BLE001 - every failure is the answer, reported
        chain, cause = [], exc
        while cause is not None and len(chain) < 5:
            chain.append(f"{type(cause).__name__}: {cause}"[:300])
            cause = cause.__cause__ or cause.__context__
        return {"error": " <- ".join(chain)}


def export_sample(path: str) -> None:
    """Datumaro's own COCO export of an image of unknown size (written ``width: 0``) with
    a labelled and an unlabelled box (``category_id: 0``)."""
    from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image

    categories = {AnnotationType.label: LabelCategories.from_iterable(["cat"])}
    dataset = Dataset.from_iterable([
        DatasetItem("a", subset="train", media=Image.from_file(path="a.jpg"),
                    annotations=[Bbox(1, 2, 3, 4, label=0, id=1), Bbox(2, 2, 2, 2, id=2)]),
    ], categories=categories)
    dataset.export(path, "coco_instances")


def main() -> None:
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    if sys.argv[1:2] == ["export"]:
        export_sample(sys.argv[2])
        return
    jobs = json.load(sys.stdin)
    json.dump([probe(path, fmt) for path, fmt in jobs], sys.stdout)


if __name__ == "__main__":
    main()
