"""Built-in transforms: functions from dataset to dataset, applied between import and export."""
from .basic import (MasksToPolygonsTransform, PolygonsToMasksTransform, ReindexTransform,
                    RemapLabelsTransform)
from .filter import FilterTransform
from .split import SplitTransform

PLUGINS = (ReindexTransform, RemapLabelsTransform, PolygonsToMasksTransform,
           MasksToPolygonsTransform,
           FilterTransform,
           SplitTransform)
