import type { Context } from '../context.js';
import type { StepResult } from '../result.js';

// A step file imports its whole contract from here.
export type { Context } from '../context.js';
export { failed, ok, skipped, type StepResult } from '../result.js';

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
  /** The only values the option takes; checked by the CLI before the step runs (exit 2). */
  choices?: readonly string[];
  /** A whole number in this range, checked by the CLI before the step runs (exit 2); the step gets a number. */
  integer?: { min: number; max: number };
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
export type AnyStep = Step<any>;
