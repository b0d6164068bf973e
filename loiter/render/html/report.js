"use strict";
// loiter-viz interactive report: one canvas per run, one shared time axis.
// Every string from the trace goes on the page through textContent, never as markup.
(function () {
  const data = JSON.parse(document.getElementById("loiter-data").textContent);
  const css = getComputedStyle(document.documentElement);
  const cssVar = (name) => css.getPropertyValue(name).trim();
  const SCALE = parseFloat(cssVar("--scale")) || 1;
  const BAR = parseFloat(cssVar("--bar")) || 0.72;
  const HELD = 0.6; // held bars are thinner than running ones, as in the PNG
  const DETAIL_ROWS = 60; // rows: above this no per-task labels or markers (the PNG's rule)
  const FONT = `${cssVar("--weight") || "normal"} ${Math.round(12 * SCALE)}px system-ui, "DejaVu Sans", sans-serif`;
  const LOST = new Set(["undelivered", "timed_out"]);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };

  // ------------------------------------------------------------ colours (from the CSS variables)
  const probe = document.createElement("canvas");
  probe.width = probe.height = 1;
  const probeCtx = probe.getContext("2d", { willReadFrequently: true });
  function rgba(color, alpha = 1) {
    probeCtx.clearRect(0, 0, 1, 1);
    probeCtx.fillStyle = "#000";
    probeCtx.fillStyle = color;
    probeCtx.fillRect(0, 0, 1, 1);
    const d = probeCtx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], (d[3] / 255) * alpha];
  }
  const C = {
    background: cssVar("--background"), foreground: cssVar("--foreground"), grid: cssVar("--grid"),
    queued: cssVar("--queued"), backlog: cssVar("--backlog"), stall: cssVar("--stall"),
    caller: [cssVar("--caller-0"), cssVar("--caller-1")], callerText: cssVar("--caller-text"),
    marker: cssVar("--marker"),
  };
  const workerColor = (i) => (i < 0 ? C.foreground : cssVar(`--workers-${i % data.palette}`));
  const bg = rgba(C.background);
  const lighter = (c) => [0, 1, 2].map((k) => c[k] * 0.65 + bg[k] * 0.35).concat([c[3]]);
  const K = {
    queued: rgba(C.queued, 0.35), backlog: rgba(C.backlog), stall: rgba(C.stall),
    lost: rgba(C.stall, 0.3), caller: C.caller.map((c) => rgba(c)), marker: rgba(C.marker),
    tick: rgba(C.foreground),
    worker: data.workers.map((_, i) => rgba(workerColor(i))),
    unknown: rgba(C.foreground),
  };
  K.workerLight = K.worker.map(lighter);

  // ------------------------------------------------------------ formatting
  function fmt(t) {
    if (t === null || t === undefined || Number.isNaN(t)) return "—";
    return Math.abs(t) >= 1 || t === 0 ? `${t.toFixed(3)} s` : `${(t * 1000).toFixed(3)} ms`;
  }
  const span = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : b - a);
  const argText = (a) => (typeof a === "number" ? `loiter(${a})` : String(a));

  // ------------------------------------------------------------ the data, as typed arrays
  const sec = (a) => Float64Array.from(a, (v) => (v === null ? NaN : v * 1e-6));
  // timestamps come as integer microsecond steps from the previous one present
  const stepped = (a) => { let us = 0; return Float64Array.from(a, (v) => (v === null ? NaN : (us += v) * 1e-6)); };
  function sparse(col, n) {
    const out = new Array(n).fill(null);
    col.row.forEach((r, k) => { out[r] = col.text[k]; });
    return out;
  }
  const END = Math.max(data.end * 1e-6, 1e-6);

  function prepare(run, i) {
    const t = run.tasks;
    const n = t.index.length;
    const p = {
      run, i, n, lanes: run.lanes,
      index: Int32Array.from(t.index), arg: t.arg,
      sub: stepped(t.submitted), sta: stepped(t.started), fin: stepped(t.finished), dlv: stepped(t.delivered),
      worker: Int32Array.from(t.worker), outcome: t.outcome.map((o) => data.outcomes[o] || "?"),
      stall: sec(t.stall), culprit: Int32Array.from(t.culprit),
      result: sparse(t.result, n), error: sparse(t.error, n),
      sRow: Int32Array.from(run.stalls.row), sFrom: stepped(run.stalls.from), sTo: stepped(run.stalls.to),
      ask: stepped(run.waits.ask), got: stepped(run.waits.got), waitFor: Int32Array.from(run.waits.for),
      lbFrom: stepped(run.loopBlocked.from), lbTo: stepped(run.loopBlocked.to),
      selected: -1, held: [], release: -1,
    };
    p.rowOf = new Map();
    p.index.forEach((idx, row) => p.rowOf.set(idx, row));
    p.detail = p.lanes === "tasks" ? n + 1 <= DETAIL_ROWS : false;
    if (p.lanes === "workers") prepareWorkers(p);
    return p;
  }

  function prepareWorkers(p) {
    const used = [...new Set(Array.from(p.worker).filter((w) => w >= 0))].sort((a, b) => a - b);
    p.laneOf = new Map(used.map((w, k) => [w, k]));
    p.used = used;
    p.byLane = used.map(() => []);
    for (let r = 0; r < p.n; r++) if (p.worker[r] >= 0 && !Number.isNaN(p.sta[r])) p.byLane[p.laneOf.get(p.worker[r])].push(r);
    p.odd = new Uint8Array(p.n); // consecutive tasks on a lane alternate shade
    p.byLane = p.byLane.map((rows) => {
      rows.sort((a, b) => p.sta[a] - p.sta[b]);
      rows.forEach((r, k) => { p.odd[r] = k % 2; });
      return Int32Array.from(rows);
    });
    p.laneStarts = p.byLane.map((rows) => Float64Array.from(rows, (r) => p.sta[r]));
    p.queuedCurve = steps(p.sub, p.sta, END);
    p.heldCurve = steps(p.fin, p.dlv, END);
    p.stallCurve = steps(p.sFrom, p.sTo, END);
    p.detail = used.length + 3 <= DETAIL_ROWS;
  }

  // A count over time (tasks queued, results held): sorted +1/-1 events and the count after each.
  function steps(from, to, end) {
    const ups = [], downs = [];
    for (let k = 0; k < from.length; k++) {
      if (Number.isNaN(from[k])) continue;
      const b = Number.isNaN(to[k]) ? end : to[k];
      if (b <= from[k]) continue;
      ups.push(from[k]); downs.push(b);
    }
    const u = Float64Array.from(ups).sort(), d = Float64Array.from(downs).sort();
    const t = new Float64Array(u.length + d.length), c = new Int32Array(u.length + d.length);
    let i = 0, j = 0, k = 0, now = 0, peak = 0;
    while (i < u.length || j < d.length) {
      if (j >= d.length || (i < u.length && u[i] < d[j])) { t[k] = u[i++]; now++; }
      else { t[k] = d[j++]; now--; }
      c[k++] = now;
      if (now > peak) peak = now;
    }
    return { t, c, peak };
  }

  // First index with a[k] > x (a sorted).
  function upper(a, x) {
    let lo = 0, hi = a.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] <= x) lo = m + 1; else hi = m; }
    return lo;
  }

  // ------------------------------------------------------------ the accumulator (level of detail)
  // Bars go into horizontal bands as coverage per pixel column (difference arrays, O(1) per
  // bar): a bar wider than a pixel fills its columns, thousands narrower than a pixel add up
  // to the share of the column they cover, drawn in their coverage-weighted colour.
  class Acc {
    constructor(w, h) {
      this.w = w; this.h = h; this.layers = [new Map(), new Map(), new Map()]; this.pool = []; this.count = 0;
      this.img = new ImageData(Math.max(1, w), Math.max(1, h));
    }
    reset() {
      for (const layer of this.layers) { for (const b of layer.values()) this.pool.push(b); layer.clear(); }
      this.count = 0;
    }
    band(layer, y0, y1) {
      y0 = Math.max(0, Math.round(y0)); y1 = Math.min(this.h, Math.max(y0 + 1, Math.round(y1)));
      const key = y0 * 65536 + y1;
      let b = this.layers[layer].get(key);
      if (!b) {
        b = this.pool.pop();
        if (b) b.d.fill(0); else b = { d: new Float32Array(4 * (this.w + 2)) };
        b.y0 = y0; b.y1 = y1;
        this.layers[layer].set(key, b);
      }
      return b;
    }
    add(b, x0, x1, c, weight) {
      if (!(x1 > 0) || !(x0 < this.w) || !(x1 > x0)) return;
      if (x0 < 0) x0 = 0;
      if (x1 > this.w) x1 = this.w;
      this.count++;
      const a = c[3] * weight, r = c[0] * a, g = c[1] * a, bl = c[2] * a, d = b.d;
      const i0 = Math.floor(x0), i1 = Math.floor(x1);
      const put = (j0, j1, f) => {
        let k = 4 * j0;
        d[k] += r * f; d[k + 1] += g * f; d[k + 2] += bl * f; d[k + 3] += a * f;
        k = 4 * j1;
        d[k] -= r * f; d[k + 1] -= g * f; d[k + 2] -= bl * f; d[k + 3] -= a * f;
      };
      if (i0 === i1) { put(i0, i0 + 1, x1 - x0); return; }
      put(i0, i0 + 1, i0 + 1 - x0);
      if (i1 > i0 + 1) put(i0 + 1, i1, 1);
      if (x1 > i1) put(i1, i1 + 1, x1 - i1);
    }
    composite() {
      const px = this.img.data, w = this.w;
      px.fill(0);
      for (const layer of this.layers) {
        for (const b of layer.values()) {
          const d = b.d;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let j = 0; j < w; j++) {
            const k = 4 * j;
            s0 += d[k]; s1 += d[k + 1]; s2 += d[k + 2]; s3 += d[k + 3];
            if (s3 < 0.004) continue;
            const a = s3 > 1 ? 1 : s3, r = s0 / s3, g = s1 / s3, bl = s2 / s3;
            for (let y = b.y0; y < b.y1; y++) {
              const o = 4 * (y * w + j), da = px[o + 3] / 255, oa = a + da * (1 - a);
              px[o] = (r * a + px[o] * da * (1 - a)) / oa;
              px[o + 1] = (g * a + px[o + 1] * da * (1 - a)) / oa;
              px[o + 2] = (bl * a + px[o + 2] * da * (1 - a)) / oa;
              px[o + 3] = oa * 255;
            }
          }
        }
      }
      return this.img;
    }
  }

  // ------------------------------------------------------------ page: header, panels, tables
  document.title = `loiter-viz: ${data.title}`;
  document.getElementById("title").textContent = data.title;
  const legend = document.getElementById("legend");
  const MARKS = { D: "◆", "|": "|", X: "✖", o: "○" };
  for (const entry of data.legend) {
    const li = el("li");
    if (entry.marker) {
      const m = el("span", "mark", MARKS[entry.marker] || entry.marker);
      const face = entry.fill.endsWith("00") && entry.fill.length === 9 ? entry.edge : entry.fill;
      m.style.color = face;
      li.append(m);
    } else {
      const s = el("span", "swatch");
      s.style.backgroundColor = entry.fill;
      s.style.borderColor = entry.edge;
      if (entry.hatch) {
        s.style.backgroundImage = `repeating-linear-gradient(${entry.hatch.includes("x") ? 45 : -45}deg, ${entry.edge} 0 1.5px, transparent 1.5px 5px)`;
      }
      if (entry.dashed) s.style.borderStyle = "dashed";
      li.append(s);
    }
    li.append(el("span", null, entry.label));
    legend.append(li);
  }

  const panelsEl = document.getElementById("panels");
  const panels = data.runs.map((run, i) => {
    const p = prepare(run, i);
    p.el = el("div", "panel");
    p.el.append(el("h2", null, `${run.strategy} · ${run.scenario}`));
    p.el.append(el("p", `verdict${run.stalled ? " stalled" : ""}`, run.verdict));
    p.el.append(el("p", "timings", `${run.timings} · ${run.executor}, ${run.workers} workers, ${p.n} tasks`));
    if (run.error) p.el.append(el("p", "note", `the caller got ${run.error}`));
    if (run.clockNote) p.el.append(el("p", "note", run.clockNote));
    p.canvas = el("canvas");
    p.canvas.dataset.run = String(i);
    p.canvas.setAttribute("aria-label", `Gantt chart of ${run.label}`);
    p.ctx = p.canvas.getContext("2d");
    p.picked = el("p", "picked");
    p.el.append(p.canvas, p.picked);
    panelsEl.append(p.el);
    return p;
  });
  buildTables();

  function buildTables() {
    const aside = document.getElementById("tables");
    const runs = data.runs;
    aside.append(el("h3", null, "Runs"));
    if (!runs.length) aside.append(el("p", null, "no runs recorded"));
    else {
      const wrap = el("div");
      wrap.style.overflowX = "auto";
      const table = el("table", "summary");
      const head = el("tr");
      head.append(el("th"));
      runs.forEach((r) => head.append(el("th", null, `${r.strategy} · ${r.scenario}`)));
      table.append(head);
      runs[0].summary.forEach(([name], k) => {
        const tr = el("tr");
        tr.append(el("th", null, name));
        runs.forEach((r) => tr.append(el("td", k === runs[0].summary.length - 1 ? null : "num", r.summary[k][1])));
        table.append(tr);
      });
      wrap.append(table);
      aside.append(wrap);
    }
    aside.append(el("h3", null, "Compared, per scenario"));
    if (data.comparisons.length) {
      const ul = el("ul");
      data.comparisons.forEach((line) => ul.append(el("li", null, line)));
      aside.append(ul);
    } else aside.append(el("p", null, "one strategy per scenario: nothing to compare"));
    aside.append(el("h3", null, "Advice (replayed durations)"));
    for (const r of runs) {
      const p = el("p");
      p.append(el("b", null, `${r.label}: `), document.createTextNode(r.advice));
      aside.append(p);
    }
    aside.append(el("h3", null, "Setup and options"));
    for (const r of runs) {
      const table = el("table", "options");
      const cap = el("caption", null, r.label);
      cap.style.textAlign = "left";
      cap.style.fontWeight = "bold";
      table.append(cap);
      const rows = [["executor", r.executor], ["workers", String(r.workers)], ["lanes", r.lanes], ...r.options];
      for (const [k, v] of rows) {
        const tr = el("tr");
        tr.append(el("th", null, k), el("td", null, v));
        table.append(tr);
      }
      aside.append(table);
    }
  }

  // ------------------------------------------------------------ layout
  const view = { t0: 0, t1: END * 1.03 };
  const FULL = view.t1;
  const R = 18, T = 6;
  const AXIS = Math.round(34 * SCALE);
  let gutter = 80;

  function rowLabels(p) {
    if (p.lanes === "workers") {
      const lanes = p.detail ? p.used.map((w) => data.workerLabels[w]) : [];
      return [`queued (peak ${p.queuedCurve.peak})`, ...lanes, `results held (peak ${p.heldCurve.peak})`, "caller"];
    }
    if (p.detail) return [...Array.from(p.index, (idx, r) => `#${idx}  ${argText(p.arg[r]).slice(0, 18)}`), "caller"];
    return [`#${p.n}`, "caller"];
  }

  function layout() {
    const ctx = panels.length ? panels[0].ctx : null;
    if (ctx) {
      ctx.font = FONT;
      gutter = Math.min(260, 14 + Math.max(60, ...panels.flatMap((p) => rowLabels(p).map((s) => ctx.measureText(s).width))));
    }
    const width = panelsEl.clientWidth;
    const dpr = window.devicePixelRatio || 1;
    for (const p of panels) {
      const rowH = Math.round(22 * SCALE);
      if (p.lanes === "workers") {
        const rows = p.used.length + 3;
        p.rowH = p.detail ? Math.round(26 * SCALE) : Math.max(3, Math.floor((380 * SCALE) / rows));
        p.contentH = rows * p.rowH;
      } else {
        p.rowH = p.detail ? rowH : (380 * SCALE) / Math.max(1, p.n);
        p.callerH = Math.round(BAR * rowH);
        p.callerY = p.n * p.rowH + (p.detail ? rowH * 0.25 : 6);
        p.contentH = Math.ceil(p.callerY + p.callerH + 2);
      }
      const h = T + p.contentH + AXIS;
      p.dpr = dpr;
      p.cssW = width;
      p.pw = Math.max(10, width - gutter - R);
      p.canvas.style.height = `${h}px`;
      p.canvas.width = Math.round(width * dpr);
      p.canvas.height = Math.round(h * dpr);
      p.acc = new Acc(Math.round(p.pw * dpr), Math.round(p.contentH * dpr));
      p.off = document.createElement("canvas");
      p.off.width = p.acc.w; p.off.height = p.acc.h;
    }
  }

  // CSS px inside the canvas <-> seconds
  const xOf = (p, t) => gutter + ((t - view.t0) / (view.t1 - view.t0)) * p.pw;
  const tOf = (p, x) => view.t0 + ((x - gutter) / p.pw) * (view.t1 - view.t0);

  // ------------------------------------------------------------ drawing
  let frame = 0;
  function draw(p) {
    const t0 = performance.now();
    const ctx = p.ctx, dpr = p.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, p.cssW, p.canvas.height / dpr);
    ctx.font = FONT;
    const ticks = axis(p);
    const acc = p.acc;
    acc.reset();
    const k = (acc.w / (view.t1 - view.t0)), ox = view.t0; // seconds -> device px in the plot
    const X = (t) => (t - ox) * k;
    const s = dpr; // css px -> device px
    if (p.lanes === "workers") drawWorkerBars(p, acc, X, s); else drawTaskBars(p, acc, X, s);
    drawWaits(p, acc, X, s);
    const pctx = p.off.getContext("2d");
    pctx.putImageData(acc.composite(), 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(gutter, T, p.pw, p.contentH);
    ctx.clip();
    ctx.drawImage(p.off, gutter, T, p.pw, p.contentH);
    if (p.lanes === "workers") drawCurves(p); else if (p.detail) drawTaskDetail(p);
    drawLoopBlocked(p);
    drawWaitLabels(p);
    drawHighlight(p);
    ctx.restore();
    labels(p, ticks);
    p.canvas.dataset.drawn = String(++frame);
    p.canvas.dataset.view = `${view.t0} ${view.t1}`;
    p.canvas.dataset.marks = String(acc.count);
    p.canvas.dataset.ms = (performance.now() - t0).toFixed(1);
  }

  function drawTaskBars(p, acc, X, s) {
    const rowH = p.rowH * s, barH = (p.detail ? BAR : 1) * rowH, heldH = (p.detail ? BAR * HELD : 1) * rowH;
    const pad = (rowH - barH) / 2, hpad = (rowH - heldH) / 2, thin = rowH < 1;
    const endX = X(END);
    for (let r = 0; r < p.n; r++) {
      const y = r * rowH;
      // Rows thinner than a pixel: the queue (everywhere) is weighed by its density, the rest
      // shows where any task of the pixel row ran, was held or was delivered (presence).
      const back = thin ? acc.band(0, y, y + 1) : acc.band(0, y + pad, y + pad + barH);
      const band = thin ? acc.band(1, y, y + 1) : acc.band(1, y + pad, y + pad + barH);
      const sub = p.sub[r], sta = p.sta[r], fin = p.fin[r], dlv = p.dlv[r];
      if (!p.detail && sta > sub) acc.add(back, X(sub), X(sta), K.queued, thin ? rowH : 1);
      if (fin >= sta) acc.add(band, X(sta), Math.max(X(fin), X(sta) + 0.5 * s), p.worker[r] >= 0 ? K.worker[p.worker[r]] : K.unknown, 1);
      const hband = thin ? band : acc.band(1, y + hpad, y + hpad + heldH);
      if (dlv > fin) acc.add(hband, X(fin), X(dlv), K.backlog, 1);
      else if (!p.detail && LOST.has(p.outcome[r]) && fin === fin) acc.add(hband, X(fin), Math.max(endX, X(fin)), K.lost, 1);
      if (!p.detail && dlv === dlv) { // dense: a tick where the result was delivered
        const x = X(dlv);
        acc.add(thin ? back : acc.band(0, y, y + rowH), x - 0.5 * s, x + 0.5 * s, K.marker, 1);
      }
    }
    for (let q = 0; q < p.sRow.length; q++) {
      const y = p.sRow[q] * rowH;
      const band = thin ? acc.band(2, y, y + 1) : acc.band(2, y + hpad, y + hpad + heldH);
      acc.add(band, X(p.sFrom[q]), X(p.sTo[q]), K.stall, 1);
    }
  }

  function laneY(p, lane) { return (lane + 1) * p.rowH; } // css px: row 0 is the queue count

  function drawWorkerBars(p, acc, X, s) {
    const barH = BAR * p.rowH, pad = (p.rowH - barH) / 2;
    p.byLane.forEach((rows, lane) => {
      const y = (laneY(p, lane) + pad) * s;
      const band = acc.band(0, y, y + barH * s);
      const w = p.used[lane];
      const starts = p.laneStarts[lane];
      // only the tasks that started before the right edge can be visible
      const last = upper(starts, view.t1);
      for (let k = 0; k < last; k++) {
        const r = rows[k];
        const fin = p.fin[r];
        if (fin < view.t0) continue;
        acc.add(band, X(p.sta[r]), Math.max(X(fin), X(p.sta[r]) + 0.5 * s), p.odd[r] ? K.workerLight[w] : K.worker[w], 1);
      }
    });
    // deliveries: short ticks on the caller lane's top edge, where results reach the caller
    const callerTop = laneY(p, p.used.length + 1) + pad;
    const band = acc.band(2, (callerTop - 7 * SCALE) * s, (callerTop - 1) * s);
    for (let r = 0; r < p.n; r++) {
      const d = p.dlv[r];
      if (d === d && d >= view.t0 && d <= view.t1) { const x = X(d); acc.add(band, x - 0.6 * s, x + 0.6 * s, K.tick, 1); }
    }
  }

  function callerBand(p) { // css px: top and height of the caller lane
    if (p.lanes === "workers") { const barH = BAR * p.rowH; return [laneY(p, p.used.length + 1) + (p.rowH - barH) / 2, barH]; }
    return [p.callerY, p.callerH];
  }

  function drawWaits(p, acc, X, s) {
    const [y, h] = callerBand(p);
    const band = acc.band(0, y * s, (y + h) * s);
    const first = Math.max(0, upper(p.ask, view.t0) - 1);
    for (let q = 0; q < p.ask.length; q++) {
      if (q < first && p.got[q] < view.t0) continue;
      if (p.ask[q] > view.t1) break;
      if (p.got[q] > p.ask[q]) acc.add(band, X(p.ask[q]), X(p.got[q]), K.caller[q % 2], 1);
    }
  }

  const hatches = new Map();
  function hatchPattern(ctx, color) {
    if (hatches.has(color)) return hatches.get(color);
    const c = document.createElement("canvas");
    c.width = c.height = 8;
    const g = c.getContext("2d");
    g.strokeStyle = color; g.lineWidth = 1;
    g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6); g.stroke();
    const hatch = ctx.createPattern(c, "repeat");
    hatches.set(color, hatch);
    return hatch;
  }

  // asyncio: the spans the event loop itself was blocked (its measured lag), cross-hatched in
  // the stall colour over the caller lane and a little taller, as in the PNG
  const LOOP_FILL = `rgba(${rgba(C.stall, 0.25).join(",")})`;
  function drawLoopBlocked(p) {
    const ctx = p.ctx, [y, h] = callerBand(p), top = T + y - 0.1 * h, hh = 1.2 * h;
    let shown = 0;
    ctx.lineWidth = 1;
    for (let q = 0; q < p.lbFrom.length; q++) {
      if (p.lbTo[q] < view.t0 || p.lbFrom[q] > view.t1) continue;
      const x0 = xOf(p, p.lbFrom[q]), w = Math.max(1, xOf(p, p.lbTo[q]) - x0);
      ctx.fillStyle = LOOP_FILL; ctx.fillRect(x0, top, w, hh);
      ctx.fillStyle = hatchPattern(ctx, C.stall); ctx.fillRect(x0, top, w, hh);
      ctx.strokeStyle = C.stall; ctx.strokeRect(x0, top, w, hh);
      shown++;
    }
    p.canvas.dataset.loopBlocked = String(shown);
  }

  function drawTaskDetail(p) { // few rows: hatched queues, diamonds, fates, as in the PNG
    const ctx = p.ctx, barH = BAR * p.rowH, pad = (p.rowH - barH) / 2, heldH = barH * HELD;
    ctx.lineWidth = 1;
    for (let r = 0; r < p.n; r++) {
      const y = T + r * p.rowH;
      const sub = p.sub[r], sta = p.sta[r], fin = p.fin[r], dlv = p.dlv[r];
      if (sta > sub) {
        const x0 = xOf(p, sub), x1 = xOf(p, sta);
        ctx.fillStyle = hatchPattern(ctx, C.queued);
        ctx.fillRect(x0, y + pad, x1 - x0, barH);
        ctx.strokeStyle = C.queued;
        ctx.strokeRect(x0, y + pad, x1 - x0, barH);
      }
      if (LOST.has(p.outcome[r]) && fin === fin) {
        const x0 = xOf(p, fin), x1 = xOf(p, Math.max(END, fin));
        ctx.strokeStyle = C.stall;
        ctx.setLineDash([4, 3]);
        ctx.strokeRect(x0, y + (p.rowH - heldH) / 2, x1 - x0, heldH);
        ctx.setLineDash([]);
      }
      const cy = y + p.rowH / 2;
      if (dlv === dlv) diamond(ctx, xOf(p, dlv), cy, 5 * SCALE, C.marker, C.background);
      if (p.outcome[r] === "error") cross(ctx, xOf(p, fin === fin ? fin : sta), cy, 6 * SCALE);
      if (p.outcome[r] === "cancelled") {
        ctx.strokeStyle = C.foreground; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.arc(xOf(p, sub), cy, 5 * SCALE, 0, 2 * Math.PI); ctx.stroke();
        ctx.lineWidth = 1;
      }
    }
  }

  function diamond(ctx, x, y, r, fill, edge) {
    ctx.beginPath(); ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath();
    ctx.fillStyle = fill; ctx.fill(); ctx.strokeStyle = edge; ctx.lineWidth = 1; ctx.stroke();
  }
  function cross(ctx, x, y, r) {
    ctx.strokeStyle = C.foreground; ctx.lineWidth = 4; ctx.beginPath();
    ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r); ctx.stroke();
    ctx.strokeStyle = C.stall; ctx.lineWidth = 2; ctx.stroke(); ctx.lineWidth = 1;
  }

  // A count curve in one row, its per-pixel-column maximum (so no peak vanishes when zoomed out).
  function curve(p, c, y, h, peak, fill, stroke) {
    if (!c.t.length || !peak) return;
    const ctx = p.ctx, cols = Math.ceil(p.pw), top = new Float32Array(cols + 1);
    let k = Math.max(0, upper(c.t, view.t0) - 1);
    for (; k < c.t.length; k++) {
      const a = c.t[k], b = k + 1 < c.t.length ? c.t[k + 1] : a;
      if (a > view.t1) break;
      if (b < view.t0 || c.c[k] === 0) continue;
      const j0 = Math.max(0, Math.floor(xOf(p, a) - gutter)), j1 = Math.min(cols, Math.max(j0 + 1, Math.ceil(xOf(p, b) - gutter)));
      const v = c.c[k] / peak;
      for (let j = j0; j < j1; j++) if (v > top[j]) top[j] = v;
    }
    ctx.beginPath();
    ctx.moveTo(gutter, y + h);
    for (let j = 0; j < cols; j++) { ctx.lineTo(gutter + j, y + h - top[j] * h); ctx.lineTo(gutter + j + 1, y + h - top[j] * h); }
    ctx.lineTo(gutter + cols, y + h);
    ctx.closePath();
    ctx.fillStyle = fill; ctx.fill();
    if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke(); }
  }

  function drawCurves(p) {
    const barH = BAR * p.rowH, pad = (p.rowH - barH) / 2, heldY = T + laneY(p, p.used.length) + pad;
    curve(p, p.queuedCurve, T + pad, barH, p.queuedCurve.peak, hatchPattern(p.ctx, C.queued), C.queued);
    curve(p, p.heldCurve, heldY, barH, p.heldCurve.peak, C.backlog);
    curve(p, p.stallCurve, heldY, barH, p.heldCurve.peak, C.stall);
    const ctx = p.ctx, r = 5 * SCALE;
    for (let q = 0; q < p.n; q++) { // fates on the lanes
      if (p.outcome[q] !== "error" || !p.laneOf.has(p.worker[q])) continue;
      const t = p.fin[q] === p.fin[q] ? p.fin[q] : p.sta[q];
      if (t >= view.t0 && t <= view.t1) cross(ctx, xOf(p, t), T + laneY(p, p.laneOf.get(p.worker[q])) + p.rowH / 2, r);
    }
  }

  function drawWaitLabels(p) {
    const ctx = p.ctx, [y, h] = callerBand(p);
    ctx.fillStyle = C.callerText; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    const first = Math.max(0, upper(p.ask, view.t0) - 1), short = ctx.measureText("#0").width + 8;
    let shown = 0;
    for (let q = 0; q < p.ask.length && shown < 400; q++) {
      if (q < first && p.got[q] < view.t0) continue;
      if (p.ask[q] > view.t1) break;
      if (p.waitFor[q] < 0) continue;
      const x0 = Math.max(gutter, xOf(p, p.ask[q])), x1 = Math.min(gutter + p.pw, xOf(p, p.got[q]));
      if (x1 - x0 < short) continue;
      for (const label of [`waiting for #${p.waitFor[q]}`, `#${p.waitFor[q]}`]) {
        if (ctx.measureText(label).width + 8 < x1 - x0) { ctx.fillText(label, (x0 + x1) / 2, T + y + h / 2); shown++; break; }
      }
    }
  }

  function drawHighlight(p) {
    if (p.selected < 0) return;
    const ctx = p.ctx;
    ctx.save();
    ctx.strokeStyle = C.foreground;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 2]); // what it held back: dashed, as the PNG's culprit line
    for (const r of p.held) {
      const box = taskBox(p, r, true);
      if (box) ctx.strokeRect(box[0] - 1, box[1] - 1, box[2] + 2, box[3] + 2);
    }
    ctx.setLineDash([]);
    ctx.lineWidth = 3;
    const box = taskBox(p, p.selected, false);
    if (box) ctx.strokeRect(box[0] - 1.5, box[1] - 1.5, box[2] + 3, box[3] + 3);
    if (p.release >= 0) {
      const [y, h] = callerBand(p);
      const x0 = xOf(p, p.ask[p.release]), x1 = xOf(p, p.got[p.release]);
      ctx.strokeStyle = C.stall; ctx.lineWidth = 3;
      ctx.strokeRect(x0 - 1.5, T + y - 1.5, Math.max(2, x1 - x0) + 3, h + 3);
      // the PNG's dashed line: from the culprit's release down through what it held
      ctx.setLineDash([6, 4]); ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(x1, T); ctx.lineTo(x1, T + y); ctx.stroke();
    }
    ctx.restore();
  }

  // css px box [x, y, w, h] of a task's bar (held tasks: their held part) in this view
  function taskBox(p, r, heldPart) {
    const a = heldPart && p.dlv[r] > p.fin[r] ? p.fin[r] : p.sta[r];
    const b = heldPart && p.dlv[r] > p.fin[r] ? p.dlv[r] : p.fin[r];
    if (!(b >= a)) return null;
    const x0 = xOf(p, a), x1 = xOf(p, b);
    if (p.lanes === "workers") {
      if (!p.laneOf.has(p.worker[r])) return null;
      const barH = BAR * p.rowH;
      const sx0 = xOf(p, p.sta[r]), sx1 = xOf(p, p.fin[r]);
      return [sx0, T + laneY(p, p.laneOf.get(p.worker[r])) + (p.rowH - barH) / 2, Math.max(1, sx1 - sx0), barH];
    }
    const h = Math.max(1, p.detail ? BAR * p.rowH : p.rowH);
    return [x0, T + r * p.rowH + (p.rowH - h) / 2, Math.max(1, x1 - x0), h];
  }

  // ------------------------------------------------------------ axis and labels
  function niceStep(raw) {
    const e = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / e;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
  }

  function axis(p) {
    const ctx = p.ctx, step = niceStep((view.t1 - view.t0) / Math.max(2, p.pw / (90 * SCALE)));
    const ticks = [];
    for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1 + step * 1e-9; t += step) ticks.push(t);
    ctx.strokeStyle = C.grid; ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of ticks) { const x = Math.round(xOf(p, t)) + 0.5; ctx.moveTo(x, T); ctx.lineTo(x, T + p.contentH); }
    ctx.stroke();
    return { ticks, step };
  }

  function labels(p, { ticks, step }) {
    const ctx = p.ctx, base = T + p.contentH;
    ctx.fillStyle = C.foreground; ctx.strokeStyle = C.foreground; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(gutter, base + 0.5); ctx.lineTo(gutter + p.pw, base + 0.5); ctx.stroke();
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    for (const t of ticks) {
      const x = xOf(p, t);
      ctx.beginPath(); ctx.moveTo(x, base); ctx.lineTo(x, base + 4); ctx.stroke();
      ctx.fillText(t.toFixed(Math.min(digits, 9)), x, base + 6);
    }
    ctx.textAlign = "right";
    ctx.fillText("seconds since the first submit", gutter + p.pw, base + 8 + 14 * SCALE);
    ctx.textBaseline = "middle";
    if (p.lanes === "workers") {
      const names = rowLabels(p);
      const rows = [0, ...(p.detail ? p.used.map((_, k) => k + 1) : []), p.used.length + 1, p.used.length + 2];
      rows.forEach((row, k) => ctx.fillText(names[k], gutter - 8, T + (row + 0.5) * p.rowH));
      if (!p.detail) ctx.fillText(`${p.used.length} worker lanes`, gutter - 8, T + p.contentH / 2);
    } else if (p.detail) {
      rowLabels(p).slice(0, p.n).forEach((s, r) => ctx.fillText(s, gutter - 8, T + (r + 0.5) * p.rowH));
    } else {
      const every = niceStep(p.n / 8);
      for (let r = 0; r < p.n; r += every) ctx.fillText(`#${p.index[r]}`, gutter - 8, T + (r + 0.5) * p.rowH);
    }
    if (p.lanes !== "workers") ctx.fillText("caller", gutter - 8, T + p.callerY + p.callerH / 2);
  }

  // ------------------------------------------------------------ hit testing and the tooltip
  function hit(p, x, y) {
    const tol = 3 * (view.t1 - view.t0) / p.pw, t = tOf(p, x), yy = y - T;
    const [cy, ch] = callerBand(p);
    if (yy >= cy - 0.1 * ch - 2 && yy <= cy + 1.1 * ch + 2) {
      const b = upper(p.lbFrom, t + tol) - 1;
      if (b >= 0 && p.lbTo[b] >= t - tol) return { loop: b };
    }
    if (yy >= cy - 2 && yy <= cy + ch + 2) {
      const q = upper(p.ask, t + tol) - 1;
      if (q >= 0 && p.got[q] >= t - tol) return { wait: q };
      return { caller: t };
    }
    if (p.lanes === "workers") {
      const lane = Math.floor(yy / p.rowH) - 1;
      if (lane < 0) return { count: "queued", t, curve: p.queuedCurve };
      if (lane >= p.used.length) return lane === p.used.length ? { count: "held", t, curve: p.heldCurve } : null;
      const starts = p.laneStarts[lane];
      const k = upper(starts, t + tol) - 1;
      if (k >= 0 && p.fin[p.byLane[lane][k]] >= t - tol) return { task: p.byLane[lane][k] };
      return null;
    }
    const r = Math.floor(yy / p.rowH);
    if (r < 0 || r >= p.n) return null;
    const lo = p.sub[r] === p.sub[r] ? p.sub[r] : p.sta[r];
    const hi = Math.max(p.fin[r] || 0, p.dlv[r] || 0, p.sta[r] || 0, p.outcome[r] === "cancelled" ? p.sub[r] : 0);
    if (t >= lo - tol && t <= (LOST.has(p.outcome[r]) ? END : hi) + tol) return { task: r };
    return null;
  }

  const tip = document.getElementById("tip");
  function showTip(evt, title, rows) {
    tip.replaceChildren(el("b", null, title));
    for (const [name, value] of rows) {
      const row = el("div", "row");
      row.append(el("span", null, name), el("span", null, value));
      tip.append(row);
    }
    tip.hidden = false;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = `${Math.min(evt.clientX + 14, window.innerWidth - w - 8)}px`;
    tip.style.top = `${evt.clientY + 16 + h > window.innerHeight ? evt.clientY - h - 10 : evt.clientY + 16}px`;
  }

  function taskRows(p, r) {
    const w = p.worker[r];
    const stall = p.stall[r];
    const rows = [
      ["worker", w >= 0 ? `${data.workerLabels[w]} (${data.workers[w]})` : "—"],
      ["submitted", fmt(p.sub[r])], ["started", fmt(p.sta[r])],
      ["finished", fmt(p.fin[r])], ["delivered", fmt(p.dlv[r])],
      ["queued", fmt(span(p.sub[r], p.sta[r]))], ["ran", fmt(span(p.sta[r], p.fin[r]))],
      ["held", fmt(span(p.fin[r], p.dlv[r]))],
      ["stall", stall > 0 ? `${fmt(stall)}${p.culprit[r] >= 0 ? ` waiting for #${p.culprit[r]}` : ""}` : "0"],
      ["outcome", p.outcome[r]],
    ];
    if (p.result[r] !== null) rows.push(["result", p.result[r]]);
    if (p.error[r] !== null) rows.push(["error", p.error[r]]);
    return rows;
  }

  function hover(p, evt) {
    const { x, y } = local(p, evt);
    const h = hit(p, x, y);
    if (!h) { tip.hidden = true; return; }
    if (h.task !== undefined) {
      const r = h.task;
      showTip(evt, `#${p.index[r]}  arg ${String(p.arg[r])}`, taskRows(p, r));
    } else if (h.wait !== undefined) {
      const q = h.wait, idx = p.waitFor[q], row = p.rowOf.get(idx);
      const rows = [["from", fmt(p.ask[q])], ["to", fmt(p.got[q])], ["blocked", fmt(p.got[q] - p.ask[q])]];
      if (row !== undefined) rows.push(["its arg", String(p.arg[row])], ["it finished", fmt(p.fin[row])]);
      showTip(evt, idx >= 0 ? `caller blocked, waiting for #${idx}` : "caller blocked, waiting for a result", rows);
    } else if (h.loop !== undefined) {
      const b = h.loop;
      showTip(evt, "event loop blocked (its measured lag)", [["from", fmt(p.lbFrom[b])], ["to", fmt(p.lbTo[b])], ["blocked", fmt(p.lbTo[b] - p.lbFrom[b])], ["why", "a task that never awaits: nothing else ran"]]);
    } else if (h.caller !== undefined) {
      showTip(evt, "caller not blocked", [["at", fmt(h.caller)], ["doing", "submitting, or its own work on results"]]);
    } else if (h.count) {
      const k = upper(h.curve.t, h.t) - 1;
      showTip(evt, h.count === "queued" ? "tasks queued (submitted, not started)" : "results held (finished, not delivered)", [["at", fmt(h.t)], ["count", String(k >= 0 ? h.curve.c[k] : 0)], ["peak", String(h.curve.peak)]]);
    }
  }

  function local(p, evt) {
    const b = p.canvas.getBoundingClientRect();
    return { x: evt.clientX - b.left, y: evt.clientY - b.top };
  }

  // ------------------------------------------------------------ click: what a task held back
  function select(p, r) {
    p.selected = r; p.held = []; p.release = -1;
    if (r < 0) { p.picked.textContent = ""; p.canvas.dataset.highlight = ""; return; }
    const idx = p.index[r];
    for (let q = 0; q < p.n; q++) if (p.culprit[q] === idx && p.stall[q] > 0.001) p.held.push(q);
    let best = 0;
    for (let q = 0; q < p.ask.length; q++) {
      const d = p.got[q] - p.ask[q];
      if (p.waitFor[q] === idx && d >= best) { best = d; p.release = q; }
    }
    const total = p.held.reduce((sum, q) => sum + p.stall[q], 0);
    const names = p.held.slice(0, 12).map((q) => `#${p.index[q]}`).join(", ") + (p.held.length > 12 ? `, and ${p.held.length - 12} more` : "");
    let text = p.held.length
      ? `#${idx} held back ${p.held.length} finished result(s), ${fmt(total)} of stall in all: ${names}.`
      : `#${idx} held nothing back.`;
    if (p.release >= 0) text += ` The caller waited for it from ${fmt(p.ask[p.release])} to ${fmt(p.got[p.release])}; then they were released.`;
    if (p.stall[r] > 0.001 && p.culprit[r] >= 0) text += ` It was itself held ${fmt(p.stall[r])} by #${p.culprit[r]}.`;
    p.picked.textContent = text;
    p.canvas.dataset.highlight = p.held.map((q) => p.index[q]).join(",");
  }

  // ------------------------------------------------------------ zoom and pan, all panels together
  let pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; panels.forEach(draw); });
  }
  function setView(t0, t1) {
    const minSpan = FULL * 1e-7;
    if (t1 - t0 < minSpan) { const m = (t0 + t1) / 2; t0 = m - minSpan / 2; t1 = m + minSpan / 2; }
    if (t1 - t0 > FULL * 4) { const m = (t0 + t1) / 2; t0 = m - FULL * 2; t1 = m + FULL * 2; }
    view.t0 = t0; view.t1 = t1;
    redraw();
  }

  let drag = null;
  for (const p of panels) {
    const c = p.canvas;
    c.addEventListener("wheel", (evt) => {
      evt.preventDefault();
      const t = tOf(p, local(p, evt).x), f = Math.exp(evt.deltaY * 0.0015);
      setView(t - (t - view.t0) * f, t + (view.t1 - t) * f);
    }, { passive: false });
    c.addEventListener("mousedown", (evt) => {
      drag = { p, x: evt.clientX, t0: view.t0, t1: view.t1, moved: false };
      evt.preventDefault();
    });
    c.addEventListener("mousemove", (evt) => { if (!drag) hover(p, evt); });
    c.addEventListener("mouseleave", () => { tip.hidden = true; });
  }
  window.addEventListener("mousemove", (evt) => {
    if (!drag) return;
    const dx = evt.clientX - drag.x;
    if (Math.abs(dx) > 3) { drag.moved = true; drag.p.canvas.classList.add("dragging"); tip.hidden = true; }
    if (drag.moved) {
      const dt = (dx / drag.p.pw) * (drag.t1 - drag.t0);
      setView(drag.t0 - dt, drag.t1 - dt);
    }
  });
  window.addEventListener("mouseup", (evt) => {
    if (!drag) return;
    const { p, moved } = drag;
    drag = null;
    p.canvas.classList.remove("dragging");
    if (moved) return;
    const { x, y } = local(p, evt);
    const h = hit(p, x, y);
    select(p, h && h.task !== undefined && h.task !== p.selected ? h.task : -1);
    redraw();
  });
  document.getElementById("reset").addEventListener("click", () => setView(0, FULL));
  window.addEventListener("resize", () => { layout(); redraw(); });

  // ------------------------------------------------------------ for tests and benchmarks
  window.loiterReport = {
    view, panels,
    // client coordinates of the middle of a task's running bar (or its row), and of a wait
    locate(i, row) {
      const p = panels[i], b = p.canvas.getBoundingClientRect(), box = taskBox(p, row, false);
      const mid = Number.isNaN(p.sta[row]) ? [xOf(p, p.sub[row]), T + (row + 0.5) * p.rowH] : [box[0] + box[2] / 2, box[1] + box[3] / 2];
      return { x: b.left + mid[0], y: b.top + mid[1] };
    },
    locateLoopBlocked(i, q) {
      const p = panels[i], b = p.canvas.getBoundingClientRect(), [y, h] = callerBand(p);
      return { x: b.left + (xOf(p, p.lbFrom[q]) + xOf(p, p.lbTo[q])) / 2, y: b.top + T + y + h / 2 };
    },
    locateWait(i, q) {
      const p = panels[i], b = p.canvas.getBoundingClientRect(), [y, h] = callerBand(p);
      return { x: b.left + (xOf(p, p.ask[q]) + xOf(p, p.got[q])) / 2, y: b.top + T + y + h / 2 };
    },
  };
  layout();
  panels.forEach(draw);
  requestAnimationFrame(() => {
    window.loiterReport.firstPaint = performance.now();
    document.body.dataset.ready = "1";
  });
})();
