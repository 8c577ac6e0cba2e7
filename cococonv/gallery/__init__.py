"""Looking at a dataset: annotations drawn over the images (HTML gallery, PNG overlays)."""
