/**
 * The one table of exit codes: the numbers on the e-ink (SPEC §2).
 * `odbackup codes`, the --help epilog, the man page's EXIT STATUS and the README are checked against it by a test.
 * Once shipped, a number never changes meaning; add new ones, never renumber.
 * Levels: fatal stops the data steps of a pass; source is fatal for one source only (the pass exits with it, the
 * other sources are still pulled, verified and promoted); warning never changes the exit code.
 */
export const EXIT_CODES = {
  ok: { code: 0, level: 'ok', meaning: 'pass completed, all verified' },
  internal: { code: 1, level: 'fatal', meaning: 'internal error (a bug: the message says so)' },
  usage: { code: 2, level: 'fatal', meaning: 'usage or configuration error (the message names the field)' },
  locked: { code: 3, level: 'fatal', meaning: 'another run holds the lock' },
  storageMissing: { code: 10, level: 'fatal', meaning: 'storage device not found' },
  smartFailed: { code: 11, level: 'fatal', meaning: 'SMART health check failed' },
  fsckErrors: { code: 12, level: 'fatal', meaning: 'filesystem check found errors' },
  diskFull: { code: 13, level: 'fatal', meaning: 'not enough free space on storage' },
  overTemperature: { code: 14, level: 'fatal', meaning: 'over temperature' },
  clockUntrusted: { code: 15, level: 'fatal', meaning: 'clock not trustworthy (not synchronised, or earlier than the last run)' },
  storageWriteFailed: { code: 16, level: 'fatal', meaning: 'storage write failed: the store or the state directory refused a write, or data did not reach the disk' },
  networkDown: { code: 20, level: 'fatal', meaning: 'network unreachable' },
  monitorUndelivered: { code: 21, level: 'warning', meaning: 'heartbeat / notification not delivered (warning)' },
  maintenanceFailed: { code: 22, level: 'warning', meaning: 'maintenance mode: ssh could not be started or users not listed (warning)' },
  catalogUnpublished: { code: 23, level: 'warning', meaning: 'catalog not published or restore requests not fetched (warning; the next pass makes it good)' },
  mountRwFailed: { code: 30, level: 'fatal', meaning: 'mount read-write failed' },
  mountRoFailed: { code: 31, level: 'fatal', meaning: 'mount read-only failed' },
  rsyncFailed: { code: 40, level: 'source', meaning: 'rsync transfer failed' },
  sourceUnreachable: { code: 41, level: 'source', meaning: 'source unreachable (ssh, connection refused, timeout)' },
  expectedFileMissing: { code: 42, level: 'source', meaning: "expected file missing at the source (e.g. today's dump)" },
  sourceIntegrity: { code: 43, level: 'source', meaning: 'source integrity failed (signature, SHA256SUMS, gzip test)' },
  gitFailed: { code: 44, level: 'source', meaning: 'git mirror failed' },
  sourceShrank: { code: 45, level: 'source', meaning: 'source shrank or is empty (not promoted; the previous snapshot stays latest)' },
  sourceOverdue: { code: 46, level: 'source', meaning: 'source overdue: a machine that comes and goes (overdueDays) was last saved longer ago than that' },
  copyMismatch: { code: 50, level: 'source', meaning: 'verify: copied data differs from the source (that source is not promoted; the others are)' },
  bitRot: { code: 51, level: 'fatal', meaning: 'verify: bit rot found by the scrub' },
  manifestMissing: { code: 52, level: 'fatal', meaning: 'verify: manifest missing or unreadable' },
  restoreMismatch: { code: 53, level: 'fatal', meaning: 'restore: restored data differs from the manifest' },
  restoreFailed: { code: 54, level: 'fatal', meaning: 'restore: the destination could not be reached or written (nothing put in place)' },
  displayUnreachable: { code: 60, level: 'warning', meaning: 'display not reachable (warning)' },
  alarmNotSet: { code: 70, level: 'fatal', meaning: 'RTC wake alarm could not be set' },
  suspendFailed: { code: 71, level: 'fatal', meaning: 'suspend failed' },
  interrupted: { code: 130, level: 'fatal', meaning: 'stopped by SIGINT; the always-run steps still ran' },
  terminated: { code: 143, level: 'fatal', meaning: 'stopped by SIGTERM; the always-run steps still ran' },
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;

/** A failure of one source (unreachable, tonight's dump missing, integrity, shrunk): the other sources go on. */
export function isSourceFailure(name: ExitCodeName): boolean {
  return EXIT_CODES[name].level === 'source';
}

export function exitCodeOf(name: ExitCodeName): number {
  return EXIT_CODES[name].code;
}

export function codeTable(): { name: ExitCodeName; code: number; level: string; meaning: string }[] {
  return (Object.keys(EXIT_CODES) as ExitCodeName[]).map((name) => ({ name, ...EXIT_CODES[name] }));
}

/** "21 monitorUndelivered": the number and its name, for a reader at a terminal. */
export function codeLabel(name: ExitCodeName): string {
  return `${EXIT_CODES[name].code} ${name}`;
}

/** A warning as every output says it: "warning 21: …" (logs, alerts, pings), or with the code's name (`named`). */
export function warningLine(warning: { code: ExitCodeName; message: string }, named = false): string {
  return `warning ${named ? codeLabel(warning.code) : EXIT_CODES[warning.code].code}: ${warning.message}`;
}
