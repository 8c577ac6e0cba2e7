/* cococonv show: the legend with its toggles, the hover box and the stats panel. Text from
   the dataset only ever goes through textContent. */
"use strict";

const HIDDEN = {labels: new Set(), kinds: new Set()};
const KIND_NAMES = ["bbox", "polygon", "polyline", "points", "ellipse", "mask", "label", "caption"];

function el(name, text, cls) {
  const node = document.createElement(name);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function applyToggles() {
  const rules = [];
  for (const l of HIDDEN.labels) rules.push('[data-l="' + l + '"]{display:none}');
  for (const k of HIDDEN.kinds) rules.push(".k-" + k + "{display:none}" +
                                           (k === "polygon" ? " .fill{display:none}" : ""));
  document.getElementById("toggle-rules").textContent = rules.join("\n");
}

function toggle(list, key, box) {
  box.addEventListener("change", () => {
    if (box.checked) list.delete(key); else list.add(key);
    applyToggles();
  });
}

function buildLegend() {
  const style = document.createElement("style");
  style.id = "toggle-rules";
  document.head.appendChild(style);
  const kinds = document.getElementById("kinds"), labels = document.getElementById("labels");
  for (const kind of KIND_NAMES) {
    const row = el("label", null, "toggle"), box = el("input");
    box.type = "checkbox"; box.checked = true; box.dataset.kind = kind;
    row.append(box, el("span", kind));
    kinds.appendChild(row);
    toggle(HIDDEN.kinds, kind, box);
  }
  const declared = el("label", null, "toggle"), shown = el("input");
  shown.type = "checkbox"; shown.id = "declared";
  shown.addEventListener("change", () => document.body.classList.toggle("show-declared", shown.checked));
  declared.append(shown, el("span", "declared boxes"));
  kinds.appendChild(declared);
  DATA.labels.forEach((name, index) => {
    const row = el("label", null, "toggle"), box = el("input"), swatch = el("span", null, "swatch");
    box.type = "checkbox"; box.checked = true; box.dataset.label = index;
    swatch.style.background = colourOf(index);
    row.append(box, swatch, el("span", name));
    labels.appendChild(row);
    toggle(HIDDEN.labels, String(index), box);
  });
}

function areaOf(rec) {
  if (rec.ar !== undefined) return rec.ar + " (declared)";
  const g = rec.g || [];
  if (rec.k === "bbox") return g[2] * g[3];
  if (rec.k === "ellipse") return (Math.PI * g[2] * g[3]).toFixed(1);
  if (rec.k === "mask") return rleArea(rec.m) ?? "invalid RLE";
  if (rec.k === "polygon") {
    const n = Math.floor(g.length / 2);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      s += g[2 * i] * g[2 * j + 1] - g[2 * j] * g[2 * i + 1];
    }
    return Math.abs(s / 2).toFixed(1);
  }
  return null;
}

function showTip(rec, x, y) {
  const tip = document.getElementById("tip");
  tip.replaceChildren();
  const rows = [["kind", rec.k], ["id", rec.i ?? "-"], ["label", DATA.labels[rec.l] ?? "(none)"]];
  const area = areaOf(rec);
  if (area !== null) rows.push(["area", area]);
  if (rec.c) rows.push(["crowd", "yes"]);
  if (rec.G) rows.push(["group", rec.G]);
  if (rec.r) rows.push(["rotation", rec.r]);
  if (rec.db) rows.push(["declared box", rec.db.join(", ")]);
  for (const key in rec.at || {}) rows.push([key, JSON.stringify(rec.at[key])]);
  for (const [key, value] of rows) {
    const row = el("div");
    row.append(el("b", key + ": "), el("span", value));
    tip.appendChild(row);
  }
  tip.style.left = Math.min(x + 14, window.innerWidth - 260) + "px";
  tip.style.top = (y + 14) + "px";
  tip.hidden = false;
}

function watchHover(root) {
  root.addEventListener("mouseover", event => {
    const target = event.target.closest ? event.target.closest(".ann") : null;
    const rec = target && RECORDS.get(target);
    if (rec) showTip(rec, event.clientX, event.clientY);
  });
  root.addEventListener("mouseout", event => {
    if (event.target.closest && event.target.closest(".ann"))
      document.getElementById("tip").hidden = true;
  });
}

function table(title, head, rows) {
  const section = el("section"), t = el("table"), tr = el("tr");
  section.appendChild(el("h3", title));
  for (const cell of head) tr.appendChild(el("th", cell));
  t.appendChild(tr);
  for (const row of rows) {
    const r = el("tr");
    for (const cell of row) r.appendChild(el("td", cell));
    t.appendChild(r);
  }
  section.appendChild(t);
  return section;
}

function buildStats() {
  const panel = document.getElementById("stats");
  DATA.inputs.forEach((name, side) => {
    const subsets = new Map(), labels = new Map(), kinds = new Set();
    for (const entry of DATA.items) {
      const records = entry.a[side];
      if (!records) continue;
      const subset = DATA.subsets[entry.s];
      subsets.set(subset, (subsets.get(subset) || 0) + 1);
      for (const rec of records) {
        const label = DATA.labels[rec.l] ?? "(no label)";
        if (!labels.has(label)) labels.set(label, {});
        labels.get(label)[rec.k] = (labels.get(label)[rec.k] || 0) + 1;
        kinds.add(rec.k);
      }
    }
    const order = KIND_NAMES.filter(k => kinds.has(k));
    panel.appendChild(el("h2", (DATA.inputs.length > 1 ? "ABCD"[side] + ": " : "") + name));
    panel.appendChild(table("items per subset", ["subset", "items"], [...subsets]));
    panel.appendChild(table("annotations per label and kind", ["label", ...order],
      [...labels].map(([label, counts]) => [label, ...order.map(k => counts[k] || 0)])));
  });
  const notes = [];
  for (const kind in DATA.notDrawn) notes.push(["not drawn: " + kind, DATA.notDrawn[kind]]);
  for (const why in DATA.noPicture) notes.push(["without a picture: " + why, DATA.noPicture[why]]);
  if (DATA.repeatedNames) notes.push(["items repeating a file name, shown apart", DATA.repeatedNames]);
  if (notes.length) panel.appendChild(table("what the gallery could not show", ["what", "count"], notes));
  const report = DATA.report;
  if (report) {
    const rows = [];
    for (const r of report.lost || []) rows.push(["lost", r.what, r.count, r.why]);
    for (const r of report.approximated || []) rows.push(["approximated", r.what, r.count, r.how]);
    for (const s of (report.skipped || []).slice(0, 200)) rows.push(["skipped", s, 1, ""]);
    for (const w of (report.warnings || []).slice(0, 200)) rows.push(["warning", w, "", ""]);
    if (report.written) rows.push(["written", report.written.target, report.written.annotations, "annotations"]);
    panel.appendChild(table("conversion report", ["status", "what", "count", "why"], rows));
  }
}
