// convexviz click canvas: a Plotly.js chart on which students add, delete and drag points.
//
// Protocol (DESIGN.md §3, convexviz/ui/canvas/protocol.py): every edit is drawn at once
// (optimistic) and sent as one trigger event `edit` = {seq, gen, op, points}, the full list
// after the edit. At most one snapshot is in flight; edits made meanwhile are folded into the
// next one; a snapshot without an ack is resent with a growing timeout. Python answers with
// data = {points, curves, ranges, ack, gen, message, key, preview, plotly_url}; a new `gen`
// means Python replaced the points itself, and local edits are dropped.
//
// Preview (convexviz/ui/preview.py): Streamlit's round trip is slow, so after each edit
// (and while dragging) the canvas also POSTs the points it shows to `preview.url` and draws
// the fit from the answer at once. Curves are "versioned" by the local edit they belong to:
// a reply for an older edit never replaces a newer fit, and a reply with the `key` already
// drawn is not drawn again.

const HIT_RADIUS_PX = 10; // a click this close to a point deletes it
const DRAG_THRESHOLD_PX = 3; // a press that moves further starts a drag
const RESEND_MS = 3000; // first resend timeout (doubles each time)
const SETTLED_MS = 1200; // a pause this long after an acknowledged edit refreshes the panels
const PREVIEW_WAIT_MS = 400; // a snapshot waits at most this long for the preview in flight
const BUSY_MAX_MS = 2000; // the panels' figures wait at most this long for an edit's fit
const COLORS = {
  points: "#1b1b1b",
  fit: "#1565c0",
  features: ["#e65100", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#9e9d24", "#4e342e"],
};

const SVG_NS = "http://www.w3.org/2000/svg";

// loadPlotly(url): plotly_loader.js, prepended to this file.

// Test and benchmark hooks: latency per acknowledged snapshot.
// `latencies`: click -> the session's acknowledged fit drawn (Streamlit round trip);
// `fitLatencies`: click -> the fit for exactly the clicked points drawn (either path).
const perf = (window.__convexviz = window.__convexviz || {
  latencies: [],
  fitLatencies: [],
  sent: 0,
  resent: 0,
  previews: 0,
  previewsDrawn: 0,
  previewErrors: 0,
});

class Canvas {
  constructor(parentElement, setTriggerValue) {
    this.setTriggerValue = setTriggerValue;
    this.root = document.createElement("div");
    this.root.className = "cvz-canvas";
    this.plot = document.createElement("div");
    this.plot.className = "cvz-plot";
    this.note = document.createElement("div");
    this.note.className = "cvz-note";
    // Edits not yet in Plotly's chart are marked here at once: a few SVG circles cost
    // ~1 ms, a Plotly redraw of the points 25-60 ms that would delay the fit's redraw.
    this.pending = document.createElementNS(SVG_NS, "svg");
    this.pending.setAttribute("class", "cvz-pending");
    this.root.append(this.plot, this.pending, this.note);
    parentElement.appendChild(this.root);

    this.gen = null; // generation of the points we show
    this.seq = 0; // last seq we sent
    this.points = []; // what the student sees (local, optimistic)
    this.server = null; // last data from Python
    this.inflight = null; // {seq, sentAt, firstEditAt, timeout}
    this.dirty = false; // local edits not yet sent
    this.dirtySince = null;
    this.lastOp = "init";
    this.press = null; // pointer state between down and up
    this.ready = false;
    this.queued = null; // data that arrived while dragging
    this.version = 0; // local edit counter: curves are tagged with the edit they belong to
    this.display = null; // what is drawn: {curves, ranges, message, key, version}
    this.drawnKey = null; // the curves in Plotly's chart
    this.drawnPoints = "[]"; // the points in Plotly's chart (JSON)
    this.previewing = null; // the preview request in flight
    this.previewAgain = false; // an edit happened meanwhile: ask again when it returns
    this.fitWanted = null; // {started, points}: the last edit whose fit is not drawn yet
    this.holdTimer = null; // a snapshot waiting for the preview in flight

    this.onPointerDown = this.onPointerDown.bind(this);
    this.onPointerMove = this.onPointerMove.bind(this);
    this.onPointerUp = this.onPointerUp.bind(this);
    this.plot.addEventListener("pointerdown", this.onPointerDown, true);
    this.plot.addEventListener("pointermove", this.onPointerMove, true);
    this.plot.addEventListener("pointerup", this.onPointerUp, true);
    this.resizer = new ResizeObserver(() => {
      if (this.ready) window.Plotly.Plots.resize(this.plot);
    });
    this.resizer.observe(this.root);
    // The panels' figures (figure.js) are not drawn while a student edits: from the press
    // until the edit's fit is on screen and the session has acknowledged it (at most
    // BUSY_MAX_MS after the edit).
    this.editedAt = -Infinity;
    window.__convexvizCanvasBusy = () =>
      this.press !== null ||
      (performance.now() - this.editedAt < BUSY_MAX_MS &&
        (this.fitWanted !== null || this.inflight !== null || this.dirty));
  }

  // ---------------------------------------------------------------- data from Python

  update(data) {
    if (!data) return;
    if (this.press && this.press.dragging) {
      this.queued = data; // never move the point under the mouse
      return;
    }
    this.server = data;
    this.seq = Math.max(this.seq, data.ack || 0); // survive a remount
    let version = this.version; // the local edit this reply's curves belong to
    if (data.gen !== this.gen) {
      this.gen = data.gen; // Python replaced the points: drop local edits
      this.points = data.points.map((p) => p.slice());
      this.inflight = null;
      this.dirty = false;
      this.version += 1;
      version = this.version;
      this.display = null;
    } else {
      const acked = this.inflight && data.ack >= this.inflight.seq ? this.inflight : null;
      if (acked) {
        this.acknowledged(acked);
        this.inflight = null;
      }
      if (!this.inflight && !this.dirty) this.points = data.points.map((p) => p.slice());
      // Curves for the points shown are current; an acknowledged snapshot's belong to the
      // edit it carried; any other reply is about older points (drawn only if none are).
      if (JSON.stringify(data.points) !== JSON.stringify(this.points)) {
        version = acked ? acked.version : -1;
      }
    }
    this.root.dataset.gen = String(this.gen);
    this.root.dataset.ack = String(data.ack);
    this.show(data, version);
    loadPlotly(data.plotly_url)
      .then(() => this.draw())
      .then(() => this.sendSoon())
      .catch((err) => this.showNote(String(err)));
  }

  // Adopt curves unless the ones shown belong to a newer edit.
  show(reply, version) {
    if (this.display && this.display.version > version) return false;
    this.display = {
      curves: reply.curves,
      ranges: reply.ranges,
      message: reply.message,
      key: reply.key,
      version,
      points: JSON.stringify(reply.points),
    };
    return true;
  }

  acknowledged(snapshot) {
    const started = snapshot.firstEditAt;
    // Measured after the redraw below has been painted.
    this.pendingLatency = { seq: snapshot.seq, started };
  }

  // ---------------------------------------------------------------- drawing

  traces() {
    const curves = this.display ? this.display.curves : { x: [], fit: [], features: [] };
    // One trace per colour (feature kind), curves joined by gaps: Plotly's cost grows with
    // the number of traces, and a click's redraw must stay fast with 30+ features.
    const byColor = new Map();
    curves.features.forEach((f, i) => {
      const color = f.color || COLORS.features[i % COLORS.features.length];
      if (!byColor.has(color)) byColor.set(color, { x: [], y: [] });
      const group = byColor.get(color);
      group.x.push(...(f.x || curves.x), null);
      group.y.push(...f.y, null);
    });
    const traces = [...byColor.entries()].map(([color, g], i) => ({
      type: "scatter",
      mode: "lines",
      x: g.x,
      y: g.y,
      name: "active features",
      legendgroup: "features",
      showlegend: i === 0,
      connectgaps: false,
      line: { color, width: 1.5, dash: "dot" },
      opacity: 0.45,
      hoverinfo: "skip",
    }));
    if (curves.x.length) {
      traces.push({
        type: "scatter",
        mode: "lines",
        x: curves.x,
        y: curves.fit,
        name: "optimal network f(x)",
        line: { color: COLORS.fit, width: 4 },
        hoverinfo: "skip",
      });
    }
    traces.push(this.pointsTrace());
    return traces;
  }

  pointsTrace() {
    return {
      type: "scatter",
      mode: "markers",
      x: this.points.map((p) => p[0]),
      y: this.points.map((p) => p[1]),
      name: "training points",
      marker: { color: COLORS.points, size: 13, line: { color: "#ffffff", width: 2 } },
      hoverinfo: "skip",
    };
  }

  layout() {
    const r = this.display.ranges;
    const axis = (range, title) => ({
      range: range.slice(),
      autorange: false,
      fixedrange: true,
      automargin: false,
      zeroline: true,
      zerolinecolor: "#bdbdbd",
      gridcolor: "#eeeeee",
      linecolor: "#9e9e9e",
      ticks: "outside",
      title: { text: title, standoff: 8 },
    });
    return {
      margin: { l: 64, r: 16, t: 12, b: 56 },
      xaxis: axis(r.x, "x"),
      yaxis: axis(r.y, "y"),
      showlegend: true,
      // Inside the plot: an outside legend would shift the axes and clicks would land off.
      // One row at the top; the y range has headroom for it (protocol.LEGEND_HEADROOM).
      legend: {
        orientation: "h",
        x: 0.01,
        y: 0.99,
        xanchor: "left",
        yanchor: "top",
        itemclick: false,
        itemdoubleclick: false,
        bgcolor: "rgba(255,255,255,0.85)",
        bordercolor: "#e0e0e0",
        borderwidth: 1,
      },
      hovermode: false,
      dragmode: false,
      font: { size: 16, family: "sans-serif" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#ffffff",
      uirevision: "canvas",
    };
  }

  // Redraw the chart if the curves changed since the last drawing, then record timings.
  draw() {
    const config = {
      displayModeBar: false,
      doubleClick: false,
      scrollZoom: false,
      showTips: false,
      responsive: false,
    };
    const shown = this.display;
    const points = JSON.stringify(this.points);
    let drawn = Promise.resolve();
    if (!this.ready || shown.key !== this.drawnKey || !shown.key) {
      drawn = window.Plotly.react(this.plot, this.traces(), this.layout(), config);
    } else if (points !== this.drawnPoints) {
      drawn = this.drawPoints();
    }
    this.drawnKey = shown.key;
    this.drawnPoints = points;
    this.drawPending();
    return drawn.then(() => {
      this.ready = true;
      const r = shown.ranges;
      this.root.dataset.xrange = r.x.join(",");
      this.root.dataset.yrange = r.y.join(",");
      this.root.dataset.points = JSON.stringify(this.points);
      this.root.dataset.ready = "1";
      const empty = this.points.length === 0;
      this.showNote(
        shown.message || (empty ? "Click anywhere in the plot to add training points." : "")
      );
      const wanted = this.fitWanted;
      const fitDone = wanted && wanted.points === shown.points;
      if (fitDone) this.fitWanted = null;
      const done = this.pendingLatency;
      this.pendingLatency = null;
      if (done) this.scheduleSettled();
      if (done || fitDone) {
        requestAnimationFrame(() => {
          const now = performance.now();
          if (fitDone) perf.fitLatencies.push({ ms: now - wanted.started, key: shown.key });
          if (done) {
            perf.latencies.push({ seq: done.seq, ms: now - done.started });
            this.root.dataset.drawnAck = String(done.seq);
          }
        });
      }
    });
  }

  // ---------------------------------------------------------------- preview

  // Ask the server for the fit of the points shown now (one request at a time).
  requestPreview() {
    const preview = this.server && this.server.preview;
    if (!preview || !window.fetch) return;
    if (this.previewing) {
      this.previewAgain = true;
      return;
    }
    const request = {
      version: this.version,
      gen: this.gen,
      points: JSON.stringify(this.points),
      params: JSON.stringify(preview.params),
    };
    this.previewing = request;
    this.previewAgain = false;
    perf.previews += 1;
    const body = JSON.stringify({
      points: this.points,
      params: preview.params,
      ranges: this.display ? this.display.ranges : this.server.ranges,
    });
    fetch(preview.url, { method: "POST", headers: { "Content-Type": "application/json" }, body })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((reply) => this.previewed(request, reply))
      .catch(() => {
        perf.previewErrors += 1; // the Streamlit path still brings the fit
      })
      .finally(() => {
        this.previewing = null;
        this.flush();
        if (this.previewAgain) this.requestPreview();
      });
  }

  previewed(request, reply) {
    const params = JSON.stringify(this.server.preview.params);
    if (request.gen !== this.gen || request.params !== params) return;
    const dragging = this.press && this.press.dragging;
    // While dragging, a slightly older fit is better than none; otherwise only an exact one.
    if (!dragging && request.points !== JSON.stringify(this.points)) return;
    const fresh = reply.key !== this.drawnKey;
    if (!this.show({ ...reply, points: JSON.parse(request.points) }, request.version)) return;
    if (fresh) perf.previewsDrawn += 1; // else the session's reply drew this fit already
    return this.draw();
  }

  // Tell the panels (refresh.js) that the student paused: they redraw only then.
  scheduleSettled() {
    clearTimeout(this.settledTimer);
    this.settledTimer = setTimeout(() => {
      if (this.inflight || this.dirty || this.press) return;
      const detail = { ack: this.server.ack, gen: this.gen };
      window.dispatchEvent(new CustomEvent("convexviz:settled", { detail }));
    }, SETTLED_MS);
  }

  drawPoints() {
    const idx = this.plot.data.length - 1; // the points trace is always last
    const t = this.pointsTrace();
    this.drawnPoints = JSON.stringify(this.points);
    return window.Plotly.restyle(this.plot, { x: [t.x], y: [t.y] }, [idx]);
  }

  // Mark points added (dark dots) and removed (white covers) since Plotly's last drawing.
  drawPending() {
    this.pending.replaceChildren();
    const full = this.plot._fullLayout;
    if (!this.ready || !full || !full.xaxis) return;
    const count = new Map();
    const tally = (list, step) =>
      list.forEach((p) => count.set(`${p[0]},${p[1]}`, (count.get(`${p[0]},${p[1]}`) || 0) + step));
    tally(this.points, 1);
    tally(JSON.parse(this.drawnPoints), -1);
    const { l, t } = full._size;
    count.forEach((n, xy) => {
      if (n === 0) return;
      const [x, y] = xy.split(",").map(Number);
      const dot = document.createElementNS(SVG_NS, "circle");
      dot.setAttribute("cx", String(l + full.xaxis.d2p(x)));
      dot.setAttribute("cy", String(t + full.yaxis.d2p(y)));
      dot.setAttribute("r", n > 0 ? "6.5" : "8.5"); // as the points trace: size 13, 2 px line
      dot.setAttribute("class", n > 0 ? "cvz-added" : "cvz-removed");
      this.pending.appendChild(dot);
    });
  }

  showNote(text) {
    this.note.textContent = text || "";
    this.note.style.display = text ? "block" : "none";
  }

  // ---------------------------------------------------------------- pixels <-> data

  area() {
    const drag = this.plot.querySelector(".nsewdrag");
    return drag ? drag.getBoundingClientRect() : null;
  }

  toData(clientX, clientY, rect) {
    const full = this.plot._fullLayout;
    const x = full.xaxis.p2d(clientX - rect.left);
    const y = full.yaxis.p2d(clientY - rect.top);
    const r = this.display.ranges;
    return [roundTo(x, r.x), roundTo(y, r.y)];
  }

  hit(clientX, clientY, rect) {
    const full = this.plot._fullLayout;
    let best = -1;
    let bestDist = HIT_RADIUS_PX;
    this.points.forEach((p, i) => {
      const dx = rect.left + full.xaxis.d2p(p[0]) - clientX;
      const dy = rect.top + full.yaxis.d2p(p[1]) - clientY;
      const d = Math.hypot(dx, dy);
      if (d <= bestDist) {
        best = i;
        bestDist = d;
      }
    });
    return best;
  }

  // ---------------------------------------------------------------- pointer events

  onPointerDown(e) {
    if (!this.ready || e.button !== 0 || e.target.closest(".legend")) return;
    const rect = this.area();
    if (!rect || !inside(e.clientX, e.clientY, rect)) return;
    e.preventDefault();
    e.stopPropagation();
    this.press = {
      x: e.clientX,
      y: e.clientY,
      t: performance.now(),
      rect,
      index: this.hit(e.clientX, e.clientY, rect),
      dragging: false,
    };
    this.plot.setPointerCapture(e.pointerId);
  }

  onPointerMove(e) {
    const press = this.press;
    if (!press) return;
    e.stopPropagation();
    const moved = Math.hypot(e.clientX - press.x, e.clientY - press.y);
    if (!press.dragging && press.index >= 0 && moved > DRAG_THRESHOLD_PX) press.dragging = true;
    if (press.dragging) {
      const x = clamp(e.clientX, press.rect.left, press.rect.right);
      const y = clamp(e.clientY, press.rect.top, press.rect.bottom);
      this.points[press.index] = this.toData(x, y, press.rect);
      this.version += 1;
      this.drawPoints();
      this.drawPending();
      this.requestPreview(); // the fit follows the point while it moves
    }
  }

  onPointerUp(e) {
    const press = this.press;
    if (!press) return;
    this.press = null;
    e.stopPropagation();
    if (this.plot.hasPointerCapture(e.pointerId)) this.plot.releasePointerCapture(e.pointerId);
    const moved = Math.hypot(e.clientX - press.x, e.clientY - press.y);
    if (press.dragging) {
      this.edit("move", press.t);
    } else if (moved <= DRAG_THRESHOLD_PX) {
      if (press.index >= 0) {
        this.points.splice(press.index, 1);
        this.edit("delete", press.t);
      } else {
        this.points.push(this.toData(press.x, press.y, press.rect));
        this.edit("add", press.t);
      }
    }
    if (this.queued) {
      const data = this.queued;
      this.queued = null;
      this.update(data);
    }
  }

  // ---------------------------------------------------------------- snapshots

  edit(op, startedAt) {
    clearTimeout(this.settledTimer);
    this.lastOp = op;
    this.version += 1;
    if (!this.dirty) this.dirtySince = startedAt;
    this.dirty = true;
    const points = JSON.stringify(this.points);
    this.root.dataset.points = points;
    this.fitWanted = { started: startedAt, points };
    this.editedAt = startedAt;
    this.requestPreview(); // the fast path to the new fit
    this.drawPending(); // optimistic: the student sees the change at once
    this.sendSoon();
  }

  // Send the pending edits as a snapshot, once the preview in flight (if any) has been
  // drawn: the server then computes the fit once, and Streamlit's redraw of the page does
  // not hold up the canvas's. A snapshot never waits longer than PREVIEW_WAIT_MS.
  sendSoon() {
    if (this.inflight || !this.dirty) return;
    if (!this.previewing) {
      this.flush();
    } else if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => this.flush(), PREVIEW_WAIT_MS);
    }
  }

  flush() {
    clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (!this.inflight && this.dirty) this.send();
  }

  send(retryMs = RESEND_MS) {
    this.seq += 1;
    this.inflight = {
      seq: this.seq,
      version: this.version,
      firstEditAt: this.dirtySince,
      points: this.points.map((p) => p.slice()),
    };
    this.dirty = false;
    this.dirtySince = null;
    this.transmit(retryMs);
  }

  transmit(retryMs) {
    const snap = this.inflight;
    perf.sent += 1;
    this.setTriggerValue("edit", {
      seq: snap.seq,
      gen: this.gen,
      op: this.lastOp,
      points: snap.points.map((p) => p.slice()),
    });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.inflight === snap) {
        perf.resent += 1;
        this.transmit(retryMs * 2); // no ack: resend the same snapshot
      }
    }, retryMs);
  }

  destroy() {
    clearTimeout(this.timer);
    clearTimeout(this.holdTimer);
    delete window.__convexvizCanvasBusy;
    clearTimeout(this.settledTimer);
    this.resizer.disconnect();
    if (window.Plotly) window.Plotly.purge(this.plot);
    this.root.remove();
  }
}

function inside(x, y, r) {
  return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

// Round a clicked coordinate to about 1/10000 of the visible span (well under a pixel).
function roundTo(value, range) {
  const span = Math.abs(range[1] - range[0]) || 1;
  const decimals = Math.min(8, Math.max(0, 4 - Math.floor(Math.log10(span))));
  return Number(value.toFixed(decimals));
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let canvas = parentElement.__convexvizCanvas;
  if (!canvas) {
    canvas = new Canvas(parentElement, setTriggerValue);
    parentElement.__convexvizCanvas = canvas;
  }
  canvas.setTriggerValue = setTriggerValue;
  canvas.update(data);
  return () => {
    canvas.destroy();
    delete parentElement.__convexvizCanvas;
  };
}
