/**
 * The prodsim command line. This is the only place (with the HTTP error handler) that catches
 * errors: a ProdsimError prints `error [CODE]: message (location)` and exits with the catalogue's
 * exit code; anything else is a bug and exits 70 with its stack.
 */
import { Command, CommanderError, Option } from 'commander';
import { ERROR_CATALOGUE, formatLocation, isProdsimError } from '../errors.ts';
import { COMMANDS } from './commands/index.ts';
import { createCliContext, type CliIO } from './context.ts';
import { DEFAULT_STORE_PATH } from '../store/store.ts';

/** Exit code for command-line usage errors (unknown option, missing argument), as in sysexits' EX_USAGE family. */
const USAGE_EXIT_CODE = ERROR_CATALOGUE.INVALID_ARGUMENT.exitCode;

export function buildProgram(io: CliIO): Command {
  const ctx = createCliContext(io);
  const program = new Command('prodsim')
    .description('similarity of e-commerce products (Chinese and English)')
    .addOption(new Option('--store <path>', 'store file').env('PRODSIM_STORE').default(DEFAULT_STORE_PATH))
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .showHelpAfterError('(run prodsim --help for usage)');
  for (const command of COMMANDS) command.register(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Runs the CLI on `argv` (as `process.argv`) and returns the exit code; never calls `process.exit`. */
export async function main(argv: readonly string[] = process.argv, io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram(io).parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed the message (or the help).
      return e.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    if (isProdsimError(e)) {
      if (json) {
        io.stdout.write(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
      } else {
        const where = formatLocation(e.location);
        io.stderr.write(`error [${e.code}]: ${e.message}${where ? ` (${where})` : ''}\n`);
      }
      return e.exitCode;
    }
    const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
    io.stderr.write(`internal error (a bug in prodsim, please report it):\n${stack}\n`);
    return ERROR_CATALOGUE.INTERNAL.exitCode;
  }
}
