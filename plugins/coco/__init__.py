"""COCO importers and exporters: `coco` (all tasks) and one per task."""
from .exporter import TASK_EXPORTERS, CocoExporter
from .importer import TASK_IMPORTERS, CocoImporter

PLUGINS = (CocoImporter, *TASK_IMPORTERS, CocoExporter, *TASK_EXPORTERS)
