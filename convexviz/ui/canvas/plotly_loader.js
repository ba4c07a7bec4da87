// Shared by canvas.js and figure.js (prepended to each by convexviz/ui/canvas/__init__.py):
// load Plotly.js once per page, from the URL Python gives (the installed plotly package).

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__convexvizPlotlyLoading) {
    window.__convexvizPlotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__convexvizPlotlyLoading = null;
        reject(new Error("could not load Plotly.js from " + url));
      };
      document.head.appendChild(script);
    });
  }
  return window.__convexvizPlotlyLoading;
}

