import type { ExitCodeName } from './exit-codes.js';
import type { Warning } from './state/run-state.js';

/** What a step returns: never thrown, never an exit; the pass and the CLI decide what it means. */
export interface StepResult {
  status: 'ok' | 'skipped' | 'failed';
  message: string;
  /** Set when failed: which exit code the failure maps to. */
  code?: ExitCodeName;
  /** Set when the failure is one source's (the pass goes on with the others). */
  source?: string;
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
