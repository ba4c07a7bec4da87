// What the page's modules share; prepended to canvas.js and figure.js by
// convexviz/ui/canvas/__init__.py (Streamlit loads each component's script on its own).
//
// The one window global, `window.convexviz`:
//   debug          set to true before the page loads (tests, benchmarks: Playwright's
//                  add_init_script) to record the canvas's counters and latencies in `stats`
//   stats          those records (canvas.js), only in debug mode
//   plotlyLoading  the promise of Plotly.js being loaded (loadPlotly below)
//   figures        the draw queue of the panels' figures (figure.js)
//   canvasBusy     () => true while a student edits on the canvas (canvas.js)
//   trained        the gradient-descent runs' curves for the canvas (trained.js -> canvas.js)
//   trainedKey     what those curves were trained on (points and settings), to hide stale ones
//   trainedOwner   the trained.js instance that wrote them last

const cvz = (window.convexviz ??= {});

// Load Plotly.js once per page, from the URL Python gives (the installed plotly package).
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!cvz.plotlyLoading) {
    cvz.plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        cvz.plotlyLoading = null;
        reject(new Error("could not load Plotly.js from " + url));
      };
      document.head.appendChild(script);
    });
  }
  return cvz.plotlyLoading;
}

