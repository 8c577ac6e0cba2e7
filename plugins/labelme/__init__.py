"""LabelMe importer and exporter: `labelme` (one JSON per image)."""
from .exporter import LabelmeExporter
from .importer import LabelmeImporter

PLUGINS = (LabelmeImporter, LabelmeExporter)
