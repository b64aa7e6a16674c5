/** `prodsim vacuum`: removes vectors of superseded text spaces and compacts the store file. */
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { formatBytes, formatNumber, table } from '../format.ts';

export const vacuumCommand: CliCommand = {
  name: 'vacuum',
  register(program, ctx) {
    program
      .command('vacuum')
      .description('remove vectors of superseded text spaces and give free space back to the file system')
      .action(async (_opts: unknown, command: Command) => {
        const r = await withEngine(ctx, command, (e) => runTask(e, 'vacuum', {}));
        if (ctx.globals(command).json) return ctx.outJson(r);
        const removed = Object.entries(r.removedVectors);
        ctx.out(
          table(undefined, [
            ...(removed.length > 0 ? removed.map(([id, n]) => [`removed vectors ${id}`, formatNumber(n)]) : [['removed vectors', 'none']]),
            ['size before', formatBytes(r.sizeBytesBefore)],
            ['size after', formatBytes(r.sizeBytesAfter)],
          ]),
        );
      });
  },
};
