import type { Config } from '../config/types.js';
import type { ExitCodeName } from '../exit-codes.js';
import type { Logger } from '../log.js';
import type { PassRecord, RunState, Warning } from '../state/run-state.js';

export interface StepResult {
  status: 'ok' | 'skipped' | 'failed';
  message: string;
  /** Set when failed: which exit code the failure maps to. */
  code?: ExitCodeName;
  hint?: string;
  /** Further lines of a failure, one per problem. */
  details?: string[];
  /** Findings that do not fail the step (a warning-level check, a heartbeat that could not be delivered). */
  warnings?: Warning[];
  /** Set by a step that learned the node must stay up for maintenance (why: the monitor asked, a button was held …). */
  maintenanceRequest?: string;
  /** The typed details, printed by --json and used by the human renderer. */
  data?: unknown;
}

export const ok = (message: string, data?: unknown, warnings?: Warning[]): StepResult => ({ status: 'ok', message, data, warnings });
export const skipped = (message: string, data?: unknown): StepResult => ({ status: 'skipped', message, data });
export const failed = (code: ExitCodeName, message: string, hint?: string, data?: unknown): StepResult => ({ status: 'failed', code, message, hint, data });

/** What every step gets. `config` loads the configuration on first use, so `codes` works without one. */
export interface Context {
  readonly configPath: string;
  readonly config: Config;
  readonly state: RunState;
  readonly log: Logger;
  /** Aborted by SIGINT/SIGTERM (for the always-run steps of a pass: by a second signal). */
  readonly signal: AbortSignal;
  /** Aborted only by a second signal: what the always-run steps of a pass (final heartbeat, display, suspend) get. */
  readonly finalSignal: AbortSignal;
  readonly dryRun: boolean;
  /** The pass this step runs in, when it runs inside `cycle`. */
  readonly runId: string;
  /** The pass so far, when the step runs inside `cycle` (the final heartbeat, alert and screen report on it). */
  readonly pass?: PassRecord;
  now(): Date;
}

export interface StepArgument {
  name: string;
  description: string;
  required?: boolean;
  choices?: readonly string[];
  variadic?: boolean;
}

export interface StepOption {
  /** commander flags, e.g. `--at <snapshot>` */
  flags: string;
  description: string;
  defaultValue?: string | boolean;
}

export interface StepInput<Options = Record<string, unknown>> {
  args: string[];
  options: Options;
}

export interface Step<Options = Record<string, unknown>> {
  name: string;
  summary: string;
  arguments?: readonly StepArgument[];
  options?: readonly StepOption[];
  /** Changes the store or the machine: runs under the run lock and is written to the journal. */
  locked: boolean;
  run(ctx: Context, input: StepInput<Options>): Promise<StepResult>;
  /** Human text for stdout; without it the result's message is printed. */
  render?(result: StepResult): string;
}

/** A step of any options type, as the registry and the pass table hold them (each step knows its own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = Step<any>;
