// Small SVG plots for the pfnopt dashboard: an x/y chart (points, lines, steps) and parallel
// coordinates. No library, no network: everything is drawn here as SVG elements, with each
// data point's details in a <title> (the browser's tooltip).
"use strict";

const Plots = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const M = { left: 64, right: 16, top: 30, bottom: 44 };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, str, attrs) {
    const t = el("text", Object.assign({ x, y }, attrs || {}), parent);
    t.textContent = str;
    return t;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return String(v);
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  }

  // About n round ticks covering [lo, hi].
  function linearTicks(lo, hi, n) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return ticks;
  }

  // powers of ten in [lo, hi]; with fewer than three of them, also 2x and 5x each power
  function logTicks(lo, hi) {
    const e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
    const mults = e1 - e0 < 3 ? [1, 2, 5] : [1];
    const ticks = [];
    for (let e = e0; e <= e1; e++) for (const m of mults) {
      const v = m * Math.pow(10, e);
      if (v >= lo && v <= hi) ticks.push(v);
    }
    return ticks.length ? ticks : [lo, hi];
  }

  // A scale: data value -> pixel, over [lo, hi] padded by 4 %, linear or log10.
  function scale(values, p0, p1, log) {
    let vs = values.filter((v) => typeof v === "number" && isFinite(v) && (!log || v > 0));
    if (!vs.length) vs = log ? [1, 10] : [0, 1];
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    const pad = (hi - lo) * 0.04;
    lo -= pad; hi += pad;
    const f = (v) => p0 + ((log ? Math.log10(v) : v) - lo) / (hi - lo) * (p1 - p0);
    f.ticks = () => (log ? logTicks(Math.pow(10, lo), Math.pow(10, hi)) : linearTicks(lo, hi, 5));
    return f;
  }

  function frame(container, title, height) {
    const width = Math.max(320, container.clientWidth || 560);
    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "plot", role: "img" });
    text(svg, M.left, 18, title, { class: "plot-title" });
    container.replaceChildren(svg);
    return { svg, width, height };
  }

  function axes(svg, xs, ys, width, height, xlabel, ylabel) {
    const g = el("g", { class: "axes" }, svg);
    const x0 = M.left, x1 = width - M.right, y0 = height - M.bottom, y1 = M.top;
    el("line", { x1: x0, y1: y0, x2: x1, y2: y0 }, g);
    el("line", { x1: x0, y1: y0, x2: x0, y2: y1 }, g);
    for (const t of xs.ticks()) {
      const px = xs(t);
      if (px < x0 - 1 || px > x1 + 1) continue;
      el("line", { x1: px, y1: y0, x2: px, y2: y0 + 4 }, g);
      text(g, px, y0 + 16, fmt(t), { "text-anchor": "middle" });
    }
    for (const t of ys.ticks()) {
      const py = ys(t);
      if (py > y0 + 1 || py < y1 - 1) continue;
      el("line", { x1: x0 - 4, y1: py, x2: x0, y2: py }, g);
      el("line", { x1: x0, y1: py, x2: x1, y2: py, class: "grid" }, g);
      text(g, x0 - 7, py + 4, fmt(t), { "text-anchor": "end" });
    }
    text(g, (x0 + x1) / 2, height - 8, xlabel, { "text-anchor": "middle", class: "axis-label" });
    text(g, 14, (y0 + y1) / 2, ylabel, {
      "text-anchor": "middle", class: "axis-label", transform: `rotate(-90 14 ${(y0 + y1) / 2})`,
    });
  }

  function marker(g, kind, x, y, cls) {
    if (kind === "cross") {
      const d = 4;
      return el("path", { d: `M${x - d},${y - d}L${x + d},${y + d}M${x - d},${y + d}L${x + d},${y - d}`, class: cls }, g);
    }
    return el("circle", { cx: x, cy: y, r: kind === "big" ? 5 : 3.5, class: cls }, g);
  }

  // series: [{name, kind: "points"|"line"|"step", marker: "circle"|"cross"|"big", cls, points: [{x, y, tip}]}]
  function xy(container, opts) {
    const { svg, width, height } = frame(container, opts.title, opts.height || 300);
    svg.dataset.kind = "xy";
    const all = opts.series.flatMap((s) => s.points);
    const xs = scale(all.map((p) => p.x), M.left, width - M.right, opts.xlog);
    const pinned = opts.ylog && opts.pinLow;  // a row for y <= 0 under the log axis, labelled 0
    const ys = scale(all.map((p) => p.y).filter((y) => !pinned || y > 0), height - M.bottom - (pinned ? 18 : 0), M.top,
      opts.ylog);
    axes(svg, xs, ys, width, height, opts.xlabel, opts.ylabel);
    if (pinned) text(svg, M.left - 7, height - M.bottom - 1, "0", { "text-anchor": "end", class: "pin-label" });
    if (opts.hline !== undefined && !opts.ylog) {
      const py = ys(opts.hline);
      el("line", { x1: M.left, y1: py, x2: width - M.right, y2: py, class: "hline" }, svg);
    }
    // on a log y axis, opts.pinLow draws points with y <= 0 (e.g. zero violation) along the bottom edge
    const yOf = (p) => (opts.ylog && opts.pinLow && p.y <= 0 ? height - M.bottom - 5 : ys(p.y));
    const ok = (p) => typeof p.x === "number" && typeof p.y === "number" && isFinite(p.x) && isFinite(p.y)
      && (!opts.xlog || p.x > 0) && (!opts.ylog || p.y > 0 || opts.pinLow);
    let legendX = width - M.right;
    for (const s of opts.series.slice().reverse()) {
      const pts = s.points.filter(ok);
      const g = el("g", { class: `series ${s.cls}` }, svg);
      if (s.kind === "line" || s.kind === "step") {
        let d = "";
        pts.forEach((p, i) => {
          const px = xs(p.x), py = yOf(p);
          if (i === 0) d += `M${px},${py}`;
          else d += s.kind === "step" ? `H${px}V${py}` : `L${px},${py}`;
        });
        if (s.kind === "step" && pts.length) d += `H${width - M.right}`;
        if (d) el("path", { d, class: "line" }, g);
      }
      if (s.kind === "points" || s.marker) {
        for (const p of pts) {
          const m = marker(g, s.marker || "circle", xs(p.x), yOf(p), "mark");
          if (p.tip) el("title", {}, m).textContent = p.tip;
        }
      }
      if (s.name) {
        const t = text(svg, legendX, 18, s.name, { "text-anchor": "end", class: `legend ${s.cls}` });
        legendX -= (t.getComputedTextLength ? t.getComputedTextLength() : s.name.length * 7) + 26;
        marker(svg, s.kind === "points" ? (s.marker || "circle") : "circle", legendX + 13, 14, `legend-mark ${s.cls}`);
      }
    }
    return svg;
  }

  // axes: [{name, values: [...], categorical}]; colorBy: numbers per line (null: grey); dim: bool per line
  function parallel(container, opts) {
    const n = opts.axes.length;
    const { svg, width, height } = frame(container, opts.title, opts.height || 320);
    svg.dataset.kind = "parallel";
    if (n < 2 || !opts.axes[0].values.length) {
      text(svg, M.left, 60, "not enough complete trials or parameters yet", { class: "empty" });
      return svg;
    }
    const x0 = M.left, x1 = width - M.right - 40, y0 = height - M.bottom, y1 = M.top + 26;
    const ax = opts.axes.map((a, i) => {
      const px = x0 + (i * (x1 - x0)) / (n - 1);
      if (a.categorical) {
        const cats = [...new Set(a.values.map(String))].sort();
        const pos = (v) => y0 - ((cats.indexOf(String(v)) + 0.5) / cats.length) * (y0 - y1);
        return { px, pos, ticks: cats.map((c) => [c, pos(c)]) };
      }
      const s = scale(a.values, y0, y1, a.log);
      return { px, pos: s, ticks: s.ticks().map((t) => [fmt(t), s(t)]).filter(([, y]) => y <= y0 && y >= y1) };
    });
    const cs = opts.colorBy.filter((v) => typeof v === "number" && isFinite(v));
    const cmin = Math.min(...cs), cmax = Math.max(...cs);
    const lines = el("g", { class: "pc-lines" }, svg);
    const order = opts.colorBy.map((_, i) => i).sort((a, b) => (opts.dim[b] ? 1 : 0) - (opts.dim[a] ? 1 : 0));
    for (const i of order) {
      const pts = ax.map((a, j) => {
        const v = opts.axes[j].values[i];
        return v === null || v === undefined ? null : [a.px, a.pos(v)];
      });
      if (pts.some((p) => p === null || !isFinite(p[1]))) continue;
      const c = opts.colorBy[i];
      const t = cmax > cmin && typeof c === "number" ? (c - cmin) / (cmax - cmin) : 0.5;
      const path = el("path", {
        d: "M" + pts.map((p) => p.join(",")).join("L"),
        class: opts.dim[i] ? "pc-line dim" : "pc-line",
        stroke: opts.dim[i] ? "#bbb" : ramp(opts.reverse ? 1 - t : t),
      }, lines);
      el("title", {}, path).textContent = opts.tips[i];
    }
    ax.forEach((a, j) => {
      const g = el("g", { class: "axes" }, svg);
      el("line", { x1: a.px, y1: y0, x2: a.px, y2: y1 }, g);
      text(g, a.px, y1 - 14, opts.axes[j].name, { "text-anchor": "middle", class: "axis-label" });
      for (const [label, py] of a.ticks) text(g, a.px + 4, py + 4, label, { class: "pc-tick" });
    });
    return svg;
  }

  // dark blue (t = 0) -> teal -> yellow (t = 1), a viridis-like ramp
  function ramp(t) {
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
    const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  // whether values (positive, spanning over two decades) read better on a log axis
  function wantLog(values) {
    const vs = values.filter((v) => typeof v === "number" && isFinite(v));
    const pos = vs.filter((v) => v > 0);
    return pos.length >= 2 && pos.length === vs.length && Math.max(...pos) / Math.min(...pos) > 100;
  }

  return { xy, parallel, fmt, wantLog };
})();
