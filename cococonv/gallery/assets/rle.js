/* cococonv show: COCO RLE masks, decoded in the page (no server, no library).
   Counts are column-major runs starting with zeros, as pycocotools writes them; a
   compressed string packs each run in 5-bit groups (chars from '0'), later runs as
   differences from the run two places back. */
"use strict";

function rleRuns(counts) {
  if (Array.isArray(counts)) return counts.map(Number);
  const runs = [];
  let p = 0;
  while (p < counts.length) {
    let value = 0, k = 0, more = true, code = 0;
    while (more) {
      if (p >= counts.length) return null;          // a cut-off last value
      code = counts.charCodeAt(p) - 48;
      if (code < 0 || code > 63) return null;
      value += (code & 0x1f) * Math.pow(2, 5 * k);
      more = (code & 0x20) !== 0;
      p += 1; k += 1;
      if (k > 12) return null;
    }
    if (code & 0x10) value -= Math.pow(2, 5 * k);   // the sign bit of the last group
    if (runs.length > 2) value += runs[runs.length - 2];
    runs.push(value);
  }
  return runs;
}

/* Run ends (cumulative), or null when the runs do not cover height*width exactly. */
function rleEnds(rle) {
  const size = rle.size || [0, 0], total = size[0] * size[1];
  const runs = rleRuns(rle.counts);
  if (!runs) return null;
  const ends = new Float64Array(runs.length);
  let sum = 0;
  for (let i = 0; i < runs.length; i++) {
    if (!(runs[i] >= 0)) return null;
    sum += runs[i];
    ends[i] = sum;
  }
  return sum === total ? ends : null;
}

function rleArea(rle) {
  const ends = rleEnds(rle);
  if (!ends) return null;
  let area = 0;
  for (let i = 1; i < ends.length; i += 2) area += ends[i] - ends[i - 1];
  return area;
}

/* First run whose end lies past pixel index idx. */
function runAt(ends, idx, lo) {
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] > idx) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/* A data: URL of the mask painted in colour (translucent), at most maxSide pixels on its
   longer side: a huge mask is sampled, never drawn at full size. Null when invalid. */
function maskImage(rle, colour, maxSide) {
  const ends = rleEnds(rle);
  const h = rle.size[0], w = rle.size[1];
  if (!ends || !h || !w) return null;
  const f = Math.max(1, Math.ceil(Math.max(h, w) / maxSide));
  const tw = Math.ceil(w / f), th = Math.ceil(h / f);
  const canvas = document.createElement("canvas");
  canvas.width = tw; canvas.height = th;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(tw, th), px = img.data;
  const r = parseInt(colour.slice(1, 3), 16), g = parseInt(colour.slice(3, 5), 16),
        b = parseInt(colour.slice(5, 7), 16);
  const half = Math.floor(f / 2);
  for (let tx = 0; tx < tw; tx++) {
    const sx = Math.min(w - 1, tx * f + half);
    let run = runAt(ends, sx * h + Math.min(h - 1, half), 0);
    for (let ty = 0; ty < th; ty++) {
      const idx = sx * h + Math.min(h - 1, ty * f + half);
      while (ends[run] <= idx) run++;
      if (run & 1) {
        const o = (ty * tw + tx) * 4;
        px[o] = r; px[o + 1] = g; px[o + 2] = b; px[o + 3] = 128;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL("image/png");
}
