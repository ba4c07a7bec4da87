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
  constructor(onReply, onDone, onBusy = () => {}) {
    this.onReply = onReply; // (request, reply) => promise or nothing
    this.onDone = onDone; // (again) => nothing
    this.onBusy = onBusy; // (waitMs) => nothing: the server said "busy", asking again later
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
