"""cococonv: convert computer-vision annotation datasets without losing data.

The public API (``load``, ``save``, ``convert``, ``detect``, ``transform``, ``info``,
``merge``, ``filter_dataset``, ``split_dataset``) and the model types are re-exported here.
"""
from .api import convert, detect, info, load, merge, save, transform
from .errors import (CococonvError, DataError, OptionError, OutputExistsError,
                     UnknownFormatError, UnsafeInputError)
from .model import (Annotation, Bbox, Caption, Categories, Dataset, Ellipse, Image, Item,
                    KeypointSchema, Label, LabelCategory, Mask, Points, Polygon, Polyline)
from .report import Report
from .filtering import filter_dataset
from .splitting import split_dataset

__all__ = [
    "convert", "detect", "info", "load", "merge", "save", "transform",
    "CococonvError", "DataError", "OptionError", "OutputExistsError", "UnknownFormatError",
    "UnsafeInputError",
    "Annotation", "Bbox", "Caption", "Categories", "Dataset", "Ellipse", "Image", "Item",
    "KeypointSchema", "Label", "LabelCategory", "Mask", "Points", "Polygon", "Polyline",
    "Report",
    "filter_dataset",
    "split_dataset",
]
