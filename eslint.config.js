// ESLint flat config for the browser code of the click canvas (convexviz/ui/canvas/*.js).
// Run with `npx eslint` (as .ci/run does) or `npm run lint`.
import js from "@eslint/js";
import globals from "globals";

// What sync.js defines for the canvases it is prepended to (ui/canvas/__init__.py).
const CANVAS_KIT = [
  "HIT_RADIUS_PX",
  "DRAG_THRESHOLD_PX",
  "TOUCH_HIT_RADIUS_PX",
  "SVG_NS",
  "PLOTLY_CONFIG",
  "count",
  "record",
  "PointSet",
  "NO_POINTS",
  "SnapshotSync",
  "PreviewClient",
  "Pointer",
  "element",
  "svgShape",
  "inside",
  "clamp",
  "roundTo",
];
const CANVASES = ["convexviz/ui/canvas/canvas.js", "convexviz/ui/canvas/plane_canvas.js"];

export default [
  {
    ignores: ["node_modules/", ".venv/", "venv/"],
  },
  js.configs.recommended,
  {
    files: ["convexviz/ui/canvas/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      // Streamlit's Custom Components v2 load each script as an ES module (default export).
      sourceType: "module",
      globals: {
        ...globals.browser,
        // page.js is prepended to canvas.js and figure.js (ui/canvas/__init__.py).
        loadPlotly: "readonly",
        cvz: "readonly",
      },
    },
    rules: {
      curly: ["error", "multi-line"],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-shadow": "error",
      "no-implicit-coercion": "error",
      "no-unused-vars": ["error", { args: "after-used" }],
      // One namespaced global, window.convexviz (page.js): nothing else on window.
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "AssignmentExpression > MemberExpression.left[object.name='window']" +
            "[property.name!='convexviz']",
          message: "Keep page-wide state in window.convexviz (page.js).",
        },
      ],
    },
  },
  {
    // Defines what the modules it is prepended to use.
    files: ["convexviz/ui/canvas/page.js"],
    languageOptions: { sourceType: "script", globals: { loadPlotly: "off", cvz: "off" } },
    rules: { "no-unused-vars": ["error", { varsIgnorePattern: "^(loadPlotly|cvz)$" }] },
  },
  {
    // sync.js defines what the click canvases share; it is prepended to each of them.
    files: ["convexviz/ui/canvas/sync.js"],
    languageOptions: { sourceType: "script" },
    rules: { "no-unused-vars": ["error", { varsIgnorePattern: `^(${CANVAS_KIT.join("|")})$` }] },
  },
  {
    files: CANVASES,
    languageOptions: {
      globals: Object.fromEntries(CANVAS_KIT.map((name) => [name, "readonly"])),
    },
  },
];
