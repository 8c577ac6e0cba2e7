"""Built-in transforms: functions from dataset to dataset, applied between import and export."""
from .basic import (MasksToPolygonsTransform, PolygonsToMasksTransform, ReindexTransform,
                    RemapLabelsTransform)

PLUGINS = (ReindexTransform, RemapLabelsTransform, PolygonsToMasksTransform,
           MasksToPolygonsTransform)
