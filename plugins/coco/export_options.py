"""The COCO exporters' options, declared once."""
from __future__ import annotations

from cococonv import export_options as shared
from cococonv.plugin import Option

from . import tasks as T

OPTIONS = (
    shared.save_images("images/<subset>/"),
    shared.image_ext(),
    shared.save_dataset_meta("labels, keypoint schemas and colours"),
    shared.segmentation_mode(),
    shared.crop_covered(),
    shared.allow_attributes("in each annotation's 'attributes' object (CVAT's COCO "
                            "extension)"),
    Option("reindex", bool, False, "Renumber image, annotation and category ids 1..N in "
           "input order; otherwise the source ids are kept."),
    Option("merge_images", bool, False, "Save all images into images/ instead of "
           "images/<subset>/."),
    shared.tasks(T.TASKS, "every task the source had or the data needs"),
    Option("indent", bool, False, "Pretty-print the JSON (slower, larger)."),
    Option("box_segmentation", str, "empty", "What a box-only object carries as its "
           "segmentation: empty ([], as CVAT and Datumaro write; pycocotools' segm "
           "evaluation cannot read it) or polygon (the box's 4 corners: segm evaluation and "
           "mask training accept it; read back as a polygon).", ("empty", "polygon")),
)
