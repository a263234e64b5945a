// Loaded into every test process by scripts/run-tests.mjs: property tests (fast-check) run with a fixed seed so a CI
// run is reproducible and a red run can be replayed. RAMPART_PROPERTY_SEED=<n> picks another seed and
// RAMPART_PROPERTY_SEED=random a fresh one (printed), to explore beyond the fixed inputs.
import fc from 'fast-check';

const setting = process.env.RAMPART_PROPERTY_SEED;
const seed = setting === 'random' ? Date.now() % 2 ** 31 : Number(setting ?? 20261128);
if (!Number.isInteger(seed)) {
  console.error(`RAMPART_PROPERTY_SEED must be an integer or "random", got ${JSON.stringify(setting)}`);
  process.exit(2);
}
if (setting === 'random') console.log(`# fast-check seed ${seed}`);
fc.configureGlobal({ seed });
