/**
 * What every CLI command gets: the global options, where to write, and how to open the store.
 * Commands write results to stdout (JSON with `--json`) and progress/diagnostics to stderr.
 */
import type { Command } from 'commander';
import type { ProductStore } from '../store/index.ts';
import { isPostgresUrl, openStore } from '../store/open-store.ts';

import { DEFAULT_STORE_PATH } from '../store/store.ts';

export interface GlobalOptions {
  store: string;
  json: boolean;
}

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface CliContext {
  io: CliIO;
  globals(command: Command): GlobalOptions;
  /** Writes a line (or a JSON document with `--json`) to stdout. */
  out(text: string): void;
  outJson(value: unknown): void;
  err(text: string): void;
  /** Opens the store; `mustExist` for read-only commands (FILE_NOT_FOUND when there is no store yet). */
  openStore(command: Command, options?: { mustExist?: boolean }): Promise<ProductStore>;
  /** Progress bars only on an interactive terminal and never with `--json`. */
  showProgress(command: Command): boolean;
}

/** One CLI command: a file in `src/cli/commands/`, listed in `src/cli/commands/index.ts`. */
export interface CliCommand {
  name: string;
  register(program: Command, ctx: CliContext): void;
}

export function createCliContext(io: CliIO): CliContext {
  const globals = (command: Command): GlobalOptions => {
    const o = command.optsWithGlobals<{ store?: string; json?: boolean }>();
    return { store: o.store || DEFAULT_STORE_PATH, json: o.json === true };
  };
  return {
    io,
    globals,
    out: (text) => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    outJson: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    err: (text) => void io.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    openStore(command, options = {}) {
      const { store } = globals(command);
      return openStore(store, options.mustExist && !isPostgresUrl(store) ? { readonly: true } : {});
    },
    showProgress: (command) => io.stderr.isTTY === true && !globals(command).json,
  };
}
