import { sourcesFor } from '../config/sources.js';
import { join } from 'node:path';
import type { Source } from '../config/types.js';
import { EXIT_CODES, type ExitCodeName } from '../exit-codes.js';
import { HashPool } from '../hash/pool.js';
import { formatBytes, table } from '../render.js';
import { counted } from '../words.js';
import { shownName } from '../store/names.js';
import { SourceStore } from '../store/snapshots.js';
import { checkAgainstManifests, copyCheck, rsyncDifferences, type Problem } from '../verify/checks.js';
import {
  coverageDays,
  coverageText,
  inodesRepeat,
  scrubLists,
  sliceReads,
  worstCoverage,
  sliceSelector,
  slicesToScrub,
  type SliceReads,
} from '../verify/scrub.js';
import { manifestOf } from '../store/catalog.js';
import { snapshotsSharing } from '../verify/heal.js';
import { hostOf, runPerKey } from '../sync/parallel.js';
import { failed, ok, skipped, type Context, type Step, type StepResult } from './types.js';

interface VerifyOptions {
  full?: boolean;
  at?: string;
  againstSource?: boolean;
}

interface VerifyReport {
  copyChecked: { source: string; snapshot: string; files: number; bytes: number }[];
  scrub?: { days: number; slices: number; files: number; bytes: number; sources: { source: string; slices: number[]; verifiedWithinDays?: number }[] };
  full?: { source: string; snapshot: string; files: number; bytes: number }[];
  /** The oldest last read of any scrub slice: every byte was verified within this many days (absent: not yet). */
  coverageDays?: number;
  problems: Problem[];
}

/** Where a source's files are on this machine (git sources: their mirrors in the store). */
function localRoot(ctx: Context, source: Source): string | undefined {
  if (source.kind === 'git') return join(ctx.config.storage.path, source.name, '.mirror');
  return source.ssh ? undefined : source.from;
}

/** The new snapshots' copy checks: several sources at once, one per host (as they were pulled: sync.parallel). */
async function copyChecks(ctx: Context, sources: Source[], pool: HashPool, report: VerifyReport): Promise<void> {
  const records = ctx.state.read().sources ?? {};
  const pulled = sources.filter((source) => records[source.name] && !records[source.name]!.verifiedAt);
  const checked = await runPerKey(pulled, ctx.config.sync.parallel, hostOf, (source) => {
    const record = records[source.name]!;
    const store = new SourceStore(ctx.config.storage.path, source.name);
    return copyCheck({
      rsync: ctx.config.system.programs.rsync,
      source,
      sourceRoot: localRoot(ctx, source) ?? '',
      store,
      snapshot: record.snapshot,
      transferredList: record.transferredList,
      pool,
      signal: ctx.signal,
    });
  });
  checked.forEach(({ problems, count }, index) => {
    const source = pulled[index]!;
    report.copyChecked.push({ source: source.name, snapshot: records[source.name]!.snapshot, ...count });
    report.problems.push(...problems);
    ctx.state.recordCopyCheck(source.name, problems.length === 0, ctx.now());
  });
}

async function scrub(ctx: Context, sources: Source[], pool: HashPool, report: VerifyReport): Promise<void> {
  const { scrubDays: days, scrubCatchUp } = ctx.config.verify;
  const before = ctx.state.read().scrub;
  const seen = new Set<number>();
  const reads: Record<string, SliceReads> = Object.fromEntries(ctx.config.sources.map((source) => [source.name, sliceReads(before, source.name, days)]));
  report.scrub = { days, slices: 0, files: 0, bytes: 0, sources: [] };
  for (const source of sources) {
    const slices = slicesToScrub(reads[source.name]!, days, scrubCatchUp, ctx.now());
    const store = new SourceStore(ctx.config.storage.path, source.name);
    const lists = scrubLists(store, ctx.state.read().snapshots?.[source.name] ?? {});
    const { problems, count } = await checkAgainstManifests(store, lists, pool, await sliceSelector(days, slices), inodesRepeat(lists) ? seen : undefined);
    report.problems.push(...problems);
    report.scrub.slices += slices.length;
    report.scrub.files += count.files;
    report.scrub.bytes += count.bytes;
    for (const slice of slices) reads[source.name]![slice] = ctx.now().toISOString();
    report.scrub.sources.push({
      source: source.name,
      slices: slices.map((slice) => slice + 1),
      verifiedWithinDays: coverageDays(reads[source.name]!, days, ctx.now()),
    });
  }
  ctx.state.recordScrub(days, reads);
  report.coverageDays = worstCoverage(report.scrub.sources.map((entry) => entry.verifiedWithinDays));
}

async function fullCheck(ctx: Context, sources: Source[], options: VerifyOptions, pool: HashPool, report: VerifyReport): Promise<void> {
  report.full = [];
  for (const source of sources) {
    const store = new SourceStore(ctx.config.storage.path, source.name);
    const snapshot = options.at ?? store.latest() ?? store.snapshots().at(-1);
    if (!snapshot) continue;
    const compareWith = options.againstSource ? localRoot(ctx, source) : undefined;
    // One snapshot: no inode is met twice, and memory must not grow with the number of files.
    const lists = [{ snapshot, manifest: manifestOf(store, snapshot) }];
    const { problems, count } = await checkAgainstManifests(store, lists, pool, () => true, undefined, compareWith);
    report.problems.push(...problems);
    if (options.againstSource && source.kind === 'rsync' && source.ssh)
      report.problems.push(...(await rsyncDifferences(ctx.config.system.programs.rsync, source, store.path(snapshot), undefined, ctx.signal)));
    report.full.push({ source: source.name, snapshot, ...count });
  }
}

/**
 * Files a night's verify reads beyond which its reading is threads' work from the first file: the main thread
 * then only lists them (a scrub slice of a large store: 1/30 of its manifest's lines), while the threads read.
 * Below it the main thread reads them itself and no thread starts (0.05 s and 20 MiB each: a small store's night
 * stays small).
 */
const THREADED_FROM_FILES = 20_000;

/** What tonight's verify will read, at least: the new snapshots' transferred files and one scrub slice of each source. */
function expectedReads(ctx: Context, sources: Source[]): number {
  const records = ctx.state.read().sources ?? {};
  const { scrubDays } = ctx.config.verify;
  return sources.reduce((sum, source) => {
    const record = records[source.name];
    if (!record) return sum;
    return sum + (record.verifiedAt ? 0 : record.added + record.changed) + Math.round((record.files ?? 0) / scrubDays);
  }, 0);
}

/** Rotten files found tonight wait in the state for the next pull of their source to heal them. */
function recordRot(ctx: Context, report: VerifyReport): void {
  for (const source of new Set(report.problems.filter((problem) => problem.rotten).map((problem) => problem.source))) {
    const found = report.problems.filter((problem) => problem.source === source && problem.rotten).map((problem) => ({ ...problem.rotten!, foundAt: ctx.now().toISOString() }));
    ctx.state.recordRot(ctx.runId, source, found);
  }
}

/**
 * Rot the source could not heal (it has changed the file since, or no longer has it): 51 every night while a snapshot
 * still holds the bad inode, said plainly (whether or not tonight's slice read it): this node has no good copy.
 */
function explainUnhealable(ctx: Context, sources: Source[], report: VerifyReport): void {
  const rot = ctx.state.read().rot ?? {};
  for (const source of sources) {
    const store = new SourceStore(ctx.config.storage.path, source.name);
    for (const record of (rot[source.name] ?? []).filter((known) => known.noGoodCopy)) {
      const sharing = snapshotsSharing(store, record);
      if (sharing.length === 0) continue;
      const problem: Problem = {
        source: source.name,
        file: `${record.snapshot}/${record.name}`,
        problem: `differs from its manifest in ${counted(sharing.length, 'snapshot')} (${sharing.join(', ')}) that share one rotten copy, and ${record.noGoodCopy}: this node holds no good copy of it`,
        code: 'bitRot',
      };
      const found = report.problems.findIndex((known) => known.source === source.name && known.rotten?.name === record.name);
      if (found >= 0) report.problems[found] = problem;
      else report.problems.push(problem);
    }
  }
}

/**
 * The worst problem decides the code: a missing manifest, then bit rot (the store's own failures, which stop the
 * pass), then a bad copy, which is one source's: its new snapshot is not promoted, the others' are.
 */
const PRECEDENCE: ExitCodeName[] = ['manifestMissing', 'bitRot', 'copyMismatch'];

function verdict(report: VerifyReport, summary: string): StepResult {
  if (report.problems.length === 0) return ok(summary, report);
  const worst = PRECEDENCE.find((code) => report.problems.some((problem) => problem.code === code))!;
  const first = report.problems.find((problem) => problem.code === worst)!;
  const more = report.problems.length > 1 ? ` (${report.problems.length - 1} more problems)` : '';
  return {
    ...(worst === 'copyMismatch' ? { source: first.source } : {}),
    ...failed(
      worst,
      `${first.source}: ${shownName(first.file)} ${first.problem}${more}`,
      worst === 'copyMismatch' ? 'the new snapshot is not promoted; latest stays on the previous verified one' : undefined,
      report,
    ),
    details: report.problems.slice(0, 20).map((problem) => `${EXIT_CODES[problem.code].code} ${problem.source}: ${shownName(problem.file)} ${problem.problem}`),
  };
}

export const verifyStep: Step<VerifyOptions> = {
  name: 'verify',
  summary: 'prove the copy: re-read what this pass transferred against the manifest and the source, and scrub a slice of older data',
  arguments: [{ name: 'target', description: 'a group or a source name; all when left out' }],
  options: [
    { flags: '--full', description: 'read everything of the latest (or --at) snapshot against its manifest' },
    { flags: '--at <snapshot>', description: 'with --full: this snapshot instead of latest' },
    { flags: '--against-source', description: 'with --full: compare with the source as well' },
  ],
  locked: true,
  async run(ctx, { args: [target], options }) {
    const sources = sourcesFor(ctx.config, target);
    if (ctx.dryRun) return skipped('dry run: nothing was pulled, so nothing is read or recorded');
    const report: VerifyReport = { copyChecked: [], problems: [] };
    // A full check is large by definition: threads from its first file.
    const pool = new HashPool(options.full || expectedReads(ctx, sources) > THREADED_FROM_FILES ? { inlineMs: 0 } : {});
    try {
      if (options.full) {
        await fullCheck(ctx, sources, options, pool, report);
        const read = report.full!.reduce((sum, check) => sum + check.bytes, 0);
        return verdict(
          report,
          `full check of ${counted(report.full!.length, 'snapshot')}: ${counted(report.full!.reduce((sum, check) => sum + check.files, 0), 'file')}, ${formatBytes(read)} read`,
        );
      }
      await copyChecks(ctx, sources, pool, report);
      await scrub(ctx, sources, pool, report);
      explainUnhealable(ctx, sources, report);
    } finally {
      recordRot(ctx, report);
      for (const problem of report.problems) ctx.log.error(`${EXIT_CODES[problem.code].code} ${problem.source}: ${shownName(problem.file)} ${problem.problem}`);
      await pool.close();
    }
    const copied = report.copyChecked.reduce((sum, check) => sum + check.files, 0);
    const scrubbed = report.scrub!;
    return verdict(
      report,
      `copy check: ${counted(copied, 'file')} of ${counted(report.copyChecked.length, 'new snapshot')}; scrub: ${counted(scrubbed.slices, 'slice')} of 1/${scrubbed.days}, ${counted(scrubbed.files, 'file')}, ${formatBytes(scrubbed.bytes)}; ${coverageText(report.coverageDays)}`,
    );
  },
  render(result) {
    const report = result.data as VerifyReport | undefined;
    if (!report) return result.message;
    const rows = [
      ...report.copyChecked.map((check) => ['copy check', check.source, check.snapshot, String(check.files), formatBytes(check.bytes)]),
      ...(report.full ?? []).map((check) => ['full', check.source, check.snapshot, String(check.files), formatBytes(check.bytes)]),
    ];
    return [result.message, ...(rows.length ? [table(['check', 'source', 'snapshot', 'files', 'read'], rows)] : [])].join('\n');
  },
};
