/**
 * Import boundaries (see docs/architecture.md):
 * - core imports nothing of ours; inputs imports core; report imports core (and inputs for types).
 * - engines import core, inputs, report, and other engines only through their index.ts.
 * - cli imports engines; nothing imports cli.
 */
const ENGINES = '(network|image|vuln|config|access|boundaries|hub)';
module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      from: { path: '^src/(?!cli/)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'core-is-the-bottom',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(?!core/)' },
    },
    {
      name: 'inputs-only-core',
      severity: 'error',
      from: { path: '^src/inputs/' },
      to: { path: '^src/(?!core/|inputs/)' },
    },
    {
      name: 'report-only-core-inputs',
      severity: 'error',
      from: { path: '^src/report/' },
      to: { path: '^src/(?!core/|inputs/|report/)' },
    },
    {
      name: 'engines-use-each-other-through-index',
      comment: 'An engine may use another engine only through its public src/<engine>/index.ts.',
      severity: 'error',
      from: { path: `^src/${ENGINES}/` },
      to: {
        path: `^src/${ENGINES}/.+`,
        pathNot: [`^src/$1/`, `^src/${ENGINES}/index\\.ts$`],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
