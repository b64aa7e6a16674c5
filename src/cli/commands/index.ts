// Every CLI command, in the order `prodsim --help` lists them. Add a command: one file here, one line below.
import type { CliCommand } from '../context.ts';
import { ingestCommand } from './ingest.ts';
import { showCommand } from './show.ts';
import { statsCommand } from './stats.ts';

export const COMMANDS: readonly CliCommand[] = [ingestCommand, showCommand, statsCommand];
