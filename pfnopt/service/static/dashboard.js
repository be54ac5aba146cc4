// The pfnopt dashboard: the studies of the server, and for the chosen one its history, feasibility,
// Pareto front, parallel coordinates, AutoML view and trials table; refreshed every few seconds.
// Reads only the JSON API (/api/studies, /api/studies/NAME/trials); builds the DOM with textContent.
"use strict";

const REFRESH_MS = 3000;
const state = { studies: [], current: null, rows: [], rowsText: "", sortKey: "number", sortDesc: false, timer: null };

// ---------------------------------------------------------------------------------------------
// the API

function token() { return sessionStorage.getItem("pfnopt-token"); }

async function api(path) {
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const resp = await fetch(path, { headers, cache: "no-store" });
  const body = await resp.text();
  if (resp.status === 401) { showTokenForm(); throw new Error("the server needs a token"); }
  if (!resp.ok) {
    let detail = body;
    try { detail = JSON.parse(body).detail; } catch (e) { /* not JSON: show it as is */ }
    throw new Error(`${resp.status}: ${detail}`);
  }
  return body;
}

function showTokenForm() {
  document.getElementById("token-form").hidden = false;
}

// ---------------------------------------------------------------------------------------------
// small helpers

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function objectiveKeys(study) {
  return study.directions.length === 1 ? ["value"] : study.directions.map((_, i) => `values_${i}`);
}

function columns(rows, prefix) {
  const seen = [];
  for (const r of rows) for (const k of Object.keys(r)) if (k.startsWith(prefix) && !seen.includes(k)) seen.push(k);
  return seen;
}

function violation(row, cons) {
  if (!cons.length || cons.every((c) => row[c] === null || row[c] === undefined)) return null;
  return cons.reduce((s, c) => s + Math.max(0, row[c] ?? Infinity), 0);
}

function tip(row, study) {
  const vals = objectiveKeys(study).map((k) => `${k}=${Plots.fmt(row[k])}`).join(" ");
  const params = columns([row], "params_").map((k) => `${k.slice(7)}=${Plots.fmt(row[k])}`).join(" ");
  return `trial ${row.number} (${row.state}${row.feasible === false ? ", infeasible" : ""}): ${vals} ${params}`;
}

// ---------------------------------------------------------------------------------------------
// the study list

function renderStudies() {
  const list = $("studies");
  list.replaceChildren(...state.studies.map((s) => h("li", { class: s.name === state.current ? "current" : "" },
    h("a", { href: `#study=${encodeURIComponent(s.name)}` }, s.name),
    h("span", { class: "meta" }, `${s.n_trials} trials · ${s.directions.join(", ")}${s.automl ? " · automl" : ""}`))));
  if (!state.studies.length) list.replaceChildren(h("li", { class: "meta" }, "no studies yet"));
}

// ---------------------------------------------------------------------------------------------
// the plots of one study

function renderHistory(study, rows) {
  const box = $("history");
  box.replaceChildren();
  objectiveKeys(study).forEach((key, i) => {
    const minimize = study.directions[i] === "minimize";
    const done = rows.filter((r) => r.state === "COMPLETE" && typeof r[key] === "number");
    const best = [];
    let cur = null;
    for (const r of done) {
      if (r.feasible === false) continue;
      if (cur === null || (minimize ? r[key] < cur : r[key] > cur)) cur = r[key];
      best.push({ x: r.number, y: cur, tip: `best so far after trial ${r.number}: ${Plots.fmt(cur)}` });
    }
    const div = h("div", { class: "plot-box", id: `history-${i}` });
    box.append(div);
    Plots.xy(div, {
      title: `${study.directions.length > 1 ? key + ": " : ""}best-so-far history (${study.directions[i]})`,
      xlabel: "trial", ylabel: key, ylog: Plots.wantLog(done.map((r) => r[key])),
      series: [
        { name: "best so far", kind: "step", cls: "best", points: best },
        { name: "feasible", kind: "points", cls: "feasible",
          points: done.filter((r) => r.feasible !== false).map((r) => ({ x: r.number, y: r[key], tip: tip(r, study) })) },
        { name: "infeasible", kind: "points", marker: "cross", cls: "infeasible",
          points: done.filter((r) => r.feasible === false).map((r) => ({ x: r.number, y: r[key], tip: tip(r, study) })) },
      ],
    });
  });
}

function renderFeasibility(study, rows) {
  const cons = columns(rows, "constraint_");
  const section = $("feasibility-section");
  section.hidden = cons.length === 0;
  if (!cons.length) return;
  const done = rows.filter((r) => r.state === "COMPLETE");
  const nFeasible = done.filter((r) => r.feasible).length;
  $("feasibility-summary").textContent =
    `${nFeasible} of ${done.length} complete trials feasible (every constraint <= 0); ${cons.length} constraint(s)`;
  const pts = done.map((r) => ({ r, v: violation(r, cons) })).filter((p) => p.v !== null);
  Plots.xy($("feasibility"), {
    title: "constraint violation (sum of positive constraint values; feasible trials along the bottom)",
    xlabel: "trial", ylabel: "violation", hline: 0, pinLow: true,
    ylog: Plots.wantLog(pts.filter((p) => p.v > 0).map((p) => p.v)),
    series: [
      { name: "feasible", kind: "points", cls: "feasible",
        points: pts.filter((p) => p.v === 0).map((p) => ({ x: p.r.number, y: 0, tip: tip(p.r, study) })) },
      { name: "infeasible", kind: "points", marker: "cross", cls: "infeasible",
        points: pts.filter((p) => p.v > 0).map((p) => ({ x: p.r.number, y: p.v, tip: `${tip(p.r, study)} violation=${Plots.fmt(p.v)}` })) },
    ],
  });
}

function paretoFront(points, signs) {
  return points.filter((a) => !points.some((b) => b !== a
    && signs.every((s, k) => s * b.v[k] <= s * a.v[k]) && signs.some((s, k) => s * b.v[k] < s * a.v[k])));
}

function renderPareto(study, rows) {
  const section = $("pareto-section");
  section.hidden = study.directions.length < 2;
  if (section.hidden) return;
  const keys = objectiveKeys(study);
  const signs = study.directions.map((d) => (d === "minimize" ? 1 : -1));
  const done = rows.filter((r) => r.state === "COMPLETE" && keys.every((k) => typeof r[k] === "number"))
    .map((r) => ({ r, v: keys.map((k) => r[k]) }));
  const feasible = done.filter((p) => p.r.feasible !== false);
  const front = paretoFront(feasible, signs).sort((a, b) => a.v[0] - b.v[0]);
  const onFront = new Set(front.map((p) => p.r.number));
  $("pareto-summary").textContent = `${front.length} Pareto-optimal of ${feasible.length} feasible complete trials`
    + (keys.length > 2 ? ` (front over all ${keys.length} objectives, drawn on the first two)` : "");
  const pt = (p) => ({ x: p.v[0], y: p.v[1], tip: tip(p.r, study) });
  Plots.xy($("pareto"), {
    title: `Pareto front: ${keys[0]} (${study.directions[0]}) vs ${keys[1]} (${study.directions[1]})`,
    xlabel: keys[0], ylabel: keys[1],
    series: [
      { name: "Pareto-optimal", kind: keys.length === 2 ? "line" : "points", marker: "big", cls: "front", points: front.map(pt) },
      { name: "dominated", kind: "points", cls: "dominated", points: feasible.filter((p) => !onFront.has(p.r.number)).map(pt) },
      { name: "infeasible", kind: "points", marker: "cross", cls: "infeasible", points: done.filter((p) => p.r.feasible === false).map(pt) },
    ],
  });
}

function renderParallel(study, rows) {
  const key = objectiveKeys(study)[0];
  const done = rows.filter((r) => r.state === "COMPLETE" && typeof r[key] === "number");
  const params = columns(rows, "params_");
  const axes = params.map((p) => ({
    name: p.slice(7), values: done.map((r) => r[p]),
    categorical: done.some((r) => r[p] !== null && typeof r[p] !== "number"),
  }));
  const log = Plots.wantLog(done.map((r) => r[key]));
  axes.push({ name: key, values: done.map((r) => r[key]), log });
  Plots.parallel($("parallel"), {
    title: `parallel coordinates: parameters vs ${key} (colour: ${key}, dark = ${study.directions[0] === "minimize" ? "low" : "high"}; infeasible grey)`,
    axes, colorBy: done.map((r) => (log ? Math.log10(r[key]) : r[key])), dim: done.map((r) => r.feasible === false),
    tips: done.map((r) => tip(r, study)), reverse: study.directions[0] !== "minimize",
  });
}

function renderAutoML(study, rows) {
  const section = $("automl-section");
  section.hidden = !study.automl;
  if (!study.automl) return;
  const key = objectiveKeys(study)[0];
  const done = rows.filter((r) => r.state === "COMPLETE" && typeof r[key] === "number");
  const box = $("automl");
  box.replaceChildren();
  const panels = [];
  if (columns(rows, "user_attrs_n_params").length) panels.push({ col: "user_attrs_n_params", label: "model parameters", log: true });
  if (columns(rows, "user_attrs_flops_per_sample").length) panels.push({ col: "user_attrs_flops_per_sample", label: "FLOPs per sample", log: true });
  for (const p of columns(rows, "params_")) if (done.some((r) => typeof r[p] === "number")) panels.push({ col: p, label: p.slice(7) });
  for (const metric of columns(rows, "user_attrs_test_")) {
    if (columns(rows, "user_attrs_n_params").length) panels.push({ col: "user_attrs_n_params", label: "model parameters", log: true, y: metric });
  }
  for (const panel of panels) {
    const y = panel.y || key;
    const pts = done.filter((r) => typeof r[panel.col] === "number" && typeof r[y] === "number");
    const div = h("div", { class: "plot-box half" });
    box.append(div);
    Plots.xy(div, {
      title: `${y === key ? "validation metric (objective)" : y.slice(11)} vs ${panel.label}`, xlabel: panel.label,
      ylabel: y === key ? key : y.slice(11), xlog: panel.log, height: 250,
      series: [
        { name: "feasible", kind: "points", cls: "feasible", points: pts.filter((r) => r.feasible !== false).map((r) => ({ x: r[panel.col], y: r[y], tip: tip(r, study) })) },
        { name: "infeasible", kind: "points", marker: "cross", cls: "infeasible", points: pts.filter((r) => r.feasible === false).map((r) => ({ x: r[panel.col], y: r[y], tip: tip(r, study) })) },
      ],
    });
  }
  if (!panels.length) box.append(h("p", { class: "meta" }, "no complete AutoML trial with model attributes yet"));
}

// ---------------------------------------------------------------------------------------------
// the trials table

function tableColumns(study, rows) {
  return ["number", "state", ...objectiveKeys(study), ...columns(rows, "params_"), ...columns(rows, "constraint_"),
    "feasible", "duration_s", "datetime_start", "fail_reason"].filter((c, i, all) => all.indexOf(c) === i
    && rows.some((r) => c in r));
}

function compare(a, b) {
  const na = a === null || a === undefined, nb = b === null || b === undefined;
  if (na || nb) return na && nb ? 0 : na ? 1 : -1;  // empty cells last either way
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

function renderTable(study, rows) {
  const cols = tableColumns(study, rows);
  const sorted = rows.slice().sort((x, y) => {
    const c = compare(x[state.sortKey], y[state.sortKey]);
    const nullish = x[state.sortKey] === null || x[state.sortKey] === undefined || y[state.sortKey] === null || y[state.sortKey] === undefined;
    return (state.sortDesc && !nullish ? -c : c) || x.number - y.number;
  });
  const head = h("tr", {}, ...cols.map((c) => h("th", {
    class: c === state.sortKey ? (state.sortDesc ? "sorted desc" : "sorted asc") : "",
    "data-col": c,
    onclick: () => { state.sortDesc = state.sortKey === c ? !state.sortDesc : false; state.sortKey = c; renderTable(study, rows); },
  }, c.replace(/^params_/, "").replace(/^constraint_/, "c"))));
  const body = sorted.map((r) => h("tr", { class: `${r.state.toLowerCase()}${r.feasible === false ? " infeasible" : ""}` },
    ...cols.map((c) => h("td", { class: typeof r[c] === "number" ? "num" : "" },
      c === "datetime_start" && r[c] ? r[c].replace("T", " ").slice(0, 19) : Plots.fmt(r[c])))));
  const wrap = $("trials").parentElement, scroll = [wrap.scrollTop, wrap.scrollLeft];
  $("trials").replaceChildren(h("thead", {}, head), h("tbody", {}, ...body));
  [wrap.scrollTop, wrap.scrollLeft] = scroll;  // a live refresh keeps the reader's place
}

// ---------------------------------------------------------------------------------------------
// the page

function renderStudy() {
  const study = state.studies.find((s) => s.name === state.current);
  $("study").hidden = !study;
  $("placeholder").hidden = !!study;
  if (!study) return;
  const rows = state.rows;
  const count = (st) => rows.filter((r) => r.state === st).length;
  $("study-name").textContent = study.name;
  $("study-summary").textContent = `${rows.length} trials (${count("COMPLETE")} complete, ${count("RUNNING")} running, `
    + `${count("FAIL")} failed, ${count("PRUNED")} pruned) · ${study.directions.join(", ")} · sampler ${study.sampler ?? "default"}`;
  $("study-summary").dataset.nTrials = String(rows.length);
  renderHistory(study, rows);
  renderFeasibility(study, rows);
  renderPareto(study, rows);
  renderParallel(study, rows);
  renderAutoML(study, rows);
  renderTable(study, rows);
}

function chosenStudy() {
  const m = location.hash.match(/study=([^&]*)/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function refresh() {
  try {
    state.studies = JSON.parse(await api("/api/studies"));
    state.current = chosenStudy() ?? state.current ?? (state.studies[0] && state.studies[0].name);
    renderStudies();
    if (state.current && state.studies.some((s) => s.name === state.current)) {
      const text = await api(`/api/studies/${encodeURIComponent(state.current)}/trials`);
      if (text !== state.rowsText || $("study-name").textContent !== state.current) {
        state.rowsText = text;  // redraw only when something changed
        state.rows = JSON.parse(text);
        renderStudy();
      }
    } else {
      renderStudy();
    }
    $("status").textContent = `updated ${new Date().toLocaleTimeString()}`;
    $("status").className = "ok";
  } catch (e) {
    $("status").textContent = `error: ${e.message}`;
    $("status").className = "error";
  }
}

function schedule() {
  clearInterval(state.timer);
  state.timer = $("live").checked ? setInterval(refresh, REFRESH_MS) : null;
}

window.addEventListener("DOMContentLoaded", () => {
  $("live").addEventListener("change", schedule);
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("pfnopt-token", $("token").value.trim());
    $("token-form").hidden = true;
    refresh();
  });
  window.addEventListener("hashchange", () => { state.rowsText = ""; refresh(); });
  let lastWidth = window.innerWidth;
  window.addEventListener("resize", () => { if (window.innerWidth !== lastWidth) { lastWidth = window.innerWidth; renderStudy(); } });
  refresh();
  schedule();
});
