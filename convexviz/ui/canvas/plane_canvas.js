// convexviz plane canvas: the fitted surface of a two-layer ReLU network on points in the
// plane (Plotly.js), on which students add, delete and drag points (THEORY_2D §7).
//
// Shared with the 1-D canvas (sync.js, prepended to this file after page.js): SnapshotSync
// (every edit to Streamlit as one snapshot {seq, gen, op, points: [[x1, x2, y], ...]}),
// PreviewClient (the fast path: the plane preview route, convexviz/ui/plane_preview.py),
// Pointer (click / drag on the plot area), PointSet, the debug records and helpers.
// Here:
//   PlaneChart   the view: Python's figure of the fit (convexviz/ui/canvas/plane_payload.py:
//                surface, decision line, neuron lines, worst line, arrows) plus the training
//                points, which the canvas draws itself by filling Python's empty points
//                traces (point_traces) so that a click shows at once, exactly as Python would.
//   PlaneCanvas  local, optimistic points wired to Streamlit, the preview route, the chart
//                and the pointer. A click on empty space adds a point with the current label
//                (data.label: +1, -1 or a value), a click on a point deletes it, a drag moves
//                it. Fits are versioned by the local edit they belong to (adopt): a reply for
//                an older edit never replaces a newer fit.

const PLANE_BUSY_MAX_MS = 2000; // the panels' figures wait at most this long for an edit's fit

// ================================================================ view: the chart

/** Whether every target is +1 or -1 (and there is one): two classes, not values. */
function isClasses(points) {
  return points.length > 0 && points.list.every((p) => p[2] === 1 || p[2] === -1);
}

/** The colour range of values: their range, or y +- 1 if all equal (plane_figure.value_range). */
function valueRange(ys) {
  if (!ys.length) return [-1, 1];
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  return hi - lo <= 0 ? [lo - 1, hi + 1] : [lo, hi];
}

/** The points as Plotly traces: Python's empty templates filled with the coordinates. */
function pointTraces(points, templates) {
  if (isClasses(points)) {
    return templates.classes.map(({ label, trace }) => {
      const mine = points.list.filter((p) => p[2] === label);
      return { ...structuredClone(trace), x: mine.map((p) => p[0]), y: mine.map((p) => p[1]) };
    });
  }
  const trace = structuredClone(templates.values.trace);
  const ys = points.list.map((p) => p[2]);
  const [cmin, cmax] = valueRange(ys);
  trace.x = points.list.map((p) => p[0]);
  trace.y = points.list.map((p) => p[1]);
  trace.customdata = ys;
  trace.marker = { ...trace.marker, color: ys, cmin, cmax };
  return [trace];
}

/**
 * Plotly's chart: the fit's traces from Python, then the points traces (always last).
 * `drawn` is what Plotly shows: {key of the fit, points, classes (the points' mode)}.
 */
class PlaneChart {
  constructor(parentElement) {
    this.root = element("div", "cvz-canvas cvz-plane-canvas");
    const stage = element("div", "cvz-stage");
    this.plot = element("div", "cvz-plot");
    this.note = element("div", "cvz-note");
    stage.append(this.plot, this.note);
    this.root.append(stage);
    parentElement.appendChild(this.root);
    this.ready = false;
    this.drawn = { key: null, points: NO_POINTS, classes: null, traces: 0 };
    this.resizer = new ResizeObserver(() => {
      if (this.ready) window.Plotly.Plots.resize(this.plot);
    });
    this.resizer.observe(this.plot);
  }

  /** Draw `fit` ({figure, key}) and `points`: all anew if the fit or the points' mode changed. */
  draw(fit, points, templates) {
    const classes = isClasses(points);
    let drawn = Promise.resolve();
    if (!this.ready || fit.key !== this.drawn.key || !fit.key || classes !== this.drawn.classes) {
      const layout = fit.figure.layout;
      this.root.style.height = `${layout.height}px`;
      const data = [...fit.figure.data, ...pointTraces(points, templates)];
      drawn = window.Plotly.react(this.plot, data, layout, PLOTLY_CONFIG);
      this.drawn = { key: fit.key, points, classes, traces: data.length };
    } else if (!points.sameAs(this.drawn.points)) {
      drawn = this.drawPoints(points, templates);
    }
    return drawn.then(() => {
      this.ready = true;
    });
  }

  /** Only the points traces anew (a drag, or an edit whose fit has not come yet). */
  drawPoints(points, templates) {
    if (!this.ready || isClasses(points) !== this.drawn.classes) return Promise.resolve(false);
    const traces = pointTraces(points, templates);
    const first = this.drawn.traces - traces.length;
    const indices = traces.map((_, i) => first + i);
    const update = { x: traces.map((t) => t.x), y: traces.map((t) => t.y) };
    if (!this.drawn.classes) {
      update["marker.color"] = traces.map((t) => t.marker.color);
      update["marker.cmin"] = traces.map((t) => t.marker.cmin);
      update["marker.cmax"] = traces.map((t) => t.marker.cmax);
      update.customdata = traces.map((t) => t.customdata);
    }
    this.drawn = { ...this.drawn, points };
    return window.Plotly.restyle(this.plot, update, indices).then(() => true);
  }

  showNote(text) {
    this.note.textContent = text || "";
    this.note.style.display = text ? "block" : "none";
  }

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

// ================================================================ the canvas

/**
 * The plane canvas: `points` (PointSet of [x1, x2, y]) what the student sees; `version` the
 * local edit counter that tags every fit; `fit` the fit adopted for drawing ({figure,
 * ranges, message, key, version, pointsKey}); `server` Python's last data; `route` its
 * preview route ({url, params, paramsKey}); `waiting` the last edit whose fit is not painted.
 */
class PlaneCanvas {
  constructor(parentElement, setTriggerValue) {
    this.setTriggerValue = setTriggerValue;
    this.chart = new PlaneChart(parentElement);
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
    this.waiting = { fit: null, editedAt: -Infinity };
    this.busy = () => this.editing();
    cvz.canvasBusy = this.busy;
  }

  // Figures elsewhere on the page (figure.js) wait while a student edits here.
  editing() {
    return (
      this.pointer.pressed ||
      (performance.now() - this.waiting.editedAt < PLANE_BUSY_MAX_MS &&
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
    let version = this.version;
    if (replaced) {
      this.points = theirs; // Python replaced the points: local edits are dropped
      this.version += 1;
      version = this.version;
      this.fit = null;
    } else {
      if (this.sync.idle) this.points = theirs;
      if (!theirs.sameAs(this.points)) version = acked ? acked.version : -1;
    }
    const root = this.chart.root;
    root.dataset.gen = String(this.sync.gen);
    root.dataset.ack = String(data.ack);
    root.dataset.label = String(data.label);
    this.adopt(data, theirs.key, version);
    loadPlotly(data.plotly_url)
      .then(() => this.draw())
      .then(() => this.sync.sendSoon(this.preview.busy))
      .catch((err) => this.chart.showNote(String(err)));
  }

  /** Adopt a reply's fit for drawing, unless the one adopted belongs to a newer edit. */
  adopt(reply, pointsKey, version) {
    if (this.fit && this.fit.version > version) return false;
    const { figure, ranges, message, key } = reply;
    this.fit = { figure, ranges, message, key, version, pointsKey };
    return true;
  }

  // ---------------------------------------------------------------- preview

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
      asked: performance.now(),
    });
  }

  previewed(request, reply) {
    if (request.gen !== this.sync.gen || request.paramsKey !== this.route.paramsKey) return;
    // While dragging, a slightly older fit is better than none; otherwise only an exact one.
    if (!this.pointer.dragging && !request.points.sameAs(this.points)) return;
    if (!this.adopt(reply, request.points.key, request.version)) return;
    const fresh = reply.key !== this.chart.drawn.key; // else Streamlit's reply was first
    if (fresh) count("previewsDrawn");
    const replied = performance.now();
    return this.draw().then(() => {
      const times = { fetch: replied - request.asked, draw: performance.now() - replied };
      if (fresh) record("previewTimes", times);
    });
  }

  // ---------------------------------------------------------------- drawing

  draw() {
    const fit = this.fit;
    return this.chart
      .draw(fit, this.points, this.server.point_traces)
      .then(() => this.drawn(fit));
  }

  drawn(fit) {
    const root = this.chart.root;
    root.dataset.xrange = fit.ranges.x.join(",");
    root.dataset.yrange = fit.ranges.y.join(",");
    root.dataset.points = this.points.key;
    root.dataset.fitPoints = fit.pointsKey;
    root.dataset.ready = "1";
    const empty = this.points.length === 0;
    this.chart.showNote(
      empty ? "Click anywhere in the plot to add training points." : fit.message || ""
    );
    const wanted = this.waiting.fit;
    if (wanted === null || wanted.pointsKey !== fit.pointsKey) return;
    this.waiting.fit = null;
    requestAnimationFrame(() => {
      record("fitLatencies", { ms: performance.now() - wanted.started, key: fit.key });
    });
  }

  // ---------------------------------------------------------------- edits

  pressAt(clientX, clientY, touch) {
    if (!this.chart.ready || !this.fit) return null;
    const rect = this.chart.area();
    if (!rect || !inside(clientX, clientY, rect)) return null;
    const radius = touch ? TOUCH_HIT_RADIUS_PX : HIT_RADIUS_PX;
    return { rect, index: this.chart.hit(clientX, clientY, rect, this.points, radius) };
  }

  dragTo(press, clientX, clientY) {
    const [x1, x2] = this.chart.toData(clientX, clientY, press.rect, this.fit.ranges);
    const label = this.points.list[press.index][2];
    this.points = this.points.moved(press.index, [x1, x2, label]);
    this.version += 1;
    this.showPoints();
    this.requestPreview(); // the fit follows the point while it moves
  }

  // The points shown now over the fit drawn: their traces alone, or the whole chart when
  // they changed between two classes and values (a different set of traces).
  showPoints() {
    this.chart.drawPoints(this.points, this.server.point_traces).then((done) => {
      if (!done) this.draw();
    });
  }

  released(press, still) {
    if (press.dragging) {
      this.edit("move", this.points, press.t);
    } else if (still && press.index >= 0) {
      this.edit("delete", this.points.without(press.index), press.t);
    } else if (still) {
      const [x1, x2] = this.chart.toData(press.x, press.y, press.rect, this.fit.ranges);
      this.edit("add", this.points.with([x1, x2, this.server.label]), press.t);
    }
    if (this.queued) {
      const data = this.queued;
      this.queued = null;
      this.update(data);
    }
  }

  edit(op, points, startedAt) {
    this.points = points;
    this.version += 1;
    this.sync.edited(op, startedAt);
    this.chart.root.dataset.points = points.key;
    this.waiting.fit = { started: startedAt, pointsKey: points.key };
    this.waiting.editedAt = startedAt;
    this.requestPreview(); // the fast path to the new fit, asked before drawing anything
    this.showPoints(); // optimistic: shown at once
    this.sync.sendSoon(this.preview.busy);
  }

  destroy() {
    this.sync.destroy();
    this.preview.close();
    this.pointer.destroy();
    if (cvz.canvasBusy === this.busy) delete cvz.canvasBusy;
    this.chart.destroy();
  }
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let canvas = parentElement.__convexvizPlaneCanvas;
  if (!canvas) {
    canvas = new PlaneCanvas(parentElement, setTriggerValue);
    parentElement.__convexvizPlaneCanvas = canvas;
  }
  canvas.setTriggerValue = setTriggerValue;
  canvas.update(data);
  return () => {
    canvas.destroy();
    delete parentElement.__convexvizPlaneCanvas;
  };
}
