import { checkStep } from './check.js';
import { codesStep } from './codes.js';
import { configStep } from './config.js';
import { cycleStep } from './cycle.js';
import { displayStep } from './display.js';
import { heartbeatStep } from './heartbeat.js';
import { maintenanceStep } from './maintenance.js';
import { mountStep } from './mount.js';
import { notifyStep } from './notify.js';
import { promoteStep } from './promote.js';
import { pruneStep } from './prune.js';
import { scheduleStep } from './schedule.js';
import { statusStep } from './status.js';
import { suspendStep } from './suspend.js';
import { syncStep } from './sync.js';
import { verifyStep } from './verify.js';
import type { AnyStep } from './types.js';

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
  codesStep,
  configStep,
];
