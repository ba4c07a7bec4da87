// Trained networks for the canvas: an invisible component in the gradient-descent panel
// (app.py). The panel polls its background run and hands the networks' curves here; this
// component passes them to the canvas through window.convexviz (`trained`, and the event
// "convexviz:trained"), so the canvas draws them faintly without a rerun of its fragment.
//
// data = {points, settings, x, y: [[...], ...]} (protocol.trained_curves) or null.

// cvz (window.convexviz): page.js, prepended to this file.

function publish(trained) {
  cvz.trained = trained;
  window.dispatchEvent(new CustomEvent("convexviz:trained", { detail: trained }));
}

export default function (component) {
  const { data, parentElement } = component;
  const trained = data && data.trained ? data.trained : null;
  const key = trained ? JSON.stringify(trained) : "";
  cvz.trainedOwner = parentElement; // the newest mounted bridge speaks for the panel
  if (key !== cvz.trainedKey) {
    cvz.trainedKey = key;
    publish(trained);
  }
  return () => {
    if (cvz.trainedOwner !== parentElement) return; // another bridge has taken over
    cvz.trainedOwner = null;
    cvz.trainedKey = "";
    publish(null);
  };
}
