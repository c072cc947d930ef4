import { localTime, scheduledWake } from '../power/schedule.js';
import { sourcePresence, type SourcePresence } from '../sync/presence.js';
import { codeLabel, warningLine } from '../exit-codes.js';
import { heading, statusWord, table } from '../render.js';
import { RunLock } from '../state/lock.js';
import type { PassRecord, RequestResult, RestoreRecord, SourceRecord } from '../state/run-state.js';
import { rotLines } from '../verify/heal.js';
import { storeUnreadable } from '../store/device.js';
import { snapshotDate, SourceStore } from '../store/snapshots.js';
import { ok, type Step } from './types.js';
import { coverageDays, coverageText, sliceReads, worstCoverage } from '../verify/scrub.js';

interface StatusOptions {
  last?: number;
}

interface SourceStatus {
  name: string;
  group: string;
  /** The snapshot latest points at, and how old it is. */
  latest?: string;
  ageHours?: number;
  snapshots: number;
  lastPull?: SourceRecord;
  /** Every byte of this source was read against its manifest within this many days (absent: not yet). */
  verifiedWithinDays?: number;
}

interface StatusData {
  /** Why the store could not be read: its sources are then shown as the state last knew them. */
  store?: string;
  sources: SourceStatus[];
  /** Every byte of the store was read against its manifest within this many days (absent: the scrub has not come round yet). */
  verifiedWithinDays?: number;
  running?: PassRecord;
  /** A pass still marked as current while nobody holds the lock: cut off by kill -9 or a power cut. */
  interrupted?: PassRecord;
  passes: PassRecord[];
  /** The newest restores first. */
  restores: RestoreRecord[];
  /** Restore requests taken up (catalog.requests), newest first. */
  requests: RequestResult[];
  /** Sources with overdueDays: away, overdue, when last saved. */
  comesAndGoes: SourcePresence[];
  /** Rotten files: healed lately, waiting for the next pull, or with no good copy. */
  rot: string[];
  /** The wake the last suspend armed, and the next scheduled one from now. */
  armedWake?: string;
  nextWake: string;
}

function duration(pass: PassRecord): string {
  if (!pass.endedAt) return '';
  const seconds = Math.round((Date.parse(pass.endedAt) - Date.parse(pass.startedAt)) / 1000);
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

export const statusStep: Step<StatusOptions> = {
  name: 'status',
  summary: 'show the last passes, their steps and warnings',
  options: [{ flags: '-l, --last <count>', description: 'how many passes to show', defaultValue: '10', integer: { min: 1, max: 60 } }],
  locked: false,
  async run(ctx, { options }) {
    const state = ctx.state.read();
    const count = Number(options.last ?? 10);
    const now = ctx.now().getTime();
    // Mid-pass, or with afterPass "unmounted", the store's folder is an empty mount point: say so, and show what
    // the state knows (the last promoted pull, the snapshots recorded) instead of "none, 0".
    const unreadable = await storeUnreadable(ctx.config);
    const sources = ctx.config.sources.map((source): SourceStatus => {
      const store = new SourceStore(ctx.config.storage.path, source.name);
      const pulled = state.sources?.[source.name];
      const latest = !unreadable ? store.latest() : pulled?.promoted ? pulled.snapshot : undefined;
      return {
        name: source.name,
        group: source.group,
        latest,
        ageHours: latest ? Math.round((now - snapshotDate(latest).getTime()) / 360_000) / 10 : undefined,
        snapshots: !unreadable ? store.snapshots().length : Object.keys(state.snapshots?.[source.name] ?? {}).length,
        lastPull: state.sources?.[source.name],
        verifiedWithinDays: coverageDays(sliceReads(state.scrub, source.name, ctx.config.verify.scrubDays), ctx.config.verify.scrubDays, ctx.now()),
      };
    });
    const data: StatusData = {
      store: unreadable,
      sources,
      verifiedWithinDays: worstCoverage(sources.map((source) => source.verifiedWithinDays)),
      passes: state.passes.slice(0, count),
      restores: (state.restores ?? []).slice(0, count),
      requests: (state.requests ?? []).slice(0, count),
      armedWake: state.power?.scheduledWake,
      nextWake: scheduledWake(ctx.config, ctx.now()).toISOString(),
      comesAndGoes: sourcePresence(ctx.config, state, ctx.now()),
      rot: rotLines(state, undefined),
    };
    if (state.current) {
      const owner = RunLock.liveOwner(ctx.state.lockPath);
      if (owner?.pid === state.current.pid) data.running = state.current;
      else data.interrupted = { ...state.current, outcome: 'interrupted' };
    }
    const last = data.passes[0];
    const summary = data.running
      ? `a pass is running since ${data.running.startedAt}`
      : data.interrupted
        ? `the pass started ${data.interrupted.startedAt} was interrupted; the next pass resumes it`
        : last
          ? `last pass ${last.outcome} at ${last.endedAt ?? last.startedAt} (exit ${last.exitCode ?? '?'})`
          : 'no pass has run yet';
    return ok(summary, data);
  },
  render(result) {
    const data = result.data as StatusData;
    const shown = [data.running, data.interrupted, ...data.passes].filter((pass): pass is PassRecord => Boolean(pass));
    const wake = shown[0]?.wake;
    const lines = [
      result.message,
      coverageText(data.verifiedWithinDays),
      ...(wake ? [`woke: ${wake.message}`] : []),
      `next wake: ${localTime(new Date(data.nextWake))}${data.armedWake && data.armedWake !== data.nextWake ? ` (the alarm last armed was for ${localTime(new Date(data.armedWake))})` : ''}`,
      '',
      heading('sources'),
      ...(data.store ? [`${data.store}: latest and snapshots as the state last recorded them`] : []),
    ];
    lines.push(
      table(
        ['source', 'group', 'latest', 'age', 'snapshots', 'verified within', 'last pull'],
        data.sources.map((source) => [
          source.name,
          source.group,
          source.latest ?? 'none',
          source.ageHours === undefined ? '' : source.ageHours < 48 ? `${source.ageHours}h` : `${Math.round(source.ageHours / 24)}d`,
          String(source.snapshots),
          source.verifiedWithinDays === undefined ? 'not yet' : `${source.verifiedWithinDays}d`,
          source.lastPull ? `${source.lastPull.added} added, ${source.lastPull.changed} changed${source.lastPull.promoted ? '' : ' (not promoted)'}` : '',
        ]),
      ),
    );
    if (data.comesAndGoes.length > 0) {
      lines.push('', heading('sources that come and go'), table(['source', 'state'], data.comesAndGoes.map((source) => [source.source, source.text])));
    }
    if (data.rot.length > 0) lines.push('', heading('bit rot'), ...data.rot);
    if (data.restores.length > 0) {
      lines.push(
        '',
        heading('restores'),
        table(
          ['started', 'exit', 'what'],
          data.restores.map((restore) => [restore.startedAt, String(restore.exitCode), restore.message]),
        ),
      );
    }
    if (data.requests.length > 0) {
      lines.push(
        '',
        heading('restore requests'),
        table(
          ['request', 'result', 'when', 'what'],
          data.requests.map((request) => [request.id, request.status, request.at, request.message]),
        ),
      );
    }
    if (shown.length === 0) return lines.join('\n');
    lines.push(
      '',
      heading('passes'),
      table(
        ['started', 'took', 'outcome', 'exit', 'first failure', 'warnings'],
        shown.map((pass) => [
          pass.startedAt,
          duration(pass),
          statusWord(pass.outcome) + (pass.resumedAfter ? ' (resumed after interruption)' : '') + (pass.notDue ? ' (not due)' : ''),
          pass.exitCode === undefined ? '' : String(pass.exitCode),
          pass.firstFailure ? `${pass.firstFailure.step}: ${pass.firstFailure.message}` : '',
          String(pass.warnings.length),
        ]),
      ),
    );
    const latest = shown[0]!;
    lines.push('', heading(`steps of the pass started ${latest.startedAt}`));
    lines.push(
      table(
        ['step', 'result', 'code', 'message'],
        latest.steps.map((step) => [step.step, statusWord(step.status), step.code ? codeLabel(step.code) : '', step.message]),
      ),
    );
    for (const warning of latest.warnings) lines.push(warningLine(warning, true));
    return lines.join('\n');
  },
};
