"""Pascal VOC importers and exporters: `voc` (all tasks) and one per task."""
from .exporter import TASK_EXPORTERS, VocExporter
from .importer import TASK_IMPORTERS, VocImporter

PLUGINS = (VocImporter, *TASK_IMPORTERS, VocExporter, *TASK_EXPORTERS)
