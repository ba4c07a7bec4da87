// Panels refresher: an invisible component in the panels fragment. The canvas announces
// "convexviz:settled" once a student pauses clicking (its fit is drawn, nothing is in
// flight); this component turns that into a trigger event, so Python reruns only the panels
// fragment. While a student clicks fast, only the canvas fragment reruns.

export default function (component) {
  const { setTriggerValue, parentElement } = component;
  let state = parentElement.__convexvizRefresh;
  if (!state) {
    state = { last: null };
    state.listener = (event) => {
      const key = `${event.detail.gen}:${event.detail.ack}`;
      if (key !== state.last) {
        state.last = key;
        state.setTriggerValue("refresh", event.detail);
      }
    };
    window.addEventListener("convexviz:settled", state.listener);
    parentElement.__convexvizRefresh = state;
  }
  state.setTriggerValue = setTriggerValue;
  return () => {
    window.removeEventListener("convexviz:settled", state.listener);
    delete parentElement.__convexvizRefresh;
  };
}
