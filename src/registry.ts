import type { AnyStep } from './steps/types.js';

/**
 * Every subcommand, in the order `--help` lists them, each loaded only when it is needed: a command loads its own
 * step and what that imports, not the whole program (start-up time, issue 16). Only steps that really work are here.
 */
const STEP_MODULES: Record<string, () => Promise<AnyStep>> = {
  cycle: async () => (await import('./pass/cycle.js')).cycleStep,
  check: async () => (await import('./steps/check.js')).checkStep,
  mount: async () => (await import('./steps/mount.js')).mountStep,
  sync: async () => (await import('./steps/sync.js')).syncStep,
  verify: async () => (await import('./steps/verify.js')).verifyStep,
  promote: async () => (await import('./steps/promote.js')).promoteStep,
  prune: async () => (await import('./steps/prune.js')).pruneStep,
  heartbeat: async () => (await import('./steps/heartbeat.js')).heartbeatStep,
  notify: async () => (await import('./steps/notify.js')).notifyStep,
  display: async () => (await import('./steps/display.js')).displayStep,
  maintenance: async () => (await import('./steps/maintenance.js')).maintenanceStep,
  suspend: async () => (await import('./steps/suspend.js')).suspendStep,
  schedule: async () => (await import('./steps/schedule.js')).scheduleStep,
  status: async () => (await import('./steps/status.js')).statusStep,
  sources: async () => (await import('./steps/sources.js')).sourcesStep,
  snapshots: async () => (await import('./steps/snapshots.js')).snapshotsStep,
  find: async () => (await import('./steps/find.js')).findStep,
  versions: async () => (await import('./steps/versions.js')).versionsStep,
  diff: async () => (await import('./steps/diff.js')).diffStep,
  restore: async () => (await import('./steps/restore.js')).restoreStep,
  requests: async () => (await import('./steps/requests.js')).requestsStep,
  catalog: async () => (await import('./steps/catalog.js')).catalogStep,
  nginx: async () => (await import('./steps/nginx.js')).nginxStep,
  codes: async () => (await import('./steps/codes.js')).codesStep,
  clock: async () => (await import('./steps/clock.js')).clockStep,
  config: async () => (await import('./steps/config.js')).configStep,
  setup: async () => (await import('./pass/setup.js')).setupStep,
};

export const STEP_NAMES: readonly string[] = Object.keys(STEP_MODULES);

/** The named steps (default: all), in the order given. */
export function loadSteps(names: readonly string[] = STEP_NAMES): Promise<AnyStep[]> {
  return Promise.all(names.map((name) => STEP_MODULES[name]!()));
}
