import { checkStep } from './steps/check.js';
import { clockStep } from './steps/clock.js';
import { codesStep } from './steps/codes.js';
import { configStep } from './steps/config.js';
import { cycleStep } from './pass/cycle.js';
import { displayStep } from './steps/display.js';
import { heartbeatStep } from './steps/heartbeat.js';
import { maintenanceStep } from './steps/maintenance.js';
import { mountStep } from './steps/mount.js';
import { notifyStep } from './steps/notify.js';
import { promoteStep } from './steps/promote.js';
import { pruneStep } from './steps/prune.js';
import { scheduleStep } from './steps/schedule.js';
import { snapshotsStep } from './steps/snapshots.js';
import { findStep } from './steps/find.js';
import { versionsStep } from './steps/versions.js';
import { diffStep } from './steps/diff.js';
import { restoreStep } from './steps/restore.js';
import { statusStep } from './steps/status.js';
import { suspendStep } from './steps/suspend.js';
import { syncStep } from './steps/sync.js';
import { verifyStep } from './steps/verify.js';
import type { AnyStep } from './steps/types.js';

/** Every subcommand, in the order `--help` lists them. Only steps that really work are registered. */
export const STEPS: readonly AnyStep[] = [
  cycleStep,
  checkStep,
  mountStep,
  syncStep,
  verifyStep,
  promoteStep,
  pruneStep,
  heartbeatStep,
  notifyStep,
  displayStep,
  maintenanceStep,
  suspendStep,
  scheduleStep,
  statusStep,
  snapshotsStep,
  findStep,
  versionsStep,
  diffStep,
  restoreStep,
  codesStep,
  clockStep,
  configStep,
];
