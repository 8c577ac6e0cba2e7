"""Segment Anything (SA-1B) importer and exporter: `segment_anything` (one JSON per image)."""
from .exporter import SegmentAnythingExporter
from .importer import SegmentAnythingImporter

PLUGINS = (SegmentAnythingImporter, SegmentAnythingExporter)
