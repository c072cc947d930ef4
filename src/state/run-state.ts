import { appendFileSync, closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODES, type ExitCodeName } from '../exit-codes.js';
import type { Config } from '../config/types.js';
import { fsyncDirectory, writeFileAtomic } from './atomic.js';
import { RunLock } from './lock.js';

/** Why this pass runs (SPEC §8): the RTC alarm we armed, a person (power button, reboot), or the first run ever. */
export interface WakeRecord {
  reason: 'rtc-alarm' | 'manual' | 'first-run' | 'power-restored';
  message: string;
  /** The wake the last suspend armed. */
  scheduled?: string;
  /** When the node woke (the system-sleep hook's record), else when the pass started. */
  wokeAt: string;
  /** wokeAt - scheduled, for an RTC wake: how far the RTC and the resume path are off. */
  driftSeconds?: number;
}

/** What suspend leaves for the next wake. */
export interface PowerState {
  scheduledWake: string;
  mode: Config['suspend']['mode'];
  armedAt: string;
  /** Set when a pass has classified this wake, so that a second pass by hand is not "the alarm" again. */
  wakeSeenAt?: string;
}

export const PING_EVENTS = ['start', 'success', 'fail'] as const;
export type PingEvent = (typeof PING_EVENTS)[number];

/** One heartbeat as it happened; kept as it is when it has to wait in the queue. */
export interface Ping {
  event: PingEvent;
  /** 0 for start and success. */
  exitCode: number;
  /** When it happened (ISO), which is not when a queued ping is delivered. */
  time: string;
  /** The pass's run id; none for a ping sent by hand, which the monitor pairs with the last start sent by hand. */
  runId?: string;
  node: string;
  /** One line: "FAILED (40) rsync transfer failed: sync images: …". */
  message: string;
  /** The log tail (fail) or the summary (start, success). */
  body: string;
}

export interface Warning {
  code: ExitCodeName;
  message: string;
}

export type StepStatus = 'ok' | 'skipped' | 'failed' | 'warning';

export interface StepRecord {
  step: string;
  status: StepStatus;
  code?: ExitCodeName;
  message: string;
  startedAt: string;
  endedAt: string;
}

export type PassOutcome = 'running' | 'completed' | 'failed' | 'interrupted';

export interface PassRecord {
  runId: string;
  pid: number;
  startedAt: string;
  endedAt?: string;
  outcome: PassOutcome;
  exitCode?: number;
  /** The pass's exit code comes from it; `source` when it was one source's failure (the others went on). */
  firstFailure?: { step: string; code: ExitCodeName; message: string; source?: string };
  warnings: Warning[];
  steps: StepRecord[];
  /** The run id of an earlier pass that was cut off (kill -9, power cut) and that this pass picked up after. */
  resumedAfter?: string;
  /** Why the node must stay up for maintenance after this pass (manual wake, the monitor, a Badger button). */
  maintenanceRequests?: string[];
  /** Why the node was awake for this pass. */
  wake?: WakeRecord;
  /** Set by cycle --if-due when the slot's pass had already run: only maintenance and suspend ran. */
  notDue?: string;
  /** Recorded while the clock was ahead (a bad RTC), as `clock accept` found: its times do not count for the clock check. */
  clockAhead?: boolean;
}

/** What the last pull of a source did: what verify checks, what status shows. */
export interface SourceRecord {
  snapshot: string;
  runId: string;
  pulledAt: string;
  /** When verify's copy check passed for it: only then may latest point at it. */
  verifiedAt?: string;
  /** latest points at it. */
  promoted: boolean;
  added: number;
  changed: number;
  bytes: number;
  /** The whole snapshot: files and bytes (the next pull's shrink check compares with it). */
  files?: number;
  totalBytes?: number;
  /** NUL-separated paths (relative to the snapshot) of the files this pull wrote. */
  transferredList: string;
}

/** What is known of one snapshot without reading its data: its size (recorded by its pull) and its copy check. */
export interface SnapshotFacts {
  files?: number;
  bytes?: number;
  /** Bytes not hard-linked to the snapshot `newAfter` (the previous one when it was pulled). */
  newBytes?: number;
  newAfter?: string;
  /** The copy check of the pull that made it: passed (it was or is latest) or found a difference (never promoted). */
  copyCheck?: 'passed' | 'failed';
}

/** One restore, as status shows it. */
export interface RestoreRecord {
  startedAt: string;
  endedAt: string;
  source: string;
  snapshot?: string;
  /** The path asked for (as shown), or absent for the whole source. */
  path?: string;
  to: string;
  files: number;
  bytes: number;
  exitCode: number;
  message: string;
}

/** What a restore request came to: kept here, published with the catalog, shown by `status`. */
export interface RequestResult {
  /** The request's file name without .json. */
  id: string;
  status: 'serving' | 'done' | 'failed';
  /** When it was taken up, then when it ended. */
  at: string;
  source?: string;
  path?: string;
  snapshot?: string;
  destination?: string;
  files?: number;
  bytes?: number;
  /** The exit code of a failed one (2 for a request that was refused). */
  code?: number;
  message: string;
  /** The request file's size and mtime: the same name saved anew is answered, not served. */
  fingerprint?: string;
  /** Who asked (the folder it was found in), with people configured. */
  person?: string;
}

/** A file the scrub found differing from its manifest, waiting to be healed from its source at the next pull. */
export interface RotRecord {
  /** The snapshot it was found in, and its name there (a byte name). */
  snapshot: string;
  name: string;
  /** The manifest's XXH64: what the good bytes hash to. */
  hash: string;
  foundAt: string;
  /** Why the source could not give the good bytes back (it has changed the file since, or no longer has it). */
  noGoodCopy?: string;
  /** The snapshots that share the bad inode. */
  sharedBy?: string[];
}

/** A source with overdueDays: when it was first tried, and whether the last try found it away. */
export interface PresenceRecord {
  firstTried: string;
  /** When the tries began finding it away (absent: the last try reached it). */
  awaySince?: string;
  /** Why the last try found it away, in words. */
  awayReason?: string;
}

export interface State {
  version: 1;
  /** Per source with overdueDays. */
  presence?: Record<string, PresenceRecord>;
  /** Per source: files the scrub found rotten, until healed or gone with their snapshots. */
  rot?: Record<string, RotRecord[]>;
  /** Rotten files healed from their source, newest first (the last 20). */
  healed?: { source: string; at: string; message: string }[];
  /** Newest first, at most KEPT_RESTORES. */
  restores?: RestoreRecord[];
  /** Restore requests taken up, newest first, at most KEPT_REQUESTS: one that is here is never served again. */
  requests?: RequestResult[];
  /** Per source, per snapshot still in the store. */
  snapshots?: Record<string, Record<string, SnapshotFacts>>;
  /** Per source, when each scrub slice (0 … scrubDays-1) was last read in full against the manifests. */
  scrub?: { days: number; sources?: Record<string, Record<string, string>>; /** before per-source reads: one set for all */ slices?: Record<string, string> };
  sources?: Record<string, SourceRecord>;
  /** Newest first, at most KEPT_PASSES. */
  passes: PassRecord[];
  /** The wake the last suspend armed (for the wake reason of the next pass). */
  power?: PowerState;
  /** Per monitor (by a hash of its URL): pings waiting for delivery, and the body limit the server announced. */
  heartbeat?: Record<string, MonitorState>;
  /** The pass in progress; still here at the next start means it was cut off. */
  current?: PassRecord;
  /** Sources whose next pull may shrink past maxShrinkPercent, once (`sync <source> --accept-shrink`): when it was asked. */
  shrinkAccepted?: Record<string, string>;
}

export interface MonitorState {
  queue: Ping[];
  /** Pings dropped because the queue was full (reported once delivery works again). */
  dropped: number;
  bodyLimit?: number;
}

const KEPT_PASSES = 60;
const KEPT_RESTORES = 10;
/** Request ids are remembered this long: a request file left in the folder longer than that is served again. */
const KEPT_REQUESTS = 500;
/** The newest passes keep their steps (what `status` shows); older ones only their outcome, so state.json stays small. */
const DETAILED_PASSES = 5;

/** The journal is rotated past this size, one older generation kept: at most about twice this on the eMMC. */
export const JOURNAL_ROTATE_BYTES = 256 * 1024;

/** The code a failed pass shows (FAILED (N), the fail ping): its first fatal failure's, else 1 (a bug). */
export function failureCodeOf(pass: PassRecord | undefined): number {
  return pass?.firstFailure ? EXIT_CODES[pass.firstFailure.code].code : 1;
}

/** The restore requests a pass answered: what the heartbeat says and the READY screen counts. */
export function requestsOfPass(state: State, pass: PassRecord | undefined): { done: number; failed: number } {
  const answered = pass ? (state.requests ?? []).filter((request) => request.at >= pass.startedAt && request.status !== 'serving') : [];
  const done = answered.filter((request) => request.status === 'done').length;
  return { done, failed: answered.length - done };
}

export interface JournalEvent {
  time: string;
  runId: string;
  event: 'pass-start' | 'pass-end' | 'pass-interrupted' | 'step-start' | 'step-end' | 'restore' | 'shrink-accepted' | 'shrink-taken' | 'request' | 'rot-found' | 'rot-healed' | 'rot-unhealable';
  step?: string;
  status?: StepStatus;
  code?: ExitCodeName;
  message?: string;
}

/**
 * state.json (atomic), the pass in progress in current.json (atomic, small: rewritten after every step that did
 * something, so a step's cost does not grow with the history in state.json), journal.jsonl (append-only, its
 * milestones fsync'd, rotated) and the run lock, all under stateDir.
 */
export class RunState {
  readonly statePath: string;
  readonly currentPath: string;
  readonly journalPath: string;
  readonly lockPath: string;

  constructor(
    readonly directory: string,
    /** Told once when a damaged state file was put aside (half written by a failing disk). */
    private readonly onDamaged: (message: string) => void = () => undefined,
  ) {
    this.statePath = join(directory, 'state.json');
    this.currentPath = join(directory, 'current.json');
    this.journalPath = join(directory, 'journal.jsonl');
    this.lockPath = join(directory, 'lock');
  }

  ensureDirectory(): void {
    mkdirSync(this.directory, { recursive: true });
  }

  lock(command: string): RunLock {
    this.ensureDirectory();
    return RunLock.acquire(this.lockPath, command);
  }

  read(): State {
    const state = this.readOrSetAside<State>(this.statePath) ?? { version: 1, passes: this.passesFromJournal() };
    // A state written before current.json kept the pass in progress inside.
    const current = this.readOrSetAside<PassRecord>(this.currentPath) ?? state.current;
    if (current) state.current = current;
    return state;
  }

  private write(state: State): void {
    this.ensureDirectory();
    const { current, ...rest } = state;
    const passes = rest.passes.slice(0, KEPT_PASSES).map((pass, index) => (index < DETAILED_PASSES ? pass : { ...pass, steps: [] }));
    writeFileAtomic(this.statePath, JSON.stringify({ ...rest, passes }, null, 2) + '\n');
    this.recordCurrent(current);
  }

  /**
   * A file that does not parse (half written by a failing disk, or by hand) is kept aside as `<name>.damaged-<time>`
   * and the node goes on without it: a damaged state must not stop every pass until someone logs in.
   */
  private readOrSetAside<T>(path: string): T | undefined {
    try {
      return readJson<T>(path);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '')}`;
      renameSync(path, aside);
      fsyncDirectory(this.directory);
      this.onDamaged(`${path} was damaged (${error.message}); kept as ${aside}, the pass history rebuilt from the journal`);
      return undefined;
    }
  }

  /** What the journal still tells of the passes (newest first): enough for status and the clock check. */
  private passesFromJournal(): PassRecord[] {
    const events = [`${this.journalPath}.1`, this.journalPath].flatMap((path) => {
      try {
        return readFileSync(path, 'utf8')
          .split('\n')
          .flatMap((line) => {
            try {
              return [JSON.parse(line) as JournalEvent];
            } catch {
              return [];
            }
          });
      } catch {
        return [];
      }
    });
    const started = new Map(events.filter((event) => event.event === 'pass-start').map((event) => [event.runId, event.time]));
    return events
      .filter((event) => event.event === 'pass-end')
      .map((event): PassRecord => ({
        runId: event.runId,
        pid: 0,
        startedAt: started.get(event.runId) ?? event.time,
        endedAt: event.time,
        outcome: event.status === 'ok' ? 'completed' : 'failed',
        exitCode: event.code ? EXIT_CODES[event.code].code : 0,
        warnings: [],
        steps: [],
      }))
      .reverse()
      .slice(0, KEPT_PASSES);
  }

  /** The pass in progress after each step (or none once it ended): only current.json is written. */
  recordCurrent(pass: PassRecord | undefined): void {
    this.ensureDirectory();
    if (pass) writeFileAtomic(this.currentPath, JSON.stringify(pass) + '\n');
    else rmSync(this.currentPath, { force: true });
  }

  /** Every change goes through one of the typed operations below: read, change, write atomically. */
  private update(change: (state: State) => void): State {
    const state = this.read();
    change(state);
    this.write(state);
    return state;
  }

  /**
   * A pass begins: one still marked current was cut off (kill -9, power cut) and goes into the history as
   * interrupted; `wakeOf` says why we woke (it reads the state as it was), and this wake counts as seen.
   */
  beginPass(pass: PassRecord, wakeOf: (state: State) => WakeRecord): PassRecord | undefined {
    let cutOff: PassRecord | undefined;
    this.update((state) => {
      cutOff = state.current;
      if (cutOff) {
        cutOff.outcome = 'interrupted';
        state.passes.unshift(cutOff);
        pass.resumedAfter = cutOff.runId;
      }
      pass.wake = wakeOf(state);
      if (state.power) state.power.wakeSeenAt = pass.startedAt;
      state.current = pass;
    });
    return cutOff;
  }

  endPass(pass: PassRecord): void {
    this.update((state) => {
      delete state.current;
      state.passes.unshift(pass);
    });
  }

  /**
   * A pull made a snapshot: neither verified nor promoted yet. `kept` are the source's snapshots in the store: the
   * facts of the others (pruned) are dropped, so they stay bounded by retention.
   */
  recordPull(source: string, record: Omit<SourceRecord, 'verifiedAt' | 'promoted'>, facts: SnapshotFacts, kept: readonly string[]): void {
    this.update((state) => {
      state.sources = { ...state.sources, [source]: { ...record, promoted: false } };
      const known = state.snapshots?.[source] ?? {};
      const still = Object.fromEntries(kept.flatMap((snapshot) => (known[snapshot] ? [[snapshot, known[snapshot]]] : [])));
      state.snapshots = { ...state.snapshots, [source]: { ...still, [record.snapshot]: facts } };
    });
  }

  /** Files the scrub found differing from their manifests: kept (once each) for the next pull to heal. */
  recordRot(runId: string, source: string, found: RotRecord[]): void {
    this.update((state) => {
      const known = state.rot?.[source] ?? [];
      const fresh = found.filter((record) => !known.some((old) => old.name === record.name && old.hash === record.hash));
      state.rot = { ...state.rot, [source]: [...known, ...fresh] };
    });
    for (const record of found) this.journal({ runId, event: 'rot-found', status: 'failed', message: `${source}: ${record.snapshot}/${record.name} differs from its manifest` });
  }

  /** The next pull's answer for a rotten file: healed (it leaves the list), or why the source has no good copy. */
  settleRot(runId: string, source: string, record: RotRecord, outcome: { healed: true; at: string; message: string } | { healed: false; noGoodCopy: string; sharedBy: string[] }): void {
    this.update((state) => {
      const others = (state.rot?.[source] ?? []).filter((old) => !(old.name === record.name && old.hash === record.hash));
      state.rot = { ...state.rot, [source]: outcome.healed ? others : [...others, { ...record, noGoodCopy: outcome.noGoodCopy, sharedBy: outcome.sharedBy }] };
      if (outcome.healed) state.healed = [{ source, at: outcome.at, message: outcome.message }, ...(state.healed ?? [])].slice(0, 20);
    });
    const message = outcome.healed ? outcome.message : `${record.snapshot}/${record.name}: ${outcome.noGoodCopy}`;
    this.journal({ runId, event: outcome.healed ? 'rot-healed' : 'rot-unhealable', status: outcome.healed ? 'ok' : 'failed', message: `${source}: ${message}` });
  }

  /** A source that comes and goes was tried: found away (with why), or reached. The first try is kept. */
  recordPresence(source: string, at: Date, awayReason: string | undefined): PresenceRecord {
    const updated = this.update((state) => {
      const known = state.presence?.[source];
      const record: PresenceRecord = { firstTried: known?.firstTried ?? at.toISOString() };
      if (awayReason !== undefined) Object.assign(record, { awaySince: known?.awaySince ?? at.toISOString(), awayReason });
      state.presence = { ...state.presence, [source]: record };
    });
    return updated.presence![source]!;
  }

  /** The copy check of a source's last pull passed, or found a difference. */
  recordCopyCheck(source: string, passed: boolean, at: Date): void {
    this.update((state) => {
      const record = state.sources?.[source];
      if (!record) return;
      if (passed) record.verifiedAt = at.toISOString();
      const facts = state.snapshots?.[source]?.[record.snapshot];
      if (facts) facts.copyCheck = passed ? 'passed' : 'failed';
    });
  }

  /** The sources whose last pull is verified and not yet latest: the only snapshots latest may move to. */
  promotable(sources: readonly string[]): { source: string; snapshot: string }[] {
    const records = this.read().sources ?? {};
    return sources.flatMap((source) => {
      const record = records[source];
      return record?.verifiedAt && !record.promoted ? [{ source, snapshot: record.snapshot }] : [];
    });
  }

  markPromoted(source: string): void {
    this.update((state) => {
      const record = state.sources?.[source];
      if (!record?.verifiedAt) throw new Error(`${source}: latest may only move to a verified snapshot`);
      record.promoted = true;
    });
  }

  recordScrub(days: number, reads: Record<string, Record<string, string>>): void {
    this.update((state) => {
      state.scrub = { days, sources: reads };
    });
  }

  /**
   * The operator says the clock is right now: the passes recorded with times after it were recorded while the clock
   * was ahead, and no longer make today's clock look like it went back. Returns how many.
   */
  acceptClock(now: Date): number {
    let marked = 0;
    this.update((state) => {
      for (const pass of state.passes) {
        if (Date.parse(pass.endedAt ?? pass.startedAt) > now.getTime() && !pass.clockAhead) {
          pass.clockAhead = true;
          marked++;
        }
      }
    });
    return marked;
  }

  /** A restore ended (restored or failed): kept for status, and written to the journal. */
  recordRestore(runId: string, record: RestoreRecord): void {
    this.update((state) => {
      state.restores = [record, ...(state.restores ?? [])].slice(0, KEPT_RESTORES);
    });
    this.journal({ runId, event: 'restore', message: `${record.message} (exit ${record.exitCode})` });
  }

  /**
   * A restore request taken up ('serving', written before the restore starts: a pass cut off while serving it does
   * not serve it again), then its result, replacing the earlier record of the same id.
   */
  recordRequest(runId: string, result: RequestResult): void {
    this.update((state) => {
      state.requests = [result, ...(state.requests ?? []).filter((known) => known.id !== result.id)].slice(0, KEPT_REQUESTS);
    });
    this.journal({ runId, event: 'request', status: result.status === 'failed' ? 'failed' : 'ok', message: `${result.id}: ${result.status}: ${result.message}` });
  }

  /** The operator says a source shrank on purpose: its next completed pull may shrink past the guard, once. */
  acceptShrink(runId: string, source: string, at: Date): void {
    this.update((state) => {
      state.shrinkAccepted = { ...state.shrinkAccepted, [source]: at.toISOString() };
    });
    this.journal({ runId, event: 'shrink-accepted', message: `${source}: the next pull may shrink past maxShrinkPercent, once` });
  }

  /** A pull took the shrink that was accepted: the guard is armed again for the pulls after it. */
  takeShrink(runId: string, source: string, message: string): void {
    this.update((state) => {
      const { [source]: _taken, ...rest } = state.shrinkAccepted ?? {};
      state.shrinkAccepted = rest;
    });
    this.journal({ runId, event: 'shrink-taken', message: `${source}: ${message}` });
  }

  /** The alarm suspend armed: the next pass tells an RTC wake from a manual one by it. */
  armWake(power: PowerState): void {
    this.update((state) => {
      state.power = power;
    });
  }

  /** Each monitor's undelivered pings and announced body limit, by monitor key (never its URL). */
  saveMonitors(monitors: Record<string, MonitorState>): void {
    this.update((state) => {
      state.heartbeat = monitors;
    });
  }

  journal(event: Omit<JournalEvent, 'time'>): void {
    this.ensureDirectory();
    const fd = openSync(this.journalPath, 'a', 0o644);
    let size: number;
    try {
      appendFileSync(fd, JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
      if (isMilestone(event)) fsyncSync(fd);
      size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    if (size > JOURNAL_ROTATE_BYTES) {
      renameSync(this.journalPath, `${this.journalPath}.1`);
      fsyncDirectory(this.directory);
    }
  }
}

/**
 * The events fsync'd as they are written. A step's start is not: the end of the step, or the kernel's write-back
 * within seconds, takes it to the disk, and after a power cut current.json still says which steps were done. Nor the
 * end of a step that was skipped: it changed nothing. Each fsync is a flush of the disk's cache; a pass of 15 steps
 * wrote 32 of them.
 */
function isMilestone(event: Omit<JournalEvent, 'time'>): boolean {
  return event.event !== 'step-start' && !(event.event === 'step-end' && event.status === 'skipped');
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
