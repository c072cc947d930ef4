import { HashPool } from '../hash/pool.js';
import { sourcesFor } from '../config/sources.js';
import type { Source } from '../config/types.js';
import { table, formatBytes } from '../render.js';
import { counted } from '../words.js';
import { pullSource, type PullResult } from '../sync/pull.js';
import { awayReason, overdueText, type AwaySource } from '../sync/presence.js';
import { hostOf, KeyedSlots, settleAll } from '../sync/parallel.js';
import { clockTrust } from '../health/clock.js';
import { OdbackupError } from '../errors.js';
import { EXIT_CODES, isSourceFailure } from '../exit-codes.js';
import { currentSlot, localDay, pulledAtWake, savedOn } from '../power/schedule.js';
import { SourceStore } from '../store/snapshots.js';
import { failed, ok, type Context, type Step } from './types.js';

interface SyncOptions {
  dryRun?: boolean;
  acceptShrink?: boolean;
  /** The timer's pass (cycle --if-due): a source already saved today is not pulled again. */
  due?: boolean;
}

export interface SyncReport {
  pulled: PullResult[];
  /** Sources that come and go, not reached by this pass and not overdue. */
  away: AwaySource[];
  /** Sources this pass leaves for another wake, and why. */
  notDue: { source: string; why: string }[];
}

type Attended = { pulled: PullResult } | { away: AwaySource } | { failure: OdbackupError };

/** A source that comes and goes was not reached: away, or overdue (46) when its last save is too old. */
function awayOrOverdue(ctx: Context, source: Source & { kind: 'rsync'; overdueDays: number }, reason: string): Attended {
  const now = ctx.now();
  const record = ctx.dryRun
    ? { firstTried: now.toISOString(), ...ctx.state.read().presence?.[source.name], awaySince: now.toISOString(), awayReason: reason }
    : ctx.state.recordPresence(source.name, now, reason);
  const overdue = overdueText(source, record, new SourceStore(ctx.config.storage.path, source.name).latest(), now);
  if (overdue) return { failure: new OdbackupError('sourceOverdue', overdue, 'it is saved at the first wake it is on the network again') };
  ctx.log.notice(`${source.name}: away (${reason}); not overdue until ${source.overdueDays} days after its last save`);
  return { away: { source: source.name, since: record.awaySince!, reason } };
}

/**
 * One source: probed first when it comes and goes (all probes at once, holding no pull's slot: a silent laptop
 * delays nobody), then pulled in its host's slot. A source's failure is returned, the node's thrown.
 */
async function attend(ctx: Context, source: Source, slots: KeyedSlots, pool: HashPool): Promise<Attended> {
  const comesAndGoes = source.kind === 'rsync' && source.overdueDays !== undefined ? { ...source, overdueDays: source.overdueDays } : undefined;
  if (comesAndGoes) {
    const reason = await awayReason(comesAndGoes, ctx.config.sync.probeSeconds, ctx.signal);
    if (reason) return awayOrOverdue(ctx, comesAndGoes, reason);
  }
  try {
    const result = await slots.run(hostOf(source), () => {
      ctx.log.info(`${source.name}: pulling from ${source.kind === 'git' ? `${source.repositories.length} git repositories` : source.from}`);
      return pullSource(ctx, source, pool);
    });
    ctx.log.info(`${source.name}: ${result.snapshot ?? 'dry run'}: ${result.added} added, ${result.changed} changed, ${formatBytes(result.bytes)}`);
    if (comesAndGoes && !ctx.dryRun) ctx.state.recordPresence(source.name, ctx.now(), undefined);
    return { pulled: result };
  } catch (error) {
    if (!(error instanceof OdbackupError && isSourceFailure(error.codeName))) throw error;
    // Gone between the probe and the pull (the lid closed): away as well.
    if (comesAndGoes && error.codeName === 'sourceUnreachable') return awayOrOverdue(ctx, comesAndGoes, error.message.replace(`${source.name}: `, ''));
    // The pass logs a step's failures (the first, then the others as details): not here as well.
    return { failure: error };
  }
}

/** The sources this pass pulls: those of the wake it serves (a pass by hand serves the most recent one), due ones. */
function dueSources(ctx: Context, sources: Source[], options: SyncOptions): { due: Source[]; notDue: SyncReport['notDue'] } {
  const notDue: SyncReport['notDue'] = [];
  const now = ctx.now();
  const wake = ctx.pass ? currentSlot(ctx.config.schedule.times, now) : undefined;
  const state = ctx.state.read();
  const due = sources.filter((source) => {
    if (wake && !pulledAtWake(source, wake)) notDue.push({ source: source.name, why: `pulled at ${source.times!.join(', ')}` });
    else if (options.due && savedOn(state, source.name) === localDay(now)) notDue.push({ source: source.name, why: 'saved today' });
    else return true;
    return false;
  });
  return { due, notDue };
}

export const syncStep: Step<SyncOptions> = {
  name: 'sync',
  summary: 'pull sources into new snapshots with rsync (all, a group, or one source), several hosts at once; verify and promote move latest',
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
    const { due, notDue } = dueSources(ctx, sourcesFor(ctx.config, target), options);
    const parallel = Math.max(1, Math.min(ctx.config.sync.parallel, due.length));
    if (parallel > 1) ctx.log.info(`pulling ${due.length} sources, up to ${parallel} at once (one per host)`);
    // One source's failure is that source's alone (SPEC §1): the others are still pulled. A failure of the node
    // itself (the store, the disk, a signal) is thrown on and stops the pass. The manifests share one set of hash
    // threads: the cores are the same however many pulls run.
    const slots = new KeyedSlots(ctx.config.sync.parallel);
    const pool = new HashPool();
    const attended = await settleAll(slots, due.map((source) => attend(ctx, source, slots, pool))).finally(() => pool.close());
    const report: SyncReport = { pulled: [], away: [], notDue };
    const failures: { source: string; error: OdbackupError }[] = [];
    attended.forEach((outcome, index) => {
      if ('pulled' in outcome) report.pulled.push(outcome.pulled);
      else if ('away' in outcome) report.away.push(outcome.away);
      else failures.push({ source: due[index]!.name, error: outcome.failure });
    });
    const files = report.pulled.reduce((sum, result) => sum + result.added + result.changed, 0);
    const verb = ctx.dryRun ? 'would transfer' : 'transferred';
    const away = report.away.length ? `; ${report.away.length} away (${report.away.map((entry) => entry.source).join(', ')})` : '';
    const waiting = notDue.length ? `; ${notDue.length} not due` : '';
    const summary = `${counted(report.pulled.length, 'source')}: ${verb} ${counted(files, 'file')}${away}${waiting}`;
    const [first, ...more] = failures;
    if (!first) return ok(summary, report);
    return {
      ...failed(first.error.codeName, first.error.message, first.error.hint, report),
      source: first.source,
      details: [...(first.error.details ?? []), ...more.map(({ error }) => `${EXIT_CODES[error.codeName].code} ${error.message}`), `the others: ${summary}`],
    };
  },
  render(result) {
    const report = result.data as SyncReport;
    const rows = report.pulled.map((pull) => [
      pull.source,
      pull.snapshot ?? '(dry run)',
      String(pull.added),
      String(pull.changed),
      formatBytes(pull.bytes),
      pull.resumed ? 'resumed' : '',
    ]);
    for (const away of report.away) rows.push([away.source, 'away', '', '', '', away.reason]);
    for (const waiting of report.notDue) rows.push([waiting.source, 'not due', '', '', '', waiting.why]);
    return [result.message, table(['source', 'snapshot', 'added', 'changed', 'bytes', ''], rows)].join('\n');
  },
};
