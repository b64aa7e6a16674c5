// Every CLI command, in the order `prodsim --help` lists them. Add a command: one file here, one line below.
import type { CliCommand } from '../context.ts';
import { applyCommand } from './apply.ts';
import { encodeCommand } from './encode.ts';
import { evalCommand } from './eval.ts';
import { ingestCommand } from './ingest.ts';
import { initCommand } from './init.ts';
import { matchCommand } from './match.ts';
import { priceCommand } from './price.ts';
import { recommendCommand } from './recommend.ts';
import { searchCommand } from './search.ts';
import { serveCommand } from './serve.ts';
import { showCommand } from './show.ts';
import { similarCommand } from './similar.ts';
import { statsCommand } from './stats.ts';
import { tagsCommand } from './tags.ts';
import { trainCommand } from './train.ts';
import { trainRankerCommand } from './train-ranker.ts';
import { vacuumCommand } from './vacuum.ts';

export const COMMANDS: readonly CliCommand[] = [
  initCommand,
  ingestCommand,
  showCommand,
  statsCommand,
  vacuumCommand,
  similarCommand,
  searchCommand,
  tagsCommand,
  matchCommand,
  recommendCommand,
  priceCommand,
  encodeCommand,
  trainCommand,
  trainRankerCommand,
  applyCommand,
  evalCommand,
  serveCommand,
];
