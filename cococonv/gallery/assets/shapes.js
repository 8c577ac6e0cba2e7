/* cococonv show: one item's annotations as SVG over its picture. Every annotation becomes
   exactly one element of class "ann" (labels and captions an HTML chip), so the page can be
   counted against the dataset; its record is kept in RECORDS for the hover box. */
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const RECORDS = new WeakMap();
const DRAW_ORDER = {mask: 0, polygon: 1, ellipse: 2, bbox: 3, polyline: 4, points: 5};

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const key in attrs) el.setAttribute(key, attrs[key]);
  return el;
}

function colourOf(label) {
  return label >= 0 && label < DATA.colours.length ? DATA.colours[label] : "#888888";
}

function flatPath(points, close) {
  let d = "";
  for (let i = 0; i + 1 < points.length; i += 2) d += (i ? " L" : "M") + points[i] + " " + points[i + 1];
  return close && d ? d + " Z" : d;
}

/* The picture's size: the dataset's, else what the annotations reach. */
function extentOf(entry) {
  if (entry.w && entry.h) return [entry.w, entry.h];
  let w = 1, h = 1;
  for (const side of entry.a) for (const rec of side || []) {
    if (rec.m) { h = Math.max(h, rec.m.size[0]); w = Math.max(w, rec.m.size[1]); }
    const g = rec.g || [];
    if (rec.k === "bbox") { w = Math.max(w, g[0] + g[2]); h = Math.max(h, g[1] + g[3]); }
    else if (rec.k === "ellipse") { w = Math.max(w, g[0] + g[2]); h = Math.max(h, g[1] + g[3]); }
    else for (let i = 0; i + 1 < g.length; i += 2) { w = Math.max(w, g[i]); h = Math.max(h, g[i + 1]); }
  }
  return [Math.ceil(w), Math.ceil(h)];
}

function tagged(el, rec) {
  el.classList.add("ann", "k-" + rec.k);
  if (rec.c) el.classList.add("crowd");
  el.setAttribute("data-l", rec.l);
  RECORDS.set(el, rec);
  return el;
}

function rotation(rec, cx, cy) {
  return rec.r ? {transform: "rotate(" + rec.r + " " + cx + " " + cy + ")"} : {};
}

function pointsShape(rec, colour, unit) {
  const group = svgEl("g", {stroke: colour, fill: colour});
  const g = rec.g || [], v = rec.v || [];
  const shown = i => (v.length ? v[i] : 2) > 0;
  for (const edge of DATA.skeletons[rec.l] || []) {
    const a = edge[0] - 1, b = edge[1] - 1;
    if (2 * a + 1 < g.length && 2 * b + 1 < g.length && shown(a) && shown(b))
      group.appendChild(svgEl("line", {x1: g[2 * a], y1: g[2 * a + 1], x2: g[2 * b], y2: g[2 * b + 1],
                                       class: "bone"}));
  }
  for (let i = 0; 2 * i + 1 < g.length; i++) {
    if (!shown(i)) continue;                          // v=0: not labelled, not drawn
    const hollow = (v.length ? v[i] : 2) === 1;
    group.appendChild(svgEl("circle", {cx: g[2 * i], cy: g[2 * i + 1], r: 4 * unit,
                                       class: hollow ? "joint hollow" : "joint"}));
  }
  return group;
}

function shapeOf(rec, colour, unit, maskSide) {
  const g = rec.g || [];
  switch (rec.k) {
    case "bbox":
      return svgEl("rect", Object.assign({x: g[0], y: g[1], width: Math.max(0, g[2]),
        height: Math.max(0, g[3]), stroke: colour}, rotation(rec, g[0] + g[2] / 2, g[1] + g[3] / 2)));
    case "polygon":
      return svgEl("path", {d: flatPath(g, true), stroke: colour, class: "ring"});
    case "polyline":
      return svgEl("path", {d: flatPath(g, false), stroke: colour, class: "line"});
    case "ellipse":
      return svgEl("ellipse", Object.assign({cx: g[0], cy: g[1], rx: Math.max(0, g[2]),
        ry: Math.max(0, g[3]), stroke: colour}, rotation(rec, g[0], g[1])));
    case "points":
      return pointsShape(rec, colour, unit);
    case "mask": {
      const href = maskImage(rec.m, colour, maskSide);
      const el = svgEl("image", {x: 0, y: 0, width: rec.m.size[1], height: rec.m.size[0],
                                 preserveAspectRatio: "none"});
      if (href) el.setAttribute("href", href); else el.classList.add("invalid");
      return el;
    }
  }
  return null;
}

/* Translucent fills of polygon groups, even-odd, so a ring inside another is a hole. */
function polygonFills(records, paint) {
  const groups = new Map();
  for (const rec of records) {
    if (rec.k !== "polygon") continue;
    const key = rec.G ? rec.l + "/" + rec.G : rec;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(rec);
  }
  const fills = [];
  for (const rings of groups.values()) {
    const el = svgEl("path", {d: rings.map(r => flatPath(r.g || [], true)).join(" "),
                              fill: paint(rings[0].l), class: "fill", "fill-rule": "evenodd"});
    el.setAttribute("data-l", rings[0].l);
    fills.push(el);
  }
  return fills;
}

/* Draw one side of an item into frame (a sized box holding the picture); chips get the
   labels and captions. unit: image pixels per screen pixel; maskSide: mask resolution;
   paint: label -> colour. */
function drawSide(records, frame, chips, size, unit, maskSide, paint = colourOf) {
  const svg = svgEl("svg", {viewBox: "0 0 " + size[0] + " " + size[1], preserveAspectRatio: "none",
                            class: "overlay"});
  for (const fill of polygonFills(records, paint)) svg.appendChild(fill);
  const drawn = records.filter(r => r.k in DRAW_ORDER)
    .sort((a, b) => DRAW_ORDER[a.k] - DRAW_ORDER[b.k]);
  for (const rec of drawn) {
    const el = shapeOf(rec, paint(rec.l), unit, maskSide);
    if (el) svg.appendChild(tagged(el, rec));
  }
  for (const rec of records) {     // the box the source declared beside a shape (COCO bbox)
    if (!rec.db) continue;
    const [x, y, w, h] = rec.db;
    const box = svgEl("rect", {x: x, y: y, width: Math.max(0, w), height: Math.max(0, h),
                               stroke: paint(rec.l), class: "declared"});
    box.setAttribute("data-l", rec.l);
    svg.appendChild(box);
  }
  frame.appendChild(svg);
  for (const rec of records) {
    if (rec.k !== "label" && rec.k !== "caption") continue;
    const chip = document.createElement("span");
    chip.textContent = rec.k === "label" ? (DATA.labels[rec.l] ?? "(no label)") : rec.t;
    chip.style.borderColor = paint(rec.l);
    chips.appendChild(tagged(chip, rec));
    chip.classList.add("chip");
  }
}
