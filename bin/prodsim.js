#!/usr/bin/env node
// Launcher: registers tsx's ESM loader so the TypeScript sources run as they are, then hands over.
import { register } from 'tsx/esm/api';

register();
// `prodsim … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
