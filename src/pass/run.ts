import { deriveContext } from '../context.js';
import { OdbackupError, writeRefusal } from '../errors.js';
import { EXIT_CODES, isSourceFailure, warningLine, type ExitCodeName } from '../exit-codes.js';
import type { Logger } from '../log.js';
import type { PassRecord, StepRecord, Warning } from '../state/run-state.js';
import type { Context } from '../context.js';
import type { StepResult } from '../result.js';
import type { AnyStep, StepInput } from '../steps/types.js';

/** An OdbackupError becomes a failed result with its code; anything else is a bug (code 1, stack in the log). */
export function resultOfError(stepName: string, error: unknown, log: Logger): StepResult {
  if (error instanceof OdbackupError) return { status: 'failed', code: error.codeName, message: error.message, hint: error.hint, details: error.details };
  const refused = writeRefusal(error);
  if (refused) return { status: 'failed', code: 'storageWriteFailed', message: `${stepName}: ${refused}`, hint: 'is the disk read-only, full or failing? `journalctl -k`' };
  log.error(`internal error in ${stepName}: ${(error as Error).stack ?? String(error)}`);
  return { status: 'failed', code: 'internal', message: `internal error in ${stepName}: ${(error as Error).message} (a bug; the log has the stack)` };
}

export async function runStep(step: AnyStep, ctx: Context, input: StepInput): Promise<StepResult> {
  try {
    return await step.run(ctx, input);
  } catch (error) {
    return resultOfError(step.name, error, ctx.log);
  }
}

/** One line of the pass table. */
export interface PassEntry {
  step: AnyStep;
  /** Shown in logs and matched by --only/--skip, e.g. `sync databases`; defaults to the step name. */
  label?: string;
  args?: string[] | ((pass: PassRecord) => string[]);
  options?: Record<string, unknown>;
  /** abort: a failure is the pass's failure and stops the data steps; warn: a failure is a warning. */
  onFailure: 'abort' | 'warn';
  /** Runs even after a fatal failure or a signal (final heartbeat, display, suspend). */
  always?: boolean;
}

export interface PassOptions {
  /** Labels or step names to run (all when empty). */
  only?: string[];
  skip?: string[];
  /** Called once, when the first always-run step is reached: the data steps are over (the sleep inhibitor goes). */
  onDataStepsDone?: () => void;
}

export function labelOf(entry: PassEntry): string {
  return entry.label ?? entry.step.name;
}

function selected(entry: PassEntry, options: PassOptions): boolean {
  const label = labelOf(entry);
  const matches = (names: string[] | undefined) => (names ?? []).some((name) => name === label || name === entry.step.name || label.startsWith(`${name} `));
  if (options.only?.length && !matches(options.only)) return false;
  return !matches(options.skip);
}

/**
 * The pass: one loop over the table. A fatal failure (or a signal) stops the remaining data steps;
 * the always-run steps still run; the exit code is the first fatal failure's.
 */
export async function runPass(entries: PassEntry[], ctx: Context, pass: PassRecord, options: PassOptions = {}): Promise<PassRecord> {
  // A dry run changes nothing, not even the record of passes.
  const journal: typeof ctx.state.journal = (event) => !ctx.dryRun && ctx.state.journal(event);
  // A skipped step changed nothing: the next step's record (or the pass's end) carries it to current.json.
  const record = (step: StepRecord) => {
    pass.steps.push(step);
    if (!ctx.dryRun && step.status !== 'skipped') ctx.state.recordCurrent(pass);
  };
  /** The step whose failure stopped the data steps: a node failure (a source's failure stops nothing). */
  let haltedBy: string | undefined;
  let dataStepsDone = false;
  const endDataSteps = () => {
    if (!dataStepsDone) options.onDataStepsDone?.();
    dataStepsDone = true;
  };
  for (const entry of entries) {
    const label = labelOf(entry);
    if (entry.always) endDataSteps();
    if (!selected(entry, options)) continue;
    const stopped = stopReason(ctx.signal);
    if ((haltedBy || stopped) && !entry.always) {
      const because = haltedBy ? `${haltedBy} failed` : `stopped by ${stopped}`;
      record({ step: label, status: 'skipped', message: `not run: ${because}`, startedAt: now(), endedAt: now() });
      continue;
    }
    if (stopped && !pass.firstFailure) pass.firstFailure = { step: label, code: stopped, message: `stopped by ${stopped}` };
    const stepCtx = deriveContext(ctx, { signal: entry.always ? ctx.finalSignal : ctx.signal, runId: pass.runId, pass });
    const args = typeof entry.args === 'function' ? entry.args(pass) : (entry.args ?? []);
    const startedAt = now();
    journal({ runId: pass.runId, event: 'step-start', step: label });
    ctx.log.info(`${label}: started`);
    const result = await runStep(entry.step, stepCtx, { args, options: entry.options ?? {} });
    const warnings: Warning[] = [...(result.warnings ?? [])];
    let status: StepRecord['status'] = result.status;
    if (result.status === 'failed') {
      const code = result.code ?? 'internal';
      const signalled = stopReason(ctx.signal);
      if (entry.onFailure === 'warn') {
        warnings.push({ code, message: `${label}: ${result.message}` });
        status = 'warning';
      } else {
        if (signalled || !isSourceFailure(code)) haltedBy ??= label;
        pass.firstFailure ??= signalled
          ? { step: label, code: signalled, message: `stopped by ${signalled} during ${label}` }
          : { step: label, code, message: result.message, ...(result.source ? { source: result.source } : {}) };
      }
    }
    pass.warnings.push(...warnings);
    if (result.maintenanceRequest) pass.maintenanceRequests = [...(pass.maintenanceRequests ?? []), result.maintenanceRequest];
    // Into the log's tail (the fail ping's body) only: the pass's warnings are printed once, at its end.
    for (const warning of warnings) ctx.log.debug(warningLine(warning));
    if (status === 'failed') {
      ctx.log.error(`${label}: ${result.message}${result.hint ? ` (${result.hint})` : ''}`);
      // The lines behind a failure (rsync's own words, every problem found) go to the log, and so to the heartbeat.
      for (const line of result.details ?? []) ctx.log.error(`  ${line}`);
    }
    else ctx.log.info(`${label}: ${result.status} — ${result.message}`);
    journal({ runId: pass.runId, event: 'step-end', step: label, status, code: result.code, message: result.message });
    record({ step: label, status, code: result.code, message: result.message, startedAt, endedAt: now() });
  }
  endDataSteps();
  const stopped = stopReason(ctx.signal);
  if (stopped && !pass.firstFailure) pass.firstFailure = { step: 'cycle', code: stopped, message: `stopped by ${stopped}` };
  pass.exitCode = pass.firstFailure ? EXIT_CODES[pass.firstFailure.code].code : 0;
  pass.outcome = pass.firstFailure ? (stopped ? 'interrupted' : 'failed') : 'completed';
  pass.endedAt = now();
  return pass;
}

function now(): string {
  return new Date().toISOString();
}

/** The abort reason is the exit-code name of the signal (see cli.ts). */
function stopReason(signal: AbortSignal): ExitCodeName | undefined {
  if (!signal.aborted) return undefined;
  return signal.reason === 'terminated' ? 'terminated' : 'interrupted';
}
