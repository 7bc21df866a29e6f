// The layers of this repository, checked on every `npm test` (see CONTRIBUTING.md, "Layout").
// Arrows point down only:
//
//   components/model/          the pure saga model: no Pulumi value, no fs, no esbuild
//   components/, handlers/     the component's shell and the Lambda handlers
//   policy-pack/               the policy pack (reads the model)
//   harness/, local/, chaos/, bench/   the tools: the Pulumi harness they share (and policy-pack/ci,
//                              `npm run policy`), the local cloud, chaos, bench
//   tests/                     imports anything; nothing imports it
//
// A file may import its own layer and the layers below it, never one above, and no import
// may close a cycle.

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A cycle makes two modules one: neither can be read, tested or moved alone.",
      from: {},
      to: { circular: true },
    },
    {
      name: "nothing-imports-tests",
      severity: "error",
      comment: "Production code (and the programs) never imports tests/.",
      from: { pathNot: "^tests/" },
      to: { path: "^tests/" },
    },
    {
      name: "model-is-pure",
      severity: "error",
      comment:
        "components/model/ is the pure saga model: it imports only itself (and Pulumi's types): " +
        "no Pulumi value, no node built-in such as fs, no esbuild, no other layer.",
      from: { path: "^components/model/" },
      to: {
        pathNot: "^components/model/",
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "component-and-handlers-import-down",
      severity: "error",
      comment: "The component and the handlers import the model, never the policy pack or a tool.",
      from: { path: "^(components|handlers)/" },
      to: { path: "^(policy-pack|harness|local|chaos|bench)/" },
    },
    {
      name: "handlers-not-the-shell",
      severity: "error",
      comment: "Handlers read the model, not the component's Pulumi shell (they run inside Lambda).",
      from: { path: "^handlers/" },
      to: { path: "^components/", pathNot: "^components/model/" },
    },
    {
      name: "policy-pack-imports-down",
      severity: "error",
      comment: "The policy pack reads the model (and the component's types); it imports no tool.",
      from: { path: "^policy-pack/", pathNot: "^policy-pack/ci/" },
      to: { path: "^(harness|local|chaos|bench)/" },
    },
    {
      name: "policy-ci-uses-the-harness-only",
      severity: "error",
      comment: "`npm run policy` (policy-pack/ci/) runs the program under the shared harness, not the local cloud, chaos or bench.",
      from: { path: "^policy-pack/ci/" },
      to: { path: "^(local|chaos|bench)/" },
    },
    {
      name: "harness-is-shared",
      severity: "error",
      comment: "The Pulumi harness (harness/) serves the tests, the policy CI, bench and the local cloud: it imports none of them.",
      from: { path: "^harness/" },
      to: { path: "^(policy-pack|local|chaos|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // tests/fixtures/layers/ breaks every rule on purpose: tests/layers.test.ts checks them on it.
    exclude: { path: "^(dist|tests/fixtures/layers)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
