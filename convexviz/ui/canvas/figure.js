// convexviz figure: one Plotly figure of the panels below the canvas (features, coefficients,
// network), drawn with Plotly.react.
//
// Why not st.plotly_chart: a refresh of the panels drew all three figures in one go and held
// the browser for 0.5-0.8 s; a click landing then waited for it. Here each figure is drawn
// in its own task, one after the other, never while the canvas is busy with an edit (from the
// press until the edit's fit is drawn and acknowledged), and not at all when its figure has
// not changed.
//
// data = {figure: "<Plotly JSON text: {data, layout}>", plotly_url, png_name}
// png_name: file name (without .png) of the modebar's camera button, "download as PNG".

// cvz (window.convexviz) and loadPlotly(url): page.js, prepended to this file.

const BUSY_RETRY_MS = 60; // while the canvas is busy, look again this much later

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
    queue.pending.delete(this.root);
    this.resizer.disconnect();
    if (window.Plotly) window.Plotly.purge(this.root);
    this.root.remove();
  }
}

export default function (component) {
  const { data, parentElement } = component;
  let figure = parentElement.__convexvizFigure;
  if (!figure) {
    figure = new Figure(parentElement);
    parentElement.__convexvizFigure = figure;
  }
  figure.update(data);
  return () => {
    figure.destroy();
    delete parentElement.__convexvizFigure;
  };
}
