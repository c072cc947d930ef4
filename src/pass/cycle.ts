import type { Config } from '../config/types.js';
import { codeLabel } from '../exit-codes.js';
import { runPass, type PassEntry } from './run.js';
import { heading, statusWord, table } from '../render.js';
import type { PassRecord } from '../state/run-state.js';
import { join } from 'node:path';
import { holdSleepInhibitor } from '../adapters/inhibit.js';
import { localAddress } from '../health/network.js';
import { pause } from '../pause.js';
import { currentSlot } from '../power/schedule.js';
import { wakeReason } from '../power/wake.js';
import { catalogStep } from '../steps/catalog.js';
import { checkStep } from '../steps/check.js';
import { displayStep } from '../steps/display.js';
import { heartbeatStep } from '../steps/heartbeat.js';
import { mountStep } from '../steps/mount.js';
import { maintenanceStep } from '../steps/maintenance.js';
import { notifyStep } from '../steps/notify.js';
import { suspendStep } from '../steps/suspend.js';
import { promoteStep } from '../steps/promote.js';
import { pruneStep } from '../steps/prune.js';
import { requestsStep } from '../steps/requests.js';
import { syncStep } from '../steps/sync.js';
import { groupsInOrder } from '../config/sources.js';
import { verifyStep } from '../steps/verify.js';
import { failed, ok, type Context, type Step } from '../steps/types.js';

/**
 * The daily pass (SPEC §1) as a table: which step, whether its failure is fatal, whether it runs after one.
 * The groups come from the configuration, in its order. The timer's pass (`ifDue`) pulls only what is due: a
 * source saved today waits for tomorrow.
 */
export function passPlan(config: Config, { ifDue = false }: { ifDue?: boolean } = {}): PassEntry[] {
  const end = config.storage.afterPass === 'ro' ? 'ro' : 'off';
  return [
    // The e-ink and the monitors never fail a pass: a display that does not answer is warning 60.
    { step: displayStep, label: 'display start', args: ['start'], onFailure: 'warn' },
    { step: heartbeatStep, label: 'heartbeat start', args: ['start'], onFailure: 'warn' },
    ...(config.maintenance.backupFirst ? [] : [{ step: maintenanceStep, onFailure: 'warn' } as PassEntry]),
    { step: checkStep, onFailure: 'abort' },
    { step: mountStep, label: 'mount rw', args: ['rw'], onFailure: 'abort' },
    ...groupsInOrder(config).map((group): PassEntry => ({ step: syncStep, label: `sync ${group}`, args: [group], options: { due: ifDue }, onFailure: 'abort' })),
    { step: mountStep, label: 'mount ro', args: ['ro'], onFailure: 'abort' },
    { step: verifyStep, onFailure: 'abort' },
    // promote and prune write: back to read-write, without a second fsck of a filesystem we just unmounted.
    { step: mountStep, label: 'mount rw for promote', args: ['rw'], options: { fsck: false }, onFailure: 'abort' },
    { step: promoteStep, onFailure: 'abort' },
    { step: pruneStep, onFailure: 'abort' },
    // Getting data back while the node sleeps: neither ever fails the backup (a failed request is answered, an
    // unreachable catalog host is warning 23 that the next pass makes good).
    { step: requestsStep, onFailure: 'warn' },
    // Runs after a failure too: the page must say FAILED, not the night before's OK.
    { step: catalogStep, onFailure: 'warn', always: true },
    { step: mountStep, label: `mount ${end} at the end`, args: [end], onFailure: 'abort', always: true },
    // Reporting never fails the pass: an undelivered ping or alert is warning 21.
    { step: heartbeatStep, label: 'heartbeat', args: (pass) => [pass.firstFailure ? 'fail' : 'success'], onFailure: 'warn', always: true },
    { step: notifyStep, onFailure: 'warn', always: true },
    ...restPlan(config.maintenance.backupFirst),
  ];
}

/**
 * The end of every pass, and all of one that is not due (cycle --if-due): maintenance if asked for, the final
 * screen (drawn after maintenance, so that its next wake is right), then sleep.
 */
function restPlan(maintenance = false): PassEntry[] {
  return [
    ...(maintenance ? [{ step: maintenanceStep, onFailure: 'warn', always: true } as PassEntry] : []),
    { step: displayStep, label: 'display', args: (pass) => [pass.firstFailure ? 'failed' : 'ready'], onFailure: 'warn', always: true },
    { step: suspendStep, onFailure: 'abort', always: true },
  ];
}

interface CycleOptions {
  dryRun?: boolean;
  only?: string[];
  skip?: string[];
  ifDue?: boolean;
  suspend?: boolean;
}

function newPass(ctx: Context): PassRecord {
  return { runId: ctx.runId, pid: process.pid, startedAt: ctx.now().toISOString(), outcome: 'running', warnings: [], steps: [] };
}

/** Records a pass that never finished (kill -9, power cut) and names it in the new pass; notes why we woke. */
function startPass(ctx: Context): PassRecord {
  const pass = newPass(ctx);
  const cutOff = ctx.state.beginPass(pass, (state) => wakeReason(ctx.config, state, ctx.now(), join(ctx.config.stateDir, 'sleep.log')));
  if (cutOff) {
    ctx.state.journal({ runId: cutOff.runId, event: 'pass-interrupted', message: `found at the start of pass ${pass.runId}` });
    ctx.log.notice(`resumed after interruption: the pass started ${cutOff.startedAt} never finished`);
  }
  ctx.log.notice(pass.wake!.message);
  if (pass.wake!.reason === 'manual') pass.maintenanceRequests = [`woken by hand: ${pass.wake!.message}`];
  ctx.state.journal({ runId: pass.runId, event: 'pass-start', message: pass.wake!.message });
  return pass;
}

function finishPass(ctx: Context, pass: PassRecord): void {
  ctx.state.endPass(pass);
  ctx.state.journal({ runId: pass.runId, event: 'pass-end', status: pass.firstFailure ? 'failed' : 'ok', code: pass.firstFailure?.code });
}

/** After a resume the link takes a moment: wait (bounded) for an address before the monitors and sources are asked. */
async function settleNetwork(ctx: Context): Promise<void> {
  const deadline = Date.now() + ctx.config.schedule.networkSettleSeconds * 1000;
  while (!localAddress() && Date.now() < deadline && !ctx.signal.aborted) await pause(1000, ctx.signal);
  if (!localAddress()) ctx.log.warn(`no network address after ${ctx.config.schedule.networkSettleSeconds} s; going on`);
}

/** Not due: a completed pass already started in the current slot of the schedule (the timer and cron both fired). */
function alreadyDone(ctx: Context): PassRecord | undefined {
  const slot = currentSlot(ctx.config.schedule.times, ctx.now());
  return ctx.state.read().passes.find((pass) => pass.outcome === 'completed' && !pass.notDue && Date.parse(pass.startedAt) >= slot.getTime());
}

/** Runs a pass with the given table; `cycle` uses passPlan, tests use their own steps. */
export async function runCycle(ctx: Context, plan: PassEntry[], options: CycleOptions = {}) {
  const done = options.ifDue ? alreadyDone(ctx) : undefined;
  const pass = ctx.dryRun ? newPass(ctx) : startPass(ctx);
  if (done) {
    pass.notDue = `the pass of this slot already completed (started ${done.startedAt})`;
    plan = restPlan(Boolean(pass.maintenanceRequests?.length));
    ctx.log.notice(`not due: ${pass.notDue}`);
  }
  const skip = [...(options.skip ?? []), ...(options.suspend === false ? ['suspend'] : [])];
  if (!ctx.dryRun) await settleNetwork(ctx);
  const inhibitor = ctx.dryRun || done ? undefined : await holdSleepInhibitor(ctx.config.system.programs['systemd-inhibit'], `odbackup pass ${pass.runId}`);
  try {
    await runPass(plan, ctx, pass, { ...options, skip, onDataStepsDone: () => inhibitor?.release() });
  } finally {
    inhibitor?.release();
  }
  if (!ctx.dryRun) finishPass(ctx, pass);
  const summary = pass.notDue
    ? `not due: ${pass.notDue}`
    : `pass ${pass.outcome}: ${pass.steps.filter((step) => step.status === 'ok').length} steps ok, ${pass.warnings.length} warnings`;
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
    { flags: '--if-due', description: 'run the data steps only if no pass completed yet in the current slot of the schedule (timer and cron)' },
    { flags: '--no-suspend', description: 'do not sleep at the end' },
  ],
  locked: true,
  run: (ctx, { options }) => runCycle(ctx, passPlan(ctx.config, options), options),
  render(result) {
    const pass = result.data as PassRecord;
    // The steps that did something; those that had nothing to do in one line (`odbackup status` says why).
    const rows = pass.steps.filter((step) => step.status !== 'skipped').map((step) => [step.step, statusWord(step.status), step.code ? codeLabel(step.code) : '', step.message]);
    const skippedSteps = pass.steps.filter((step) => step.status === 'skipped').map((step) => step.step);
    const lines = [heading(`odbackup pass ${pass.runId}`)];
    if (pass.wake) lines.push(pass.wake.message);
    if (pass.resumedAfter) lines.push(`resumed after interruption of pass ${pass.resumedAfter}`);
    if (pass.notDue) lines.push(`not due: ${pass.notDue}`);
    if (rows.length) lines.push(table(['step', 'result', 'code', 'message'], rows));
    if (skippedSteps.length) lines.push(`nothing to do: ${skippedSteps.join(', ')}`);
    // A failed pass's code and warnings are said once, by the command's last lines.
    if (!pass.firstFailure) lines.push(`${statusWord(pass.outcome)}: exit 0`);
    return lines.join('\n');
  },
};
