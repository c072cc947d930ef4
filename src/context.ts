import { randomUUID } from 'node:crypto';
import { loadConfig } from './config/load.js';
import type { Config } from './config/types.js';
import { secretsOfConfig } from './config/secrets.js';
import type { Logger } from './log.js';
import { RunState, type PassRecord } from './state/run-state.js';

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
  /**
   * The node is powering off at this process's request: the SIGTERM the shutdown sends its unit is the answer, not a
   * stop. It changes neither the pass nor its exit code, and the process exits once it came (cli.ts).
   */
  expectTermination(): void;
}

export interface ContextOptions {
  configPath: string;
  log: Logger;
  signal: AbortSignal;
  finalSignal?: AbortSignal;
  dryRun?: boolean;
  /** A configuration already loaded (tests); otherwise read from configPath on first use. */
  config?: Config;
  now?: () => Date;
  expectTermination?: () => void;
}

export function createContext(options: ContextOptions): Context {
  let config = options.config;
  let state: RunState | undefined;
  return {
    configPath: options.configPath,
    get config() {
      if (!config) {
        config = loadConfig(options.configPath);
        for (const secret of secretsOfConfig(config)) options.log.addSecret(secret);
      }
      return config;
    },
    get state() {
      state ??= new RunState(this.config.stateDir, (message) => options.log.warn(message));
      return state;
    },
    log: options.log,
    signal: options.signal,
    finalSignal: options.finalSignal ?? options.signal,
    dryRun: options.dryRun ?? false,
    runId: randomUUID(),
    now: options.now ?? (() => new Date()),
    expectTermination: options.expectTermination ?? (() => {}),
  };
}

/** The same context with other values (a pass's run id, the always-run steps' signal); config stays lazy. */
export function deriveContext(ctx: Context, changes: Partial<Pick<Context, 'signal' | 'dryRun' | 'runId' | 'pass'>>): Context {
  return Object.assign(Object.create(ctx) as Context, changes);
}
