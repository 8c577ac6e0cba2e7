"""Built-in transforms: functions from dataset to dataset, applied between import and export.

One module per concern: ids, labels, subsets, shapes (outline forms), boxes (shape kinds),
removal. ``crop_covered`` lives with the COCO plugin, whose object grouping it uses.
"""
from .boxes import BoxesToPolygonsTransform, MergeInstanceSegmentsTransform, ShapesToBoxesTransform
from .ids import CategoryIdsTransform, IdFromImageNameTransform, ReindexTransform
from .labels import RemapLabelsTransform
from .removal import (RemoveAnnotationsTransform, RemoveAttributesTransform,
                      RemoveImagesWithoutAnnotationsTransform)
from .shapes import MasksToPolygonsTransform, PolygonsToMasksTransform, SegmentationModeTransform
from .subsets import MapSubsetsTransform

PLUGINS = (
    ReindexTransform,
    RemapLabelsTransform,
    PolygonsToMasksTransform,
    MasksToPolygonsTransform,
    CategoryIdsTransform,
    IdFromImageNameTransform,
    MapSubsetsTransform,
    SegmentationModeTransform,
    BoxesToPolygonsTransform,
    ShapesToBoxesTransform,
    MergeInstanceSegmentsTransform,
    RemoveAnnotationsTransform,
    RemoveAttributesTransform,
    RemoveImagesWithoutAnnotationsTransform,
)
