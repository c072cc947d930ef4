import { codeLabel, heading, statusWord, table } from '../render.js';
import { RunLock } from '../state/lock.js';
import type { PassRecord } from '../state/run-state.js';
import { ok, type Step } from './types.js';

interface StatusOptions {
  last?: string;
}

interface StatusData {
  running?: PassRecord;
  /** A pass still marked as current while nobody holds the lock: cut off by kill -9 or a power cut. */
  interrupted?: PassRecord;
  passes: PassRecord[];
}

function duration(pass: PassRecord): string {
  if (!pass.endedAt) return '';
  const seconds = Math.round((Date.parse(pass.endedAt) - Date.parse(pass.startedAt)) / 1000);
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

export const statusStep: Step<StatusOptions> = {
  name: 'status',
  summary: 'show the last passes, their steps and warnings',
  options: [{ flags: '-n, --last <count>', description: 'how many passes to show', defaultValue: '10' }],
  locked: false,
  async run(ctx, { options }) {
    const state = ctx.state.read();
    const count = Math.max(1, Number.parseInt(options.last ?? '10', 10) || 10);
    const data: StatusData = { passes: state.passes.slice(0, count) };
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
    const lines = [result.message];
    if (shown.length === 0) return lines.join('\n');
    lines.push(
      '',
      heading('passes'),
      table(
        ['started', 'took', 'outcome', 'exit', 'first failure', 'warnings'],
        shown.map((pass) => [
          pass.startedAt,
          duration(pass),
          statusWord(pass.outcome) + (pass.resumedAfter ? ' (resumed after interruption)' : ''),
          pass.exitCode === undefined ? '' : String(pass.exitCode),
          pass.firstFailure ? `${pass.firstFailure.step}: ${pass.firstFailure.message}` : '',
          String(pass.warnings.length),
        ]),
      ),
    );
    const latest = shown[0]!;
    lines.push('', heading(`steps of the pass started ${latest.startedAt}`));
    lines.push(table(['step', 'result', 'code', 'message'], latest.steps.map((step) => [step.step, statusWord(step.status), step.code ? codeLabel(step.code) : '', step.message])));
    for (const warning of latest.warnings) lines.push(`warning ${codeLabel(warning.code)}: ${warning.message}`);
    return lines.join('\n');
  },
};
