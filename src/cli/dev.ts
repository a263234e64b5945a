// Entry used by `npm run rampart` and tests: runs the CLI from the TypeScript sources through tsx.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
