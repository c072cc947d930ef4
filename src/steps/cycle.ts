import type { Config } from '../config/types.js';
import { EXIT_CODES } from '../exit-codes.js';
import { runPass, type PassEntry } from '../pass.js';
import { codeLabel, heading, statusWord, table } from '../render.js';
import type { PassRecord } from '../state/run-state.js';
import { checkStep } from './check.js';
import { heartbeatStep } from './heartbeat.js';
import { mountStep } from './mount.js';
import { notifyStep } from './notify.js';
import { promoteStep } from './promote.js';
import { pruneStep } from './prune.js';
import { groupsInOrder, syncStep } from './sync.js';
import { verifyStep } from './verify.js';
import { failed, ok, type Context, type Step } from './types.js';

/**
 * The daily pass (SPEC §1) as a table: which step, whether its failure is fatal, whether it runs after one.
 * Steps land here as their issues are built; the groups come from the configuration, in its order.
 */
export function passPlan(config: Config): PassEntry[] {
  const end = config.storage.afterPass === 'ro' ? 'ro' : 'off';
  return [
    { step: heartbeatStep, label: 'heartbeat start', args: ['start'], onFailure: 'warn' },
    { step: checkStep, onFailure: 'abort' },
    { step: mountStep, label: 'mount rw', args: ['rw'], onFailure: 'abort' },
    ...groupsInOrder(config).map((group): PassEntry => ({ step: syncStep, label: `sync ${group}`, args: [group], onFailure: 'abort' })),
    { step: mountStep, label: 'mount ro', args: ['ro'], onFailure: 'abort' },
    { step: verifyStep, onFailure: 'abort' },
    // promote and prune write: back to read-write, without a second fsck of a filesystem we just unmounted.
    { step: mountStep, label: 'mount rw for promote', args: ['rw'], options: { fsck: false }, onFailure: 'abort' },
    { step: promoteStep, onFailure: 'abort' },
    { step: pruneStep, onFailure: 'abort' },
    { step: mountStep, label: `mount ${end} at the end`, args: [end], onFailure: 'abort', always: true },
    // Reporting never fails the pass: an undelivered ping or alert is warning 21.
    { step: heartbeatStep, label: 'heartbeat', args: (pass) => [pass.firstFailure ? 'fail' : 'success'], onFailure: 'warn', always: true },
    { step: notifyStep, onFailure: 'warn', always: true },
  ];
}

interface CycleOptions {
  dryRun?: boolean;
  only?: string[];
  skip?: string[];
}

function newPass(ctx: Context): PassRecord {
  return { runId: ctx.runId, pid: process.pid, startedAt: ctx.now().toISOString(), outcome: 'running', warnings: [], steps: [] };
}

/** Records a pass that never finished (kill -9, power cut) and names it in the new pass. */
function startPass(ctx: Context): PassRecord {
  const pass = newPass(ctx);
  ctx.state.update((state) => {
    const cutOff = state.current;
    if (cutOff) {
      cutOff.outcome = 'interrupted';
      state.passes.unshift(cutOff);
      pass.resumedAfter = cutOff.runId;
      ctx.state.journal({ runId: cutOff.runId, event: 'pass-interrupted', message: `found at the start of pass ${pass.runId}` });
      ctx.log.notice(`resumed after interruption: the pass started ${cutOff.startedAt} never finished`);
    }
    state.current = pass;
  });
  ctx.state.journal({ runId: pass.runId, event: 'pass-start' });
  return pass;
}

function finishPass(ctx: Context, pass: PassRecord): void {
  ctx.state.update((state) => {
    delete state.current;
    state.passes.unshift(pass);
  });
  ctx.state.journal({ runId: pass.runId, event: 'pass-end', status: pass.firstFailure ? 'failed' : 'ok', code: pass.firstFailure?.code });
}

/** Runs a pass with the given table; `cycle` uses passPlan, tests use their own steps. */
export async function runCycle(ctx: Context, plan: PassEntry[], options: CycleOptions = {}) {
  const pass = ctx.dryRun ? newPass(ctx) : startPass(ctx);
  await runPass(plan, ctx, pass, options);
  if (!ctx.dryRun) finishPass(ctx, pass);
  const summary = `pass ${pass.outcome}: ${pass.steps.filter((step) => step.status === 'ok').length} steps ok, ${pass.warnings.length} warnings`;
  if (!pass.firstFailure) return ok(summary, pass, pass.warnings);
  const { step, code, message } = pass.firstFailure;
  return { ...failed(code, `${step}: ${message}`, undefined, pass), warnings: pass.warnings };
}

export const cycleStep: Step<CycleOptions> = {
  name: 'cycle',
  summary: 'run the whole daily pass; exit with the code of the first fatal failure',
  options: [
    { flags: '--dry-run', description: 'show what each step would do; change nothing' },
    { flags: '--only <steps...>', description: 'run only these steps (names or labels, e.g. sync "sync images")' },
    { flags: '--skip <steps...>', description: 'leave out these steps' },
  ],
  locked: true,
  run: (ctx, { options }) => runCycle(ctx, passPlan(ctx.config), options),
  render(result) {
    const pass = result.data as PassRecord;
    const rows = pass.steps.map((step) => [step.step, statusWord(step.status), step.code ? codeLabel(step.code) : '', step.message]);
    const lines = [heading(`odbackup pass ${pass.runId}`)];
    if (pass.resumedAfter) lines.push(`resumed after interruption of pass ${pass.resumedAfter}`);
    if (rows.length) lines.push(table(['step', 'result', 'code', 'message'], rows));
    for (const warning of pass.warnings) lines.push(`warning ${codeLabel(warning.code)}: ${warning.message}`);
    const exit = pass.exitCode ?? 0;
    lines.push(`${statusWord(pass.outcome)}: exit ${exit}${exit ? ` (${pass.firstFailure ? EXIT_CODES[pass.firstFailure.code].meaning : ''})` : ''}`);
    return lines.join('\n');
  },
};
