/** `prodsim tags similarity <a> <b>` and `prodsim tags groups`: tag similarity and synonym groups. */
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { clip, table } from '../format.ts';
import { parseInteger, parseNumber } from '../task-options.ts';
import { defined } from '../../defined.ts';

export const tagsCommand: CliCommand = {
  name: 'tags',
  register(program, ctx) {
    const tags = program.command('tags').description('tag similarity and synonym groups (红色 / 红 / red)');
    tags
      .command('similarity')
      .description('similarity of two tags, with a similar / not decision')
      .argument('<a>')
      .argument('<b>')
      .option('--threshold <x>', 'similar at or above this score')
      .action(async (a: string, b: string, o: { threshold?: string }, command: Command) => {
        const json = ctx.globals(command).json;
        const input = defined({ a, b, threshold: parseNumber(o.threshold, '--threshold') });
        const r = await withEngine(ctx, command, (e) => runTask(e, 'tagSimilarity', input), { mustExist: false });
        if (json) return ctx.outJson(r);
        const c = r.components;
        ctx.out(`${r.a} ↔ ${r.b}: ${r.score.toFixed(3)} → ${r.similar ? 'SIMILAR' : 'not similar'} (threshold ${r.threshold})`);
        ctx.out(`  meaning (dense cosine) ${c.dense === undefined ? 'n/a (no vector)' : c.dense.toFixed(3)}, spelling (bigram Dice) ${c.spelling.toFixed(3)}, spelling lift ${c.spellingLift}${c.conflict ? `; conflict: ${c.conflict} (× ${c.conflictFactor})` : ''}`);
      });
    tags
      .command('groups')
      .description("group the catalog's tags into synonym groups")
      .option('--threshold <x>', 'average-link score needed to join a group')
      .option('--max-tags <n>', 'most frequent tags considered')
      .option('--min-count <n>', 'ignore tags seen fewer times')
      .option('--all', 'also list tags that are alone in their group')
      .action(async (o: { threshold?: string; maxTags?: string; minCount?: string; all?: boolean }, command: Command) => {
        const json = ctx.globals(command).json;
        const input = defined({ threshold: parseNumber(o.threshold, '--threshold'), maxTags: parseInteger(o.maxTags, '--max-tags'), minCount: parseInteger(o.minCount, '--min-count') });
        const groups = await withEngine(ctx, command, (e) => runTask(e, 'tagGroups', input));
        if (json) return ctx.outJson(groups);
        const shown = o.all ? groups : groups.filter((g) => g.members.length > 1);
        ctx.out(`${groups.length} groups from ${groups.reduce((s, g) => s + g.members.length, 0)} tags; ${groups.filter((g) => g.members.length > 1).length} with synonyms`);
        ctx.out(table(['canonical', 'members (count)', 'cohesion'], shown.map((g) => [g.canonical, clip(g.members.map((m) => `${m.tag} (${m.count})`).join(', '), 90), g.cohesion.toFixed(2)])));
      });
  },
};
