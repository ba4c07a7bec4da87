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
// PreviewClient, Pointer, PointSet, ChartBase (Chart's plot area, note, pixel <-> data and
// hit-testing), CanvasBase (Canvas's flow of data, previews and edits), the debug records
// and the small helpers.

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
class Chart extends ChartBase {
  constructor(parentElement) {
    super(parentElement, "cvz-canvas");
    this.legend = new Legend();
    this.root.prepend(this.legend.element);
    this.marks = document.createElementNS(SVG_NS, "svg");
    this.marks.setAttribute("class", "cvz-pending");
    this.note.before(this.marks); // over the plot, under the note
    this.drawn = { key: null, points: NO_POINTS };
    this.trained = null; // the trained networks drawn ({x, y: [[...]]}) or null
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
 * The click canvas (CanvasBase, sync.js): `points` a PointSet of [x, y]; `fit` the fit
 * adopted for drawing ({curves, ranges, message, key, version, pointsKey}); `waiting.ack`
 * the acknowledged snapshot whose fit is not painted yet.
 */
class Canvas extends CanvasBase {
  constructor(parentElement, setTriggerValue) {
    super(new Chart(parentElement), setTriggerValue, BUSY_MAX_MS);
    this.waiting.ack = null;
    this.settledTimer = null;
    this.trainedTimer = null;
    this.onTrained = () => this.showTrained();
    window.addEventListener("convexviz:trained", this.onTrained);
  }

  received(data, replaced, acked) {
    if (!replaced && acked) this.waiting.ack = acked;
  }

  fitOf(reply) {
    const { curves, ranges, message, key } = reply;
    return { curves, ranges, message, key };
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

  movedPoint(point, xy) {
    return xy;
  }

  newPoint(xy) {
    return xy;
  }

  showPoints() {
    this.chart.drawPoints(this.points, this.server.style);
    this.chart.drawMarks(this.points, this.server.style);
  }

  // Marks over the chart, not a Plotly redraw: the edit's fit redraws the points with it.
  showEdit(points) {
    this.chart.drawMarks(points, this.server.style);
  }

  edit(op, points, startedAt) {
    clearTimeout(this.settledTimer);
    super.edit(op, points, startedAt);
  }

  destroy() {
    clearTimeout(this.settledTimer);
    clearTimeout(this.trainedTimer);
    window.removeEventListener("convexviz:trained", this.onTrained);
    super.destroy();
  }
}

export default function (component) {
  return mountCanvas(component, Canvas, "__convexvizCanvas");
}
