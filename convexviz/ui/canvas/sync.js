// What both click canvases share (canvas.js: the 1-D canvas; plane_canvas.js: the plane's);
// prepended to each of them after page.js by convexviz/ui/canvas/__init__.py.
//
//   SnapshotSync  sync with Streamlit (DESIGN.md §3, protocol.py): every edit is sent as one
//                 trigger event `edit` = {seq, gen, op, points}, the full list after the
//                 edit; at most one snapshot in flight, later edits fold into the next one,
//                 resent with a growing timeout until acknowledged.
//   PreviewClient the fast path (preview routes): one POST of the points shown at a time.
//   Pointer       presses on the plot area: click (add / delete a point) or drag.
//   PointSet      an immutable list of points (each a list of k numbers: [x, y] on the
//                 line, [x1, x2, y] in the plane) with its key (JSON text), computed once
//                 per edit, so "are these the same points?" is one string comparison.
// plus the debug records (stats, count, record) and small DOM and number helpers.

const HIT_RADIUS_PX = 10; // a click this close to a point deletes it
const DRAG_THRESHOLD_PX = 3; // a press that moves further starts a drag
// A fingertip covers ~40 px and wobbles while it taps (phones and tablets).
const TOUCH_HIT_RADIUS_PX = 20; // a tap this close to a point deletes it
const TOUCH_SLOP_PX = 10; // a touch that moves further drags (or, off a point, is no tap)
const RESEND_MS = 3000; // first resend timeout (doubles each time)
const PREVIEW_WAIT_MS = 400; // a snapshot waits at most this long for the preview in flight
const SLOW_PREVIEW_MS = 400; // a preview not answered by then says "solving" on the chart

const SVG_NS = "http://www.w3.org/2000/svg";
const PLOTLY_CONFIG = {
  displayModeBar: false,
  doubleClick: false,
  scrollZoom: false,
  showTips: false,
  responsive: false,
};

// cvz (window.convexviz) and loadPlotly(url): page.js, prepended to this file.

// ================================================================ debug records

// Test and benchmark hooks, recorded only when window.convexviz.debug is set before the page
// loads: `fitLatencies`: click -> the fit of exactly the clicked points painted (either
// path); `latencies`: click -> the session's acknowledged fit painted (Streamlit round trip);
// counts of snapshots sent and resent, previews asked, drawn, failed and answered "busy"
// (503/429: asked again after Retry-After); `previewTimes`
// (plane canvas): each drawn preview's {fetch: ask -> reply, draw: reply -> drawn} in ms.
const stats = cvz.debug
  ? (cvz.stats ??= {
      latencies: [],
      fitLatencies: [],
      previewTimes: [],
      sent: 0,
      resent: 0,
      previews: 0,
      previewsDrawn: 0,
      previewErrors: 0,
      previewBusy: 0,
    })
  : null;

function count(name) {
  if (stats) stats[name] += 1;
}

function record(list, entry) {
  if (stats) stats[list].push(entry);
}

// ================================================================ points

/** An immutable list of points (each [x, y] or [x1, x2, y]) and its key (JSON text). */
class PointSet {
  constructor(list) {
    this.list = Object.freeze(list);
    this.key = JSON.stringify(list);
    Object.freeze(this);
  }

  static of(raw) {
    return new PointSet(raw.map((p) => Array.from(p)));
  }

  get length() {
    return this.list.length;
  }

  sameAs(other) {
    return this.key === other.key;
  }

  with(point) {
    return new PointSet([...this.list, point]);
  }

  without(index) {
    return new PointSet(this.list.filter((_, i) => i !== index));
  }

  moved(index, point) {
    return new PointSet(this.list.map((p, i) => (i === index ? point : p)));
  }
}

const NO_POINTS = new PointSet([]);

// ================================================================ sync with Streamlit

/**
 * Snapshots to Streamlit and their acknowledgements (DESIGN.md §3).
 *
 * `gen` is Python's generation of the points; `seq` numbers our snapshots. `pending` holds
 * edits not sent yet ({op, since}); `inflight` the one snapshot sent and not yet acknowledged
 * ({seq, op, version, firstEditAt, points}). `current()` gives what to send: the points
 * shown now and the local edit counter.
 */
class SnapshotSync {
  constructor(transmit, current) {
    this.transmit = transmit;
    this.current = current;
    this.gen = null;
    this.seq = 0;
    this.pending = null;
    this.inflight = null;
    this.resendTimer = null;
    this.holdTimer = null;
  }

  /** Nothing to send and nothing unacknowledged. */
  get idle() {
    return this.inflight === null && this.pending === null;
  }

  /**
   * Take in Python's reply. Returns {replaced}: Python set the points itself (local edits
   * are dropped), and {acked}: the snapshot in flight that this reply acknowledges, if any.
   */
  receive(data) {
    this.seq = Math.max(this.seq, data.ack || 0); // survive a remount
    if (data.gen !== this.gen) {
      this.gen = data.gen;
      this.inflight = null;
      this.pending = null;
      return { replaced: true, acked: null };
    }
    const acked = this.inflight && data.ack >= this.inflight.seq ? this.inflight : null;
    if (acked) this.inflight = null;
    return { replaced: false, acked };
  }

  /** An edit made at `at` (performance.now()), to be sent with the next snapshot. */
  edited(op, at) {
    this.pending = { op, since: this.pending ? this.pending.since : at };
  }

  // Send the pending edits as a snapshot, once the preview in flight (if any) has been
  // drawn: the server then computes the fit once, and Streamlit's redraw of the page does
  // not hold up the canvas's. A snapshot never waits longer than PREVIEW_WAIT_MS.
  sendSoon(previewInFlight) {
    if (this.inflight || !this.pending) return;
    if (!previewInFlight) {
      this.flush();
    } else if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => this.flush(), PREVIEW_WAIT_MS);
    }
  }

  flush() {
    clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (this.inflight || !this.pending) return;
    const { points, version } = this.current();
    this.seq += 1;
    this.inflight = {
      seq: this.seq,
      op: this.pending.op,
      version,
      firstEditAt: this.pending.since,
      points: points.list,
    };
    this.pending = null;
    this.send(this.inflight, RESEND_MS);
  }

  send(snapshot, retryMs) {
    count("sent");
    const { seq, op, points } = snapshot;
    this.transmit({ seq, gen: this.gen, op, points });
    clearTimeout(this.resendTimer);
    this.resendTimer = setTimeout(() => {
      if (this.inflight !== snapshot) return;
      count("resent");
      this.send(snapshot, retryMs * 2); // no ack: resend the same snapshot
    }, retryMs);
  }

  destroy() {
    clearTimeout(this.resendTimer);
    clearTimeout(this.holdTimer);
  }
}

// ================================================================ preview

/**
 * The preview route: one POST at a time of {points, params, ranges}; a request asked for
 * meanwhile is made when the one in flight returns (`onDone(again)`).
 */
class PreviewClient {
  constructor(onReply, onDone, onBusy = () => {}, onSlow = () => {}) {
    this.onReply = onReply; // (request, reply) => promise or nothing
    this.onDone = onDone; // (again) => nothing
    this.onBusy = onBusy; // (waitMs) => nothing: the server said "busy", asking again later
    this.onSlow = onSlow; // () => nothing: no answer after SLOW_PREVIEW_MS (a large fit)
    this.inflight = null;
    this.again = false;
    this.closed = false;
    this.client = randomToken(); // this page's fair share of the route (never an address)
  }

  get busy() {
    return this.inflight !== null;
  }

  /** request = {url, params, paramsKey, gen, version, points (a PointSet), ranges}. */
  ask(request) {
    if (this.inflight) {
      this.again = true;
      return;
    }
    this.inflight = request;
    this.again = false;
    count("previews");
    const { url, params, points, ranges } = request;
    const client = this.client;
    const body = JSON.stringify({ points: points.list, params, ranges, client });
    let waitMs = 0;
    const slow = setTimeout(() => this.closed || this.onSlow(), SLOW_PREVIEW_MS);
    fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body })
      .then(async (response) => {
        if (response.status === 503 || response.status === 429) {
          // Back-pressure: keep the edit (it is on screen and goes to Streamlit too) and
          // ask again after the server's Retry-After, with whatever points are shown then.
          const info = await response.json().catch(() => ({}));
          waitMs = retryWait(info.retry_ms, response.headers.get("Retry-After"));
          count("previewBusy");
          this.onBusy(waitMs);
          return undefined;
        }
        if (!response.ok) throw new Error(String(response.status));
        return this.onReply(request, await response.json());
      })
      .catch(() => count("previewErrors")) // the Streamlit path still brings the fit
      .finally(() => {
        clearTimeout(slow);
        const done = () => {
          this.inflight = null;
          if (!this.closed) this.onDone(this.again || waitMs > 0);
        };
        if (waitMs > 0) setTimeout(done, waitMs);
        else done();
      });
  }

  close() {
    this.closed = true;
  }
}

/** Milliseconds to wait after a "busy" answer: its retry_ms (or Retry-After seconds), plus
 * up to half again at random, so that a room full of canvases does not ask in step. */
function retryWait(retryMs, retryAfter) {
  const base = Number.isFinite(retryMs) && retryMs > 0 ? retryMs : 1000 * (Number(retryAfter) || 1);
  return Math.min(10000, base * (1 + 0.5 * Math.random()));
}

/** A random hex token (crypto.getRandomValues works on plain http too, randomUUID not). */
function randomToken() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ================================================================ view: pointer input

/**
 * Presses on the plot: `begin(x, y, touch)` returns {rect, index} (the plot area and the
 * point hit, or -1) or null to ignore the press; a press that moves more than its slop
 * (DRAG_THRESHOLD_PX, TOUCH_SLOP_PX for a finger) on a point drags it (`drag(press, x, y)`,
 * clamped to the plot area); `release(press, still)` ends every press (`still`: it moved
 * at most its slop). A press the browser cancels ends a drag where it is; a tap is dropped.
 */
class Pointer {
  constructor(target, { begin, drag, release }) {
    this.target = target;
    this.handlers = { begin, drag, release };
    this.press = null;
    this.listeners = {
      pointerdown: (e) => this.down(e),
      pointermove: (e) => this.move(e),
      pointerup: (e) => this.up(e),
      pointercancel: () => this.cancel(),
    };
    for (const [type, fn] of Object.entries(this.listeners)) {
      target.addEventListener(type, fn, true);
    }
  }

  get pressed() {
    return this.press !== null;
  }

  get dragging() {
    return this.press !== null && this.press.dragging;
  }

  down(e) {
    if (e.button !== 0) return;
    const touch = e.pointerType === "touch";
    const start = this.handlers.begin(e.clientX, e.clientY, touch);
    if (!start) return;
    e.preventDefault();
    e.stopPropagation();
    const at = { x: e.clientX, y: e.clientY, t: performance.now() };
    const slop = touch ? TOUCH_SLOP_PX : DRAG_THRESHOLD_PX;
    this.press = { ...at, ...start, slop, dragging: false };
    this.target.setPointerCapture(e.pointerId);
  }

  move(e) {
    const press = this.press;
    if (!press) return;
    e.stopPropagation();
    const moved = Math.hypot(e.clientX - press.x, e.clientY - press.y);
    if (!press.dragging && press.index >= 0 && moved > press.slop) press.dragging = true;
    if (press.dragging) {
      const x = clamp(e.clientX, press.rect.left, press.rect.right);
      const y = clamp(e.clientY, press.rect.top, press.rect.bottom);
      this.handlers.drag(press, x, y);
    }
  }

  up(e) {
    const press = this.press;
    if (!press) return;
    this.press = null;
    e.stopPropagation();
    if (this.target.hasPointerCapture(e.pointerId)) this.target.releasePointerCapture(e.pointerId);
    const moved = Math.hypot(e.clientX - press.x, e.clientY - press.y);
    this.handlers.release(press, moved <= press.slop);
  }

  cancel() {
    const press = this.press;
    this.press = null;
    if (press && press.dragging) this.handlers.release(press, false);
  }

  destroy() {
    for (const [type, fn] of Object.entries(this.listeners)) {
      this.target.removeEventListener(type, fn, true);
    }
  }
}

// ================================================================ small helpers

function element(tag, className) {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}

function svgShape(tag, attributes) {
  const shape = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) shape.setAttribute(name, String(value));
  return shape;
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

// ================================================================ what the two canvases share

/**
 * What both charts share: a root element holding a stage with Plotly's plot area and a note
 * over it, kept sized to the page, with pixel <-> data conversion and hit-testing. Each
 * canvas's chart adds its own parts and its own drawing.
 */
class ChartBase {
  constructor(parentElement, className) {
    this.root = element("div", className);
    this.stage = element("div", "cvz-stage");
    this.plot = element("div", "cvz-plot");
    this.note = element("div", "cvz-note");
    this.stage.append(this.plot, this.note);
    this.root.append(this.stage);
    parentElement.appendChild(this.root);
    this.ready = false; // Plotly has drawn once
    this.resizer = new ResizeObserver(() => {
      if (this.ready) window.Plotly.Plots.resize(this.plot);
    });
    this.resizer.observe(this.plot);
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

  /**
   * Index of the point nearest to a spot on screen within `radius` pixels, else -1; a
   * point's first two numbers are its place on the plot.
   */
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
 * What both canvases share: local, optimistic points and edits, wired to Streamlit
 * (SnapshotSync), the preview route (PreviewClient), the chart and the pointer (Pointer).
 *
 * `points`: what the student sees; `version`: local edit counter, which tags every fit;
 * `fit`: the fit adopted for drawing (what `fitOf` keeps of a reply, plus its version and
 * pointsKey); `server`: Python's last data, and `route` its preview route ({url, params,
 * paramsKey}); `waiting.fit`: the last edit whose fit is not painted yet ({started,
 * pointsKey}), `waiting.editedAt` when it was made.
 *
 * Each canvas provides: `fitOf(reply)` (what a fit is), `draw()`, `showPoints()` (the
 * points shown now over the fit drawn), `movedPoint(point, xy)` and `newPoint(xy)` (a
 * point dragged to / added at `xy` on the plot), and may extend `received(data, replaced,
 * acked)`, `drawPreview(request, fresh)`, `showEdit(points)`, `edit` and `destroy`.
 */
class CanvasBase {
  constructor(chart, setTriggerValue, busyMaxMs) {
    this.setTriggerValue = setTriggerValue;
    this.chart = chart;
    this.busyMaxMs = busyMaxMs;
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
      () => this.chart.showNote(this.route ? this.route.busy_text : ""),
      () => this.solving()
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

  // The panels' figures (figure.js) are not drawn while a student edits: from the press
  // until the edit's fit is on screen and the session has acknowledged it (at most
  // busyMaxMs after the edit).
  editing() {
    return (
      this.pointer.pressed ||
      (performance.now() - this.waiting.editedAt < this.busyMaxMs &&
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
      if (this.sync.idle) this.points = theirs;
      // A fit for the points shown is current; an acknowledged snapshot's belongs to the
      // edit it carried; any other reply is about older points (drawn only if none are).
      if (!theirs.sameAs(this.points)) version = acked ? acked.version : -1;
    }
    this.received(data, replaced, acked);
    this.chart.root.dataset.gen = String(this.sync.gen);
    this.chart.root.dataset.ack = String(data.ack);
    this.adopt(data, theirs.key, version);
    loadPlotly(data.plotly_url)
      .then(() => this.draw())
      .then(() => this.sync.sendSoon(this.preview.busy))
      .catch((err) => this.chart.showNote(String(err)));
  }

  /** Python's `data` arrived: it `replaced` the points, or acknowledged `acked` (or null). */
  received() {}

  /** Adopt a reply's fit for drawing, unless the one adopted belongs to a newer edit. */
  adopt(reply, pointsKey, version) {
    if (this.fit && this.fit.version > version) return false;
    this.fit = { ...this.fitOf(reply), version, pointsKey };
    return true;
  }

  // ---------------------------------------------------------------- preview

  /** A preview is slow (a large fit): say so, unless the fit of these points is drawn
   * already (Streamlit's reply came first); the next drawn fit replaces the note. */
  solving() {
    if (this.fit && this.fit.pointsKey === this.points.key) return;
    this.chart.showNote(this.route ? this.route.solving_text : "");
  }

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
    return this.drawPreview(request, fresh);
  }

  /** Draw a preview's fit, just adopted; `fresh`: not drawn already. */
  drawPreview() {
    return this.draw();
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
    const xy = this.chart.toData(clientX, clientY, press.rect, this.fit.ranges);
    const point = this.movedPoint(this.points.list[press.index], xy);
    this.points = this.points.moved(press.index, point);
    this.version += 1;
    this.showPoints();
    this.requestPreview(); // the fit follows the point while it moves
  }

  released(press, still) {
    if (press.dragging) {
      this.edit("move", this.points, press.t);
    } else if (still && press.index >= 0) {
      this.edit("delete", this.points.without(press.index), press.t);
    } else if (still) {
      const xy = this.chart.toData(press.x, press.y, press.rect, this.fit.ranges);
      this.edit("add", this.points.with(this.newPoint(xy)), press.t);
    }
    if (this.queued) {
      const data = this.queued;
      this.queued = null;
      this.update(data);
    }
  }

  /** An edit (`op`: add, delete or move) that leaves `points`, begun at `startedAt`. */
  edit(op, points, startedAt) {
    this.points = points;
    this.version += 1;
    this.sync.edited(op, startedAt);
    this.chart.root.dataset.points = points.key;
    this.waiting.fit = { started: startedAt, pointsKey: points.key };
    this.waiting.editedAt = startedAt;
    this.requestPreview(); // the fast path to the new fit, asked before drawing anything
    this.showEdit(points); // optimistic: shown at once
    this.sync.sendSoon(this.preview.busy);
  }

  /** Show an edit's points at once, before its fit comes. */
  showEdit() {
    this.showPoints();
  }

  destroy() {
    this.sync.destroy();
    this.preview.close();
    this.pointer.destroy();
    if (cvz.canvasBusy === this.busy) delete cvz.canvasBusy;
    this.chart.destroy();
  }
}

/**
 * The default export of a canvas module: one `Canvas` (a CanvasBase) per element, kept on
 * the element under `slot`, given each new `data` from Python and destroyed with it.
 */
function mountCanvas(component, Canvas, slot) {
  const { data, setTriggerValue, parentElement } = component;
  let canvas = parentElement[slot];
  if (!canvas) {
    canvas = new Canvas(parentElement, setTriggerValue);
    parentElement[slot] = canvas;
  }
  canvas.setTriggerValue = setTriggerValue;
  canvas.update(data);
  return () => {
    canvas.destroy();
    delete parentElement[slot];
  };
}
