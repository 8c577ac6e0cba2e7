/* cococonv show: the grid (cards filled lazily as they near the screen), the filters and
   the large view with keyboard next/previous. */
"use strict";

const DATA = JSON.parse(document.getElementById("gallery-data").textContent);
const THUMB = 220;                // card picture width in CSS pixels
const THUMB_MASK = 256, LARGE_MASK = 1024;
let shown = [];                   // item indices passing the filters, in order
let current = -1;                 // position in `shown` of the large view
const SIDE_COLOURS = ["#00b4ff", "#ff2fb9"];   // A and B when overlaid on one picture

function overlaid() {
  return DATA.inputs.length > 1 && document.getElementById("overlay").checked;
}

/* The panes of an item: one per input, or with "overlay" one holding both, A and B each
   in its own colour (a one-pixel shift shows as a double line). */
function panes(entry, width, maskSide, titled) {
  if (overlaid())
    return [pane(entry, [0, 1], width, maskSide, titled ? "A (blue) over B (pink)" : null)];
  return entry.a.map((_, side) => pane(entry, [side], width, maskSide,
    DATA.inputs.length < 2 ? null : titled ? "ABCD"[side] + ": " + DATA.inputs[side] : "ABCD"[side]));
}

function pane(entry, sides, width, maskSide, title) {
  const size = extentOf(entry);
  const box = el("div", null, "pane");
  if (title) box.appendChild(el("div", title, "pane-title"));
  const frame = el("div", null, "frame");
  frame.style.width = width + "px";
  frame.style.height = Math.round(width * size[1] / size[0]) + "px";
  if (entry.src) {
    const img = el("img");
    img.loading = "lazy";
    img.alt = "";
    if (!entry.w) {                 // the dataset gave no size: the picture's own, then redraw
      img.addEventListener("load", () => {
        if (entry.w || !img.naturalWidth) return;
        entry.w = img.naturalWidth; entry.h = img.naturalHeight;
        box.replaceWith(pane(entry, sides, width, maskSide, title));
      }, {once: true});
    }
    img.src = entry.src;
    frame.appendChild(img);
  } else {
    frame.classList.add("no-picture");
  }
  const chips = el("div", null, "chips");
  for (const side of sides) {
    const paint = sides.length > 1 ? () => SIDE_COLOURS[side] : colourOf;
    drawSide(entry.a[side] || [], frame, chips, size, size[0] / width, maskSide, paint);
    if (DATA.inputs.length > 1 && !entry.a[side])
      box.appendChild(el("div", "not in " + "ABCD"[side], "absent"));
  }
  box.append(frame, chips);
  return box;
}

function fillCard(card) {
  const entry = DATA.items[Number(card.dataset.i)];
  const holder = el("div", null, "panes");
  const width = DATA.inputs.length > 1 && !overlaid() ? THUMB / 1.4 : THUMB;
  holder.append(...panes(entry, Math.round(width), THUMB_MASK, false));
  card.prepend(holder);
  card.classList.add("filled");
}

const observer = new IntersectionObserver(entries => {
  for (const hit of entries) {
    if (!hit.isIntersecting) continue;
    observer.unobserve(hit.target);
    fillCard(hit.target);
  }
}, {rootMargin: "600px 0px"});

function passes(entry) {
  const subset = document.getElementById("subset").value;
  const label = document.getElementById("label").value;
  if (subset !== "" && entry.s !== Number(subset)) return false;
  if (document.getElementById("diffonly").checked && !entry.d) return false;
  if (label === "") return true;
  return entry.a.some(side => (side || []).some(rec => rec.l === Number(label)));
}

function buildGrid() {
  observer.disconnect();
  const grid = document.getElementById("grid");
  const fragment = document.createDocumentFragment();
  shown = [];
  DATA.items.forEach((entry, index) => {
    if (!passes(entry)) return;
    const card = el("div", null, "card" + (entry.d ? " differs" : ""));
    card.dataset.i = index;
    card.dataset.pos = shown.length;
    card.appendChild(el("div", entry.n, "name"));
    fragment.appendChild(card);
    shown.push(index);
  });
  grid.replaceChildren(fragment);
  for (const card of grid.children) observer.observe(card);
  document.getElementById("count").textContent = shown.length + " of " + DATA.items.length + " items";
}

function openViewer(position) {
  if (position < 0 || position >= shown.length) return;
  current = position;
  const entry = DATA.items[shown[position]];
  const body = document.getElementById("viewer-body");
  const sides = overlaid() ? 1 : entry.a.length;
  const size = extentOf(entry);
  const room = Math.min((window.innerWidth - 40) / sides - 20, (window.innerHeight - 90) * size[0] / size[1]);
  body.replaceChildren(...panes(entry, Math.max(100, Math.floor(room)), LARGE_MASK, true));
  document.getElementById("viewer-title").textContent =
    DATA.subsets[entry.s] + " / " + entry.n + "  (" + (position + 1) + " of " + shown.length + ")";
  document.getElementById("viewer").hidden = false;
}

function closeViewer() {
  document.getElementById("viewer").hidden = true;
  document.getElementById("viewer-body").replaceChildren();
  current = -1;
}

function start() {
  const subset = document.getElementById("subset"), label = document.getElementById("label");
  DATA.subsets.forEach((name, i) => { const o = el("option", name); o.value = i; subset.appendChild(o); });
  DATA.labels.forEach((name, i) => { const o = el("option", name); o.value = i; label.appendChild(o); });
  document.getElementById("inputs").textContent = DATA.inputs.map((n, i) =>
    (DATA.inputs.length > 1 ? "ABCD"[i] + ": " : "") + n).join("   ");
  if (DATA.inputs.length > 1) {
    document.getElementById("diffonly-box").hidden = false;
    document.getElementById("overlay-box").hidden = false;
  }
  for (const id of ["subset", "label", "diffonly", "overlay"])
    document.getElementById(id).addEventListener("change", buildGrid);
  buildLegend();
  buildStats();
  buildGrid();
  const grid = document.getElementById("grid");
  grid.addEventListener("click", event => {
    const card = event.target.closest(".card");
    if (card) openViewer(Number(card.dataset.pos));
  });
  watchHover(grid);
  watchHover(document.getElementById("viewer-body"));
  document.getElementById("prev").addEventListener("click", () => openViewer(current - 1));
  document.getElementById("next").addEventListener("click", () => openViewer(current + 1));
  document.getElementById("close").addEventListener("click", closeViewer);
  document.getElementById("stats-button").addEventListener("click", () => {
    const panel = document.getElementById("stats");
    panel.hidden = !panel.hidden;
  });
  document.addEventListener("keydown", event => {
    if (current < 0) return;
    if (event.key === "ArrowRight" || event.key === "j") openViewer(current + 1);
    else if (event.key === "ArrowLeft" || event.key === "k") openViewer(current - 1);
    else if (event.key === "Escape") closeViewer();
  });
}

start();
