// convexviz click canvas: a Plotly.js chart on which students add, delete and drag points.
//
// Four parts, each with its own state, wired by `Canvas` at the end:
//   SnapshotSync  sync with Streamlit (DESIGN.md §3, protocol.py): every edit is sent as one
//                 trigger event `edit` = {seq, gen, op, points}, the full list after the
//                 edit; at most one snapshot in flight, later edits fold into the next one,
//                 resent with a growing timeout until acknowledged. Python answers with
//                 data = {points, curves, ranges, ack, gen, message, key, preview, style,
//                 plotly_url}; a new `gen` means Python replaced the points itself, and
//                 local edits are dropped.
//   PreviewClient the fast path (convexviz/ui/preview.py): Streamlit's round trip is slow, so
//                 after each edit (and while dragging) the canvas also POSTs the points it
//                 shows and draws the fit from the answer at once. Fits are "versioned" by
//                 the local edit they belong to (Canvas.adopt): a reply for an older edit
//                 never replaces a newer fit, and a reply with the `key` already drawn is
//                 not drawn again.
//   Chart         the view: Plotly's chart, the legend above it, marks for edits Plotly has
//                 not drawn yet, pixel <-> data conversion and hit-testing; drawn with the
//                 style Python sends (convexviz/plot_style.py: canvas_style).
//   Pointer       presses on the plot area: click (add / delete a point) or drag.
// Points travel as PointSet values: an immutable list with its key (JSON text), computed
// once per edit, so "are these the same points?" is one string comparison.

// Shared with the plane's canvas (sync.js, prepended to this file): SnapshotSync,
// PreviewClient, Pointer, PointSet, the debug records and the small helpers.

const SETTLED_MS = 1200; // a pause this long after an acknowledged edit refreshes the panels
const BUSY_MAX_MS = 2000; // the panels' figures wait at most this long for an edit's fit

// ================================================================ view: the chart

/**
 * Plotly's chart of the fit, its features and the points, with the legend above the plot
 * area and, over it, marks for the edits that Plotly has not drawn yet: a few SVG circles
 * cost ~1 ms, a Plotly redraw of the points 25-60 ms that would delay the fit's redraw.
 *
 * `drawn` is what Plotly's chart shows: {key of the fit, points}.
 */
class Chart {
  constructor(parentElement) {
    this.root = element("div", "cvz-canvas");
    this.legend = new Legend();
    const stage = element("div", "cvz-stage");
    this.plot = element("div", "cvz-plot");
    this.marks = document.createElementNS(SVG_NS, "svg");
    this.marks.setAttribute("class", "cvz-pending");
    this.note = element("div", "cvz-note");
    stage.append(this.plot, this.marks, this.note);
    this.root.append(this.legend.element, stage);
    parentElement.appendChild(this.root);
    this.ready = false; // Plotly has drawn once
    this.drawn = { key: null, points: NO_POINTS };
    this.trained = null; // the trained networks drawn ({x, y: [[...]]}) or null
    this.resizer = new ResizeObserver(() => {
      if (this.ready) window.Plotly.Plots.resize(this.plot);
    });
    this.resizer.observe(this.plot);
  }

  /**
   * Draw `fit` ({curves, ranges, key}) and `points`: all anew if the fit changed. `trained`:
   * the networks trained by gradient descent to draw faintly behind (or null).
   */
  draw(fit, points, style, trained) {
    let drawn = Promise.resolve();
    if (!this.ready || fit.key !== this.drawn.key || !fit.key) {
      this.legend.show(fit.curves, style);
      this.trained = trained;
      drawn = window.Plotly.react(
        this.plot,
        traces(fit.curves, points, style, trained),
        layout(fit.ranges, style),
        PLOTLY_CONFIG
      );
    } else if (!points.sameAs(this.drawn.points)) {
      drawn = this.drawPoints(points, style);
    }
    this.drawn = { key: fit.key, points };
    this.drawMarks(points, style);
    return drawn.then(() => {
      this.ready = true;
    });
  }

  /** Replace the trained networks' curves (the first trace) with `trained` (or none). */
  drawTrained(trained, style) {
    this.trained = trained;
    const t = trainedTrace(trained, style);
    return window.Plotly.restyle(this.plot, { x: [t.x], y: [t.y] }, [0]);
  }

  drawPoints(points, style) {
    const index = this.plot.data.length - 1; // the points trace is always last
    const t = pointsTrace(points, style);
    this.drawn = { ...this.drawn, points };
    return window.Plotly.restyle(this.plot, { x: [t.x], y: [t.y] }, [index]);
  }

  /** Mark points added (dots) and removed (covers) since Plotly's last drawing. */
  drawMarks(points, style) {
    this.marks.replaceChildren();
    const full = this.plot._fullLayout;
    if (!this.ready || !full || !full.xaxis) return;
    const balance = new Map(); // "x,y" -> shown minus drawn
    const tally = (list, step) =>
      list.forEach((p) => {
        const xy = `${p[0]},${p[1]}`;
        balance.set(xy, (balance.get(xy) || 0) + step);
      });
    tally(points.list, 1);
    tally(this.drawn.points.list, -1);
    const { l, t } = full._size;
    const marker = style.data_marker;
    balance.forEach((n, xy) => {
      if (n === 0) return;
      const [x, y] = xy.split(",").map(Number);
      const dot = document.createElementNS(SVG_NS, "circle");
      dot.setAttribute("cx", String(l + full.xaxis.d2p(x)));
      dot.setAttribute("cy", String(t + full.yaxis.d2p(y)));
      if (n > 0) {
        dot.setAttribute("class", "cvz-added"); // as the points trace draws a point
        dot.setAttribute("r", String(marker.size / 2));
        dot.setAttribute("fill", marker.color);
        dot.setAttribute("stroke", marker.line.color);
        dot.setAttribute("stroke-width", String(marker.line.width));
      } else {
        dot.setAttribute("class", "cvz-removed"); // covers the point and its outline
        dot.setAttribute("r", String(marker.size / 2 + marker.line.width));
        dot.setAttribute("fill", style.plot_bgcolor);
      }
      this.marks.appendChild(dot);
    });
  }

  showNote(text) {
    this.note.textContent = text || "";
    this.note.style.display = text ? "block" : "none";
  }

  // ---------------------------------------------------------------- pixels <-> data

  /** The plot area's rectangle on screen (clicks convert through it), or null. */
  area() {
    const drag = this.plot.querySelector(".nsewdrag");
    return drag ? drag.getBoundingClientRect() : null;
  }

  /** Data coordinates of a spot on screen, rounded to well under a pixel of `ranges`. */
  toData(clientX, clientY, rect, ranges) {
    const full = this.plot._fullLayout;
    const x = full.xaxis.p2d(clientX - rect.left);
    const y = full.yaxis.p2d(clientY - rect.top);
    return [roundTo(x, ranges.x), roundTo(y, ranges.y)];
  }

  /** Index of the point nearest to a spot on screen within `radius` pixels, else -1. */
  hit(clientX, clientY, rect, points, radius) {
    const full = this.plot._fullLayout;
    let best = -1;
    let bestDist = radius;
    points.list.forEach((p, i) => {
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

  destroy() {
    this.resizer.disconnect();
    if (window.Plotly) window.Plotly.purge(this.plot);
    this.root.remove();
  }
}

/**
 * The chart's legend, a row above the plot area (it never covers a point or the space a
 * student clicks into). Every entry keeps its place when hidden, so the plot area keeps its
 * size and the axes do not move between redraws.
 */
class Legend {
  constructor() {
    this.element = element("div", "cvz-legend legend");
    this.entries = null;
  }

  show(curves, style) {
    if (!this.entries) this.build(style);
    const features = curves.features;
    const first = features.length ? kindColor(features[0].kind, style) : style.other_color;
    this.entries.features.swatch.setAttribute("stroke", first);
    this.entries.features.item.style.visibility = features.length ? "visible" : "hidden";
    this.entries.fit.item.style.visibility = curves.x.length ? "visible" : "hidden";
  }

  build(style) {
    const { bgcolor, bordercolor, borderwidth, font } = style.legend;
    Object.assign(this.element.style, {
      background: bgcolor,
      border: `${borderwidth}px solid ${bordercolor}`,
      color: font.color,
      fontFamily: font.family,
      fontSize: `${font.size}px`,
    });
    const marker = style.data_marker;
    const dot = svgShape("circle", {
      cx: 15,
      cy: 8,
      r: marker.size / 2,
      fill: marker.color,
      stroke: marker.line.color,
      "stroke-width": marker.line.width,
    });
    const line = (stroke, width, dash) =>
      svgShape("line", { x1: 1, y1: 8, x2: 29, y2: 8, stroke, "stroke-width": width, ...dash });
    const fl = style.feature_line;
    const dotted = { "stroke-dasharray": `${fl.width} ${2 * fl.width}`, opacity: fl.opacity };
    this.entries = {
      points: this.entry("training points", dot),
      fit: this.entry("optimal network f(x)", line(style.fit_line.color, style.fit_line.width)),
      features: this.entry("active features", line(style.other_color, fl.width, dotted)),
    };
  }

  entry(text, swatch) {
    const item = element("span", "cvz-legend-item");
    const icon = document.createElementNS(SVG_NS, "svg");
    icon.setAttribute("width", "30");
    icon.setAttribute("height", "16");
    icon.appendChild(swatch);
    item.append(icon, text);
    this.element.appendChild(item);
    return { item, swatch };
  }
}

// ---------------------------------------------------------------- Plotly figure

function kindColor(kind, style) {
  return style.kind_colors[kind] || style.other_color;
}

function traces(curves, points, style, trained) {
  // One trace per colour (feature kind), curves joined by gaps: Plotly's cost grows with
  // the number of traces, and a click's redraw must stay fast with 30+ features.
  // The trained networks come first (drawn behind everything), always as one trace, perhaps
  // empty, so that drawTrained can replace them in place.
  const byColor = new Map();
  curves.features.forEach((f) => {
    const color = kindColor(f.kind, style);
    if (!byColor.has(color)) byColor.set(color, { x: [], y: [] });
    const group = byColor.get(color);
    group.x.push(...(f.x || curves.x), null);
    group.y.push(...f.y, null);
  });
  const fl = style.feature_line;
  const all = [trainedTrace(trained, style)];
  const featureTraces = [...byColor.entries()].map(([color, g]) => ({
    type: "scatter",
    mode: "lines",
    x: g.x,
    y: g.y,
    name: "active features",
    connectgaps: false,
    line: { color, width: fl.width, dash: fl.dash },
    opacity: fl.opacity,
    hoverinfo: "skip",
  }));
  all.push(...featureTraces);
  if (curves.x.length) {
    all.push({
      type: "scatter",
      mode: "lines",
      x: curves.x,
      y: curves.fit,
      name: "optimal network f(x)",
      line: { ...style.fit_line },
      hoverinfo: "skip",
    });
  }
  all.push(pointsTrace(points, style));
  return all;
}

// Every trained network on one trace, joined by gaps (one Plotly trace costs the least).
function trainedTrace(trained, style) {
  const x = [];
  const y = [];
  if (trained) {
    trained.y.forEach((row) => {
      x.push(...trained.x, null);
      y.push(...row, null);
    });
  }
  const line = style.trained_line;
  return {
    type: "scatter",
    mode: "lines",
    x,
    y,
    name: "trained by gradient descent",
    connectgaps: false,
    line: { color: line.color, width: line.width },
    opacity: line.opacity,
    hoverinfo: "skip",
  };
}

function pointsTrace(points, style) {
  const marker = style.data_marker;
  return {
    type: "scatter",
    mode: "markers",
    x: points.list.map((p) => p[0]),
    y: points.list.map((p) => p[1]),
    name: "training points",
    marker: { ...marker, line: { ...marker.line } },
    hoverinfo: "skip",
  };
}

function layout(ranges, style) {
  const axis = (range, title) => ({
    ...style.axis,
    range: range.slice(),
    autorange: false,
    fixedrange: true,
    automargin: false,
    zeroline: true,
    title: { text: title, standoff: 8 },
  });
  return {
    // Fixed margins: the plot area must not move between redraws (clicks convert through it).
    margin: { ...style.margin, autoexpand: false },
    xaxis: axis(ranges.x, "x"),
    yaxis: axis(ranges.y, "y"),
    showlegend: false, // the Legend above the chart
    hovermode: false,
    dragmode: false,
    font: { ...style.font },
    paper_bgcolor: style.paper_bgcolor,
    plot_bgcolor: style.plot_bgcolor,
    uirevision: "canvas",
  };
}

// ================================================================ the canvas

/**
 * The click canvas: local, optimistic points and edits, wired to Streamlit (SnapshotSync),
 * the preview route (PreviewClient), the chart (Chart) and the mouse (Pointer).
 *
 * `points`: what the student sees; `version`: local edit counter, which tags every fit;
 * `fit`: the fit adopted for drawing ({curves, ranges, message, key, version, pointsKey});
 * `server`: Python's last data, and `route` its preview route ({url, params, paramsKey});
 * `waiting`: the last edit whose fit is not painted yet ({started, pointsKey}) and the
 * acknowledged snapshot whose fit is not painted yet.
 */
class Canvas {
  constructor(parentElement, setTriggerValue) {
    this.setTriggerValue = setTriggerValue;
    this.chart = new Chart(parentElement);
    this.sync = new SnapshotSync(
      (snapshot) => this.setTriggerValue("edit", snapshot),
      () => ({ points: this.points, version: this.version })
    );
    this.preview = new PreviewClient(
      (request, reply) => this.previewed(request, reply),
      (again) => {
        this.sync.flush();
        if (again) this.requestPreview();
      },
      () => this.chart.showNote(this.route ? this.route.busy_text : "")
    );
    this.pointer = new Pointer(this.chart.plot, {
      begin: (x, y, touch) => this.pressAt(x, y, touch),
      drag: (press, x, y) => this.dragTo(press, x, y),
      release: (press, still) => this.released(press, still),
    });
    this.points = NO_POINTS;
    this.version = 0;
    this.fit = null;
    this.server = null;
    this.route = null;
    this.queued = null; // data that arrived while dragging
    this.waiting = { fit: null, ack: null, editedAt: -Infinity };
    this.settledTimer = null;
    this.busy = () => this.editing();
    cvz.canvasBusy = this.busy;
    this.trainedTimer = null;
    this.onTrained = () => this.showTrained();
    window.addEventListener("convexviz:trained", this.onTrained);
  }

  // The panels' figures (figure.js) are not drawn while a student edits: from the press
  // until the edit's fit is on screen and the session has acknowledged it (at most
  // BUSY_MAX_MS after the edit).
  editing() {
    return (
      this.pointer.pressed ||
      (performance.now() - this.waiting.editedAt < BUSY_MAX_MS &&
        (this.waiting.fit !== null || !this.sync.idle))
    );
  }

  // ---------------------------------------------------------------- data from Python

  update(data) {
    if (!data) return;
    if (this.pointer.dragging) {
      this.queued = data; // never move the point under the mouse
      return;
    }
    this.server = data;
    const preview = data.preview;
    this.route = preview ? { ...preview, paramsKey: JSON.stringify(preview.params) } : null;
    const theirs = PointSet.of(data.points);
    const { replaced, acked } = this.sync.receive(data);
    let version = this.version; // the local edit this reply's fit belongs to
    if (replaced) {
      this.points = theirs; // Python replaced the points: local edits are dropped
      this.version += 1;
      version = this.version;
      this.fit = null;
    } else {
      if (acked) this.waiting.ack = acked;
      if (this.sync.idle) this.points = theirs;
      // A fit for the points shown is current; an acknowledged snapshot's belongs to the
      // edit it carried; any other reply is about older points (drawn only if none are).
      if (!theirs.sameAs(this.points)) version = acked ? acked.version : -1;
    }
    this.chart.root.dataset.gen = String(this.sync.gen);
    this.chart.root.dataset.ack = String(data.ack);
    this.adopt(data, theirs.key, version);
    loadPlotly(data.plotly_url)
      .then(() => this.draw())
      .then(() => this.sync.sendSoon(this.preview.busy))
      .catch((err) => this.chart.showNote(String(err)));
  }

  /** Adopt a reply's fit for drawing, unless the one adopted belongs to a newer edit. */
  adopt(reply, pointsKey, version) {
    if (this.fit && this.fit.version > version) return false;
    const { curves, ranges, message, key } = reply;
    this.fit = { curves, ranges, message, key, version, pointsKey };
    return true;
  }

  // ---------------------------------------------------------------- preview

  /** Ask the preview route for the fit of the points shown now. */
  requestPreview() {
    if (!this.route || !window.fetch) return;
    this.preview.ask({
      url: this.route.url,
      params: this.route.params,
      paramsKey: this.route.paramsKey,
      gen: this.sync.gen,
      version: this.version,
      points: this.points,
      ranges: this.fit ? this.fit.ranges : this.server.ranges,
    });
  }

  previewed(request, reply) {
    if (request.gen !== this.sync.gen || request.paramsKey !== this.route.paramsKey) return;
    // While dragging, a slightly older fit is better than none; otherwise only an exact one.
    if (!this.pointer.dragging && !request.points.sameAs(this.points)) return;
    if (!this.adopt(reply, request.points.key, request.version)) return;
    if (reply.key !== this.chart.drawn.key) count("previewsDrawn"); // else Streamlit's was first
    return this.draw();
  }

  // ---------------------------------------------------------------- drawing

  // Redraw the chart if the fit changed since the last drawing, then note what is painted.
  draw() {
    const fit = this.fit;
    return this.chart
      .draw(fit, this.points, this.server.style, this.trainedShown())
      .then(() => this.drawn(fit))
      .then(() => this.showTrained());
  }

  // The networks trained by gradient descent (trained.js: cvz.trained) if they were trained
  // on the points and settings shown now, else null: a stale curve never sits behind a fit.
  trainedShown() {
    const trained = cvz.trained;
    if (!trained || !this.route) return null;
    const same =
      PointSet.of(trained.points).sameAs(this.points) &&
      JSON.stringify(trained.settings) === this.route.paramsKey;
    return same ? trained : null;
  }

  // New trained curves from the panel: one restyle of their trace, never while a student
  // edits (the click's fit comes first) and never before Plotly's first drawing.
  showTrained() {
    clearTimeout(this.trainedTimer);
    this.trainedTimer = null;
    if (!this.chart.ready || !this.server) return;
    if (this.editing()) {
      this.trainedTimer = setTimeout(() => this.showTrained(), 100);
      return;
    }
    const trained = this.trainedShown();
    if (trained === this.chart.trained) return;
    this.chart.drawTrained(trained, this.server.style).then(() => {
      this.chart.root.dataset.trained = String(trained ? trained.y.length : 0);
    });
  }

  drawn(fit) {
    const root = this.chart.root;
    root.dataset.trained = String(this.chart.trained ? this.chart.trained.y.length : 0);
    root.dataset.xrange = fit.ranges.x.join(",");
    root.dataset.yrange = fit.ranges.y.join(",");
    root.dataset.points = this.points.key;
    root.dataset.ready = "1";
    const empty = this.points.length === 0;
    this.chart.showNote(
      fit.message || (empty ? "Click anywhere in the plot to add training points." : "")
    );
    const wanted = this.waiting.fit;
    const fitDone = wanted !== null && wanted.pointsKey === fit.pointsKey;
    if (fitDone) this.waiting.fit = null;
    const acked = this.waiting.ack;
    this.waiting.ack = null;
    if (acked) this.scheduleSettled();
    if (!acked && !fitDone) return;
    requestAnimationFrame(() => {
      const now = performance.now(); // the frame with the redraw above is painted
      if (fitDone) record("fitLatencies", { ms: now - wanted.started, key: fit.key });
      if (acked) {
        record("latencies", { seq: acked.seq, ms: now - acked.firstEditAt });
        root.dataset.drawnAck = String(acked.seq);
      }
    });
  }

  // Tell the panels (refresh.js) that the student paused: they redraw only then.
  scheduleSettled() {
    clearTimeout(this.settledTimer);
    this.settledTimer = setTimeout(() => {
      if (!this.sync.idle || this.pointer.pressed) return;
      const detail = { ack: this.server.ack, gen: this.sync.gen };
      window.dispatchEvent(new CustomEvent("convexviz:settled", { detail }));
    }, SETTLED_MS);
  }

  // ---------------------------------------------------------------- edits

  pressAt(clientX, clientY, touch) {
    if (!this.chart.ready) return null;
    const rect = this.chart.area();
    if (!rect || !inside(clientX, clientY, rect)) return null;
    const radius = touch ? TOUCH_HIT_RADIUS_PX : HIT_RADIUS_PX;
    return { rect, index: this.chart.hit(clientX, clientY, rect, this.points, radius) };
  }

  dragTo(press, clientX, clientY) {
    const xy = this.chart.toData(clientX, clientY, press.rect, this.fit.ranges);
    this.points = this.points.moved(press.index, xy);
    this.version += 1;
    this.chart.drawPoints(this.points, this.server.style);
    this.chart.drawMarks(this.points, this.server.style);
    this.requestPreview(); // the fit follows the point while it moves
  }

  released(press, still) {
    if (press.dragging) {
      this.edit("move", this.points, press.t);
    } else if (still && press.index >= 0) {
      this.edit("delete", this.points.without(press.index), press.t);
    } else if (still) {
      const xy = this.chart.toData(press.x, press.y, press.rect, this.fit.ranges);
      this.edit("add", this.points.with(xy), press.t);
    }
    if (this.queued) {
      const data = this.queued;
      this.queued = null;
      this.update(data);
    }
  }

  edit(op, points, startedAt) {
    clearTimeout(this.settledTimer);
    this.points = points;
    this.version += 1;
    this.sync.edited(op, startedAt);
    this.chart.root.dataset.points = points.key;
    this.waiting.fit = { started: startedAt, pointsKey: points.key };
    this.waiting.editedAt = startedAt;
    this.requestPreview(); // the fast path to the new fit
    this.chart.drawMarks(points, this.server.style); // optimistic: shown at once
    this.sync.sendSoon(this.preview.busy);
  }

  destroy() {
    this.sync.destroy();
    this.preview.close();
    clearTimeout(this.settledTimer);
    clearTimeout(this.trainedTimer);
    window.removeEventListener("convexviz:trained", this.onTrained);
    this.pointer.destroy();
    if (cvz.canvasBusy === this.busy) delete cvz.canvasBusy;
    this.chart.destroy();
  }
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
