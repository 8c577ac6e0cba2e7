"""YOLO (Ultralytics and darknet) importer and exporter."""
from .exporter import YoloExporter
from .importer import YoloImporter

PLUGINS = (YoloImporter, YoloExporter)
