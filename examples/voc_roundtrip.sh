#!/usr/bin/env sh
# Pascal VOC -> COCO -> Pascal VOC with the small example dataset.
#
# --void-regions crowd turns VOC's void (255) border into a COCO crowd region of the
# background label, which the VOC exporter paints void again; without it the border is
# kept for VOC output only. Boxes keep their 1-based VOC coordinates (the default
# --coordinate-mode one-based). The end-of-run report on stderr lists what changed form.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/voc_roundtrip.XXXXXX")}

cococonv convert -if voc -i "$here/voc_small" -f coco -o "$out/coco" --save-images \
    --void-regions crowd
cococonv convert -if coco -i "$out/coco" -f voc -o "$out/voc" --save-images

echo "COCO: $out/coco  VOC again: $out/voc" >&2
