"""COCO importers and exporters: `coco` (all tasks) and one per task; the crop_covered
transform."""
from .crop import CropCoveredTransform
from .exporter import TASK_EXPORTERS, CocoExporter
from .importer import TASK_IMPORTERS, CocoImporter

PLUGINS = (CocoImporter, *TASK_IMPORTERS, CocoExporter, *TASK_EXPORTERS, CropCoveredTransform)
