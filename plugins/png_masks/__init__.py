"""Image + mask PNG pairs (semantic or instance-id masks) with a colour map: `png_masks`."""
from .exporter import PngMasksExporter
from .importer import PngMasksImporter

PLUGINS = (PngMasksImporter, PngMasksExporter)
