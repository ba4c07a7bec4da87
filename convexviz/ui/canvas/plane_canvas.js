// convexviz plane canvas: the fitted surface of a two-layer ReLU network on points in the
// plane (Plotly.js), on which students add, delete and drag points (THEORY_2D §7).
//
// Shared with the 1-D canvas (sync.js, prepended to this file after page.js): SnapshotSync
// (every edit to Streamlit as one snapshot {seq, gen, op, points: [[x1, x2, y], ...]}),
// PreviewClient (the fast path: the plane preview route, convexviz/ui/plane_preview.py),
// Pointer (click / drag on the plot area), PointSet, ChartBase (the plot area, its note,
// pixel <-> data, hit-testing) and CanvasBase (the flow of data, previews and edits that
// both canvases follow), the debug records and helpers.
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
class PlaneChart extends ChartBase {
  constructor(parentElement) {
    super(parentElement, "cvz-canvas cvz-plane-canvas");
    this.drawn = { key: null, points: NO_POINTS, classes: null, traces: 0 };
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
}

// ================================================================ the canvas

/**
 * The plane canvas (CanvasBase, sync.js): `points` a PointSet of [x1, x2, y]; `fit` the fit
 * adopted for drawing ({figure, ranges, message, key, version, pointsKey}).
 */
class PlaneCanvas extends CanvasBase {
  constructor(parentElement, setTriggerValue) {
    super(new PlaneChart(parentElement), setTriggerValue, PLANE_BUSY_MAX_MS);
  }

  received(data) {
    this.chart.root.dataset.label = String(data.label);
  }

  fitOf(reply) {
    const { figure, ranges, message, key } = reply;
    return { figure, ranges, message, key };
  }

  drawPreview(request, fresh) {
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

  /** A dragged point at `xy` keeps its label. */
  movedPoint(point, xy) {
    return [xy[0], xy[1], point[2]];
  }

  /** A new point at `xy` has the label chosen now. */
  newPoint(xy) {
    return [xy[0], xy[1], this.server.label];
  }

  // The points shown now over the fit drawn: their traces alone, or the whole chart when
  // they changed between two classes and values (a different set of traces).
  showPoints() {
    this.chart.drawPoints(this.points, this.server.point_traces).then((done) => {
      if (!done) this.draw();
    });
  }
}

export default function (component) {
  return mountCanvas(component, PlaneCanvas, "__convexvizPlaneCanvas");
}
