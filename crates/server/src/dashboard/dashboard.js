// Leasehold dashboard: reads the JSON API and draws with plain DOM and SVG.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
let allLeases = [];

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function drawPools(pools) {
  const box = document.getElementById("pools");
  box.replaceChildren();
  if (pools.length === 0) box.appendChild(el("p", {}, "no pools configured"));
  for (const p of pools) {
    const pct = (p.utilization * 100);
    const row = el("div", { class: "pool", "data-pool": p.pool, "data-subnet": p.subnet });
    const label = el("div", { class: "label" });
    label.appendChild(el("span", {}, "subnet " + p.subnet + " · " + p.start + "–" + p.end));
    label.appendChild(el("span", { class: "pct" },
      pct.toFixed(1) + "% (" + p.assigned + " assigned, " + p.declined + " declined, " + p.free + " free of " + p.total + ")"));
    const bar = el("div", { class: "bar" });
    const fill = el("div", { class: "fill" + (pct >= 90 ? " crit" : pct >= 75 ? " warn" : "") });
    fill.style.width = Math.min(100, pct).toFixed(1) + "%";
    bar.appendChild(fill);
    row.appendChild(label);
    row.appendChild(bar);
    box.appendChild(row);
  }
}

function drawChart(rates) {
  const buckets = rates.buckets;
  const W = 560, H = 180, pad = 28;
  const series = [["requests", "#2f80ed"], ["acks", "#27ae60"], ["naks", "#eb5757"]];
  let max = 1;
  for (const b of buckets) for (const [k] of series) max = Math.max(max, b[k]);
  const s = svg("svg", { width: W, height: H + 20, viewBox: "0 0 " + W + " " + (H + 20), id: "rate-chart" });
  s.appendChild(svg("line", { x1: pad, y1: H, x2: W, y2: H, stroke: "#999" }));
  s.appendChild(svg("line", { x1: pad, y1: 0, x2: pad, y2: H, stroke: "#999" }));
  const maxLabel = svg("text", { x: 2, y: 12, "font-size": 10 });
  maxLabel.textContent = String(max);
  s.appendChild(maxLabel);
  const n = Math.max(1, buckets.length - 1);
  for (const [k, color] of series) {
    const pts = buckets.map((b, i) =>
      (pad + (W - pad) * i / n).toFixed(1) + "," + (H - (H - 4) * b[k] / max).toFixed(1)).join(" ");
    s.appendChild(svg("polyline", { points: pts, fill: "none", stroke: color, "stroke-width": 2, "data-series": k }));
  }
  const legend = el("div", { class: "legend" });
  for (const [k, color] of series) {
    const total = buckets.reduce((a, b) => a + b[k], 0);
    const item = el("span", {}, "■ " + k + " " + total);
    item.style.color = color;
    legend.appendChild(item);
  }
  const box = document.getElementById("chart");
  box.replaceChildren(s, legend);
}

function drawAlerts(alerts) {
  const ul = document.getElementById("alerts");
  ul.replaceChildren();
  for (const a of alerts.active) ul.appendChild(el("li", { class: "raised" }, "ACTIVE " + a.key + ": " + a.message));
  for (const e of alerts.recent.slice(-10).reverse()) {
    const t = new Date(e.at * 1000).toLocaleTimeString();
    ul.appendChild(el("li", { class: e.event }, t + " " + e.event + " " + e.key + ": " + e.message));
  }
  if (ul.children.length === 0) ul.appendChild(el("li", {}, "no alerts"));
}

function drawLeases() {
  const q = document.getElementById("search").value.trim().toLowerCase();
  const rows = allLeases.filter(l => !q ||
    [l.address, l.state, l.mac, l.hostname, l.client, l.server].some(v => v && String(v).toLowerCase().includes(q)));
  const tbody = document.querySelector("#leases tbody");
  tbody.replaceChildren();
  for (const l of rows) {
    const tr = el("tr", { class: "lease", "data-address": l.address });
    const exp = l.expires === null ? "never" : new Date(l.expires * 1000).toLocaleString();
    for (const v of [l.address, l.state, l.mac || "", l.hostname || "", l.client || "", exp, l.server || ""]) tr.appendChild(el("td", {}, v));
    tbody.appendChild(tr);
  }
  document.getElementById("lease-count").textContent = "(" + rows.length + " of " + allLeases.length + ")";
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [version, pools, rates, alerts, leases, health] = await Promise.all([
      getJson("/api/version"), getJson("/api/pools"), getJson("/api/rates"),
      getJson("/api/alerts"), getJson("/api/leases?limit=1000"), getJson("/api/health"),
    ]);
    document.getElementById("version").textContent = "v" + version.version;
    const store = document.getElementById("store");
    store.textContent = health.store.up ? "lease store: up" : "lease store: DOWN (" + health.store.error + ")";
    store.className = health.store.up ? "status" : "status down";
    drawPools(pools.pools);
    drawChart(rates);
    drawAlerts(alerts);
    allLeases = leases.leases;
    drawLeases();
    status.textContent = "updated " + new Date().toLocaleTimeString();
    status.setAttribute("data-loaded", "true");
  } catch (e) {
    status.textContent = "error: " + e.message;
  }
}

document.getElementById("search").addEventListener("input", drawLeases);
refresh();
setInterval(refresh, 5000);
