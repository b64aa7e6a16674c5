#!/usr/bin/env node
// Launcher. An installed package runs the compiled dist/; a source checkout (src/ beside bin/, as in the
// repository) runs the TypeScript sources through tsx, a devDependency, so no build step can go stale.
import { existsSync } from 'node:fs';

// `prodsim … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const sourceEntry = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sourceEntry)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sourceEntry.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv);
