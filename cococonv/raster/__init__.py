"""Index masks: pictures whose pixels are small integers (a class, an instance), as the
mask PNGs of VOC and similar formats hold them, and their way to and from COCO RLE.

Why a package of its own: the row-major pixels of a PNG and the column-major runs of RLE
need several passes of reordering, so this is where cococonv spends its time on masks;
the compiled helpers (``_fastmasks.c``, ``_fastpng.c``, loaded by ``speedups``) and the
numpy code that gives the same bytes without them sit side by side here, for any format
that writes or reads index-mask PNGs:

- ``png``: 8-bit index PNGs (palette or grayscale) encoded from and decoded to scanlines;
- ``paint``: RLE and polygon layers painted into class and instance scanlines;
- ``runs``: class and instance planes read back as one RLE per (instance, class) code;
- ``palette``: the VOC palette, the default colours of mask indices;
- ``speedups``: the compiled helpers, or None (``COCOCONV_NO_SPEEDUPS=1`` turns them off).

What an index means (labels, palettes, the void border) is the format's business.
"""
