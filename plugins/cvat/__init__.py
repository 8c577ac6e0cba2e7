"""CVAT for images 1.1 importer and exporter: `cvat` (video 1.1 tracks are read too)."""
from .exporter import CvatExporter
from .importer import CvatImporter

PLUGINS = (CvatImporter, CvatExporter)
