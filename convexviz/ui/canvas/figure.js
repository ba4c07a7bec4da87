// convexviz figure: one Plotly figure of the panels below the canvas (features, coefficients,
// network), drawn with Plotly.react.
//
// Why not st.plotly_chart: a refresh of the panels drew all three figures in one go and held
// the browser for 0.5-0.8 s; a click landing then waited for it. Here each figure is drawn
// in its own task, one after the other, never while the canvas is busy with an edit (from the
// press until the edit's fit is drawn and acknowledged), and not at all when its figure has
// not changed.
//
// data = {figure: "<Plotly JSON text: {data, layout}>", plotly_url, png_name?, click?}
//
// png_name: file name (without .png) of the modebar's camera button, "download as PNG".
//
// With `click: true` (the regularization path) a click in the plot area, on a curve or on
// empty space, sends the x under the mouse (beta) to Python as the trigger
// `click` = {x, n}: Plotly's own plotly_click fires only on a data point, so the pixel is
// converted with the x axis instead.

// cvz (window.convexviz) and loadPlotly(url): page.js, prepended to this file.

const BUSY_RETRY_MS = 60; // while the canvas is busy, look again this much later
// A phone or tablet: the primary pointer is a finger (CSS media query `pointer: coarse`).
const FINGER = window.matchMedia("(pointer: coarse)").matches;

// One queue for all figures of the page: at most one Plotly draw per task.
const queue = (cvz.figures ??= {
  pending: new Map(), // figure element -> draw function (the latest only)
  scheduled: false,
});

function schedule(delay = 0) {
  if (queue.scheduled) return;
  queue.scheduled = true;
  setTimeout(drawNext, delay);
}

function drawNext() {
  queue.scheduled = false;
  if (cvz.canvasBusy && cvz.canvasBusy()) {
    schedule(BUSY_RETRY_MS);
    return;
  }
  const next = queue.pending.entries().next();
  if (next.done) return;
  const [element, draw] = next.value;
  queue.pending.delete(element);
  draw()
    .catch((err) => {
      element.textContent = String(err);
    })
    .finally(() => {
      if (queue.pending.size) schedule();
    });
}

class Figure {
  constructor(parentElement) {
    this.root = document.createElement("div");
    this.root.className = "cvz-figure";
    this.root.style.minHeight = "120px";
    parentElement.appendChild(this.root);
    this.drawn = null; // the JSON text of the figure on screen
    this.resizer = new ResizeObserver(() => {
      if (this.drawn && window.Plotly) window.Plotly.Plots.resize(this.root);
    });
    this.resizer.observe(this.root);
    this.clicks = new ClickReporter(this.root);
  }

  update(data) {
    if (!data || data.figure === this.drawn) return; // unchanged: no redraw at all
    const wanted = data.figure;
    queue.pending.set(this.root, () =>
      loadPlotly(data.plotly_url).then(() => {
        const figure = JSON.parse(wanted);
        const layout = { ...figure.layout, autosize: true };
        this.root.style.height = `${layout.height || 450}px`;
        const config = { displaylogo: false, responsive: false };
        if (FINGER) {
          // A zoom drag would claim every swipe: a finger on a figure could not scroll the
          // page. Only the camera button stays (the others zoom and pan).
          layout.dragmode = false;
          config.modeBarButtons = [["toImage"]];
        }
        if (data.png_name) {
          config.toImageButtonOptions = { format: "png", filename: data.png_name, scale: 2 };
        }
        return window.Plotly.react(this.root, figure.data, layout, config).then(() => {
          this.drawn = wanted;
        });
      })
    );
    schedule();
  }

  destroy() {
    this.clicks.destroy();
    queue.pending.delete(this.root);
    this.resizer.disconnect();
    if (window.Plotly) window.Plotly.purge(this.root);
    this.root.remove();
  }
}

// ================================================================ clicks (the path figure)

const CLICK_SLOP_PX = 5; // a press that moved farther is a zoom drag, not a click
const CLICK_REPEAT_MS = 300; // Plotly re-dispatches a click: the same spot again is one click

class ClickReporter {
  constructor(root) {
    this.root = root;
    this.send = null; // setTriggerValue while clicks are reported
    this.count = 0;
    this.press = null;
    this.last = null;
    this.onDown = (event) => {
      this.press = { x: event.clientX, y: event.clientY };
    };
    this.onClick = (event) => this.clicked(event);
    root.addEventListener("pointerdown", this.onDown, true);
    root.addEventListener("click", this.onClick, true);
  }

  setTarget(send) {
    this.send = send;
    this.root.classList.toggle("cvz-clickable", Boolean(send));
  }

  clicked(event) {
    if (!this.send || event.target.closest(".legend, .modebar")) return;
    const press = this.press;
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > CLICK_SLOP_PX) {
      return;
    }
    const last = this.last;
    const now = performance.now();
    if (last && now - last.at < CLICK_REPEAT_MS && last.x === event.clientX) return;
    const x = plotX(this.root, event.clientX, event.clientY);
    if (x === null) return;
    this.last = { at: now, x: event.clientX };
    this.count += 1;
    this.send("click", { x, n: this.count });
  }

  destroy() {
    this.root.removeEventListener("pointerdown", this.onDown, true);
    this.root.removeEventListener("click", this.onClick, true);
  }
}

// The x-axis value under a spot on screen, or null outside the plot area.
function plotX(root, clientX, clientY) {
  const full = root._fullLayout;
  if (!full || !full.xaxis || !full._size) return null;
  const box = root.getBoundingClientRect();
  const px = clientX - box.left;
  const py = clientY - box.top;
  const { l, t, w, h } = full._size;
  if (px < l || px > l + w || py < t || py > t + h) return null;
  const ax = full.xaxis;
  const [r0, r1] = ax.range;
  const value = r0 + ((px - ax._offset) / ax._length) * (r1 - r0);
  return ax.type === "log" ? 10 ** value : value;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let figure = parentElement.__convexvizFigure;
  if (!figure) {
    figure = new Figure(parentElement);
    parentElement.__convexvizFigure = figure;
  }
  figure.clicks.setTarget(data && data.click ? setTriggerValue : null);
  figure.update(data);
  return () => {
    figure.destroy();
    delete parentElement.__convexvizFigure;
  };
}
