"""Reading an index mask back: class and instance planes as runs, and runs as RLE.

The reader's side of ``paint``: the compiled helper (``_fastmasks.c``) finds the runs and
encodes each code's RLE when it is built, else the numpy code here does (one pass per
plane plus one comparison per mask); both give the same runs and RLEs.
"""
from __future__ import annotations

from typing import Any

from . import speedups


def sorted_unique(values: Any) -> Any:
    """``np.unique`` of a small int array by sorting (numpy 2's hash-based unique costs
    ~0.3 ms even for a few thousand values)."""
    import numpy as np

    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


class Runs:
    """The column-major runs of ``instance * 256 + class`` over an image, from which any
    union of (instance, class) codes is an RLE without touching the pixels again (either
    plane may be None; both are uint8 planes of the same shape).

    The runs are found without transposing the row-major pictures: a run starts at the top
    of each column and wherever a pixel differs from the one above it."""

    def __init__(self, classes: Any, instances: Any):
        import numpy as np

        planes = [p for p in (classes, instances) if p is not None]
        height, width = planes[0].shape
        self.height, self.width, self.total = height, width, height * width
        fast = speedups.fastmasks()
        if fast is not None:
            try:
                starts, values = fast.column_runs(*(_row_contiguous(p)
                                                    for p in (classes, instances)))
            except ValueError:  # refused: numpy below says what is wrong, if anything
                pass
            else:
                self.starts = np.frombuffer(starts, dtype=np.int64)
                self.values = np.frombuffer(values, dtype=np.int64)
                return
        if not self.total:
            self.starts = self.values = np.zeros(0, np.int64)
            return
        found = [np.arange(0, self.total, height, dtype=np.int64)]
        found += [_vertical_changes(plane) for plane in planes]
        starts = np.concatenate(found)
        starts = sorted_unique(starts) if len(planes) > 1 else np.sort(starts)
        xs, ys = np.divmod(starts, height)
        values = np.zeros(starts.size, np.int64)
        if instances is not None:
            values |= instances[ys, xs].astype(np.int64) << 8
        if classes is not None:
            values |= classes[ys, xs]
        keep = np.ones(values.size, dtype=bool)
        keep[1:] = values[1:] != values[:-1]
        self.starts, self.values = starts[keep], values[keep]

    def rles_of_codes(self, codes: list[int]) -> list[dict]:
        """The RLE of each code's runs (exact codes, so no two of a code's runs touch),
        all encoded together."""
        import numpy as np

        from cococonv import masks

        if not codes:
            return []
        fast = speedups.fastmasks()
        if fast is not None:
            try:
                texts = fast.code_rles(self.starts, self.values, self.height, self.width,
                                       codes)
            except ValueError:
                pass
            else:
                return [{"size": [self.height, self.width], "counts": text} for text in texts]
        order = np.argsort(self.values, kind="stable")
        ordered = self.values[order]
        wanted = np.asarray(codes, dtype=np.int64)
        lo = np.searchsorted(ordered, wanted, "left")
        hi = np.searchsorted(ordered, wanted, "right")
        picked = np.concatenate([order[a:b] for a, b in zip(lo.tolist(), hi.tolist())])
        ends = np.append(self.starts[1:], self.total)
        bounds = np.empty(2 * picked.size, dtype=np.int64)
        bounds[0::2], bounds[1::2] = self.starts[picked], ends[picked]
        counts = np.diff(bounds, prepend=0)
        runs = hi - lo
        first = 2 * (np.cumsum(runs) - runs)
        counts[first] = bounds[first]
        last = first + 2 * runs - 1
        tails = self.total - bounds[last]  # a final run of zeros, when there is one
        counts = np.insert(counts, last[tails > 0] + 1, tails[tails > 0])
        texts = masks.counts_to_strings(counts, 2 * runs + (tails > 0))
        return [{"size": [self.height, self.width], "counts": text} for text in texts]

    def rle(self, selected: Any) -> dict:
        """Compressed RLE of the pixels of the runs where ``selected`` is true."""
        import numpy as np

        from cococonv import masks

        fast = speedups.fastmasks()
        if fast is not None:  # the selected runs, touching ones merged, as one code's runs
            picked = selected.astype(np.int64)
            keep = np.ones(picked.size, dtype=bool)
            keep[1:] = picked[1:] != picked[:-1]
            try:
                text = fast.code_rles(self.starts[keep], picked[keep], self.height,
                                      self.width, [1])[0]
            except ValueError:
                pass
            else:
                return {"size": [self.height, self.width], "counts": text}
        edges = np.flatnonzero(np.diff(np.concatenate(([0], selected.astype(np.int8), [0]))))
        positions = np.append(self.starts, self.total)[edges]
        counts = np.diff(np.concatenate(([0], positions, [self.total])))
        if counts.size > 1 and counts[-1] == 0:
            counts = counts[:-1]  # no empty final run (as pycocotools encodes)
        return masks.from_counts(counts, self.height, self.width)


def _row_contiguous(plane: Any) -> Any:
    """A uint8 plane whose rows are contiguous pixels (what the compiled helper reads)."""
    import numpy as np

    if plane is None or (plane.dtype == np.uint8 and plane.strides[1] == 1 and
                         plane.strides[0] >= plane.shape[1]):
        return plane
    return np.ascontiguousarray(plane, dtype=np.uint8)


def _vertical_changes(plane: Any) -> Any:
    """Column-major positions of the pixels (below the first row) that differ from the
    pixel above, from one comparison of the uint8 plane with itself a row later."""
    import numpy as np
    from numpy.lib.stride_tricks import as_strided

    height, width = plane.shape
    if height < 2:
        return np.zeros(0, np.int64)
    if plane.strides[1] != 1 or plane.strides[0] < width:
        plane = np.ascontiguousarray(plane)
    stride = plane.strides[0]  # a decoded PNG row is its filter byte + the pixels
    flat = as_strided(plane, shape=((height - 1) * stride + width,), strides=(1,))
    ys, xs = np.divmod(np.flatnonzero(flat[stride:] != flat[:-stride]), stride)
    if stride != width:
        inside = xs < width
        ys, xs = ys[inside], xs[inside]
    return xs * height + ys + 1
