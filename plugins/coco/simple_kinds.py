"""COCO records with no geometry: image-level labels, captions, and image_info's none."""
from __future__ import annotations

from cococonv.errors import DataError
from cococonv.model import Caption, Label

from .records import check_record, common_fields, type_name
from .scope import CocoScope


def read_nothing(scope: CocoScope, annotations: list, task: str) -> None:
    """image_info files list images only: their records are checked, counted, not read."""
    for i, ann in enumerate(annotations):
        try:
            check_record(scope, ann, i)
        except DataError as err:
            scope.report.bad_record(err)
    if annotations:
        scope.report.warn(f"{scope.display}: {len(annotations)} annotations in an image_info "
                          f"file were not read")


def read_labels(scope: CocoScope, annotations: list, task: str) -> None:
    for i, ann in enumerate(annotations):
        try:
            ann = check_record(scope, ann, i)
            item = scope.images.item_of(ann, i)[0]
            aid, attrs = common_fields(scope, ann, i)
            label = scope.labels.label_of(ann, i)
            item.annotations.append(Label(id=aid, label=label, attributes=attrs, extra=ann))
        except DataError as err:
            scope.report.bad_record(err)


def read_captions(scope: CocoScope, annotations: list, task: str) -> None:
    for i, ann in enumerate(annotations):
        try:
            ann = check_record(scope, ann, i)
            item = scope.images.item_of(ann, i)[0]
            aid, attrs = common_fields(scope, ann, i)
            caption = ann.pop("caption", None)
            if type(caption) is not str:
                raise scope.error(f"must be a string, got {type_name(caption)}",
                                  f"annotations[{i}].caption")
            item.annotations.append(Caption(id=aid, caption=caption, attributes=attrs,
                                            extra=ann))
        except DataError as err:
            scope.report.bad_record(err)
