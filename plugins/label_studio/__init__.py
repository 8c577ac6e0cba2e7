"""Label Studio JSON export importer and exporter: `label_studio`."""
from .exporter import LabelStudioExporter
from .importer import LabelStudioImporter

PLUGINS = (LabelStudioImporter, LabelStudioExporter)
