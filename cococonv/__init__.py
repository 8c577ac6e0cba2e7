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


def __getattr__(name: str) -> object:
    """``filter_dataset`` and ``split_dataset`` load on first use: their expression parser
    and tables cost a `cococonv convert` run some 10 ms of start-up it never uses."""
    if name == "filter_dataset":
        from .filtering import filter_dataset
        return filter_dataset
    if name == "split_dataset":
        from .splitting import split_dataset
        return split_dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
