import { sourcesFor } from '../config/sources.js';
import { formatBytes, table } from '../render.js';
import { pullSource, type PullResult } from '../sync/pull.js';
import { clockTrust } from '../health/clock.js';
import { OdbackupError } from '../errors.js';
import { EXIT_CODES, isSourceFailure } from '../exit-codes.js';
import { failed, ok, type Step } from './types.js';

interface SyncOptions {
  dryRun?: boolean;
  acceptShrink?: boolean;
}

export const syncStep: Step<SyncOptions> = {
  name: 'sync',
  summary: 'pull sources into new snapshots with rsync (all, a group, or one source); verify and promote move latest',
  arguments: [{ name: 'target', description: 'a group (databases, images, git…) or a source name; all when left out' }],
  options: [
    { flags: '--dry-run', description: 'list what would be transferred; change nothing' },
    {
      flags: '--accept-shrink',
      description: 'the named source shrank on purpose: its next pull (this one, or the next pass if this one fails) may lose more than maxShrinkPercent, once',
    },
  ],
  locked: true,
  async run(ctx, { args: [target], options }) {
    if (options.acceptShrink) {
      const named = ctx.config.sources.find((source) => source.name === target);
      if (!named) return failed('usage', `--accept-shrink needs one source's name${target ? `, not "${target}"` : ''}`, `sources: ${ctx.config.sources.map((source) => source.name).join(', ')}`);
      if (!ctx.dryRun) {
        ctx.state.acceptShrink(ctx.runId, named.name, ctx.now());
        ctx.log.notice(`${named.name}: a shrink is accepted once: by this pull, or by the next pass's if this one cannot run`);
      }
    }
    const clock = clockTrust(ctx.config.system.root, ctx.state.read(), ctx.now());
    if (!clock.trusted)
      return failed('clockUntrusted', `no snapshot is named from this clock: ${clock.message}`, 'set the time (NTP, `timedatectl set-time`) and run again');
    const pulled: PullResult[] = [];
    // One source's failure is that source's alone (SPEC §1): the others are still pulled. A failure of the node
    // itself (the store, the disk, a signal) is thrown on and stops the pass.
    const failures: { source: string; error: OdbackupError }[] = [];
    for (const source of sourcesFor(ctx.config, target)) {
      ctx.log.info(`${source.name}: pulling from ${source.kind === 'git' ? `${source.repositories.length} git repositories` : source.from}`);
      try {
        const result = await pullSource(ctx, source);
        ctx.log.info(`${source.name}: ${result.snapshot ?? 'dry run'}: ${result.added} added, ${result.changed} changed, ${formatBytes(result.bytes)}`);
        pulled.push(result);
      } catch (error) {
        if (!(error instanceof OdbackupError && isSourceFailure(error.codeName))) throw error;
        ctx.log.error(error.message);
        failures.push({ source: source.name, error });
      }
    }
    const files = pulled.reduce((sum, result) => sum + result.added + result.changed, 0);
    const verb = ctx.dryRun ? 'would transfer' : 'transferred';
    const summary = `${pulled.length} source${pulled.length === 1 ? '' : 's'}: ${verb} ${files} files`;
    const [first, ...more] = failures;
    if (!first) return ok(summary, pulled);
    return {
      ...failed(first.error.codeName, first.error.message, first.error.hint, pulled),
      source: first.source,
      details: [...(first.error.details ?? []), ...more.map(({ error }) => `${EXIT_CODES[error.codeName].code} ${error.message}`), `the others: ${summary}`],
    };
  },
  render(result) {
    const pulled = result.data as PullResult[];
    const rows = pulled.map((pull) => [
      pull.source,
      pull.snapshot ?? '(dry run)',
      String(pull.added),
      String(pull.changed),
      formatBytes(pull.bytes),
      pull.resumed ? 'resumed' : '',
    ]);
    return [result.message, table(['source', 'snapshot', 'added', 'changed', 'bytes', ''], rows)].join('\n');
  },
};
