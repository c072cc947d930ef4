import type { SshOptions } from '../config/types.js';
import { counted } from '../words.js';
import { exec, lastLine, type ExecResult } from '../exec.js';

/** The ssh command rsync runs (its -e string, which rsync splits itself; no shell is involved). */
export function sshCommand(ssh: SshOptions): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  const words = ['ssh', '-p', String(ssh.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `ConnectTimeout=${ssh.connectTimeout}`];
  if (ssh.identityFile) words.push('-o', 'IdentitiesOnly=yes', '-i', ssh.identityFile);
  if (ssh.knownHostsFile) words.push('-o', `UserKnownHostsFile=${ssh.knownHostsFile}`);
  return words.map(quote).join(' ');
}

export interface RsyncRequest {
  /** A directory: `/srv/dumps` or `user@host:/var/backups` (a trailing slash is added: copy its contents). */
  from: string;
  to: string;
  ssh?: SshOptions;
  /** Unchanged files are hard-linked from the first of these that has them (absolute; rsync takes up to 20). */
  linkDests?: readonly string[];
  include?: readonly string[];
  exclude?: readonly string[];
  bwlimit?: string;
  timeout?: number;
  dryRun?: boolean;
  checksum?: boolean;
  /** NUL-separated list of paths, relative to from: only these are considered. */
  filesFrom?: string;
  progress?: boolean;
  /**
   * pull (the default): mirror the source, deleting what it no longer has, keeping interrupted files to resume;
   * compare (verify, with checksum and dryRun): nothing deleted or kept; restore: add and replace, never delete,
   * the listed paths taken whole (--recursive).
   */
  purpose?: 'pull' | 'compare' | 'restore';
  /** Files put in place only at the end of the transfer (a remote restore's staging; it doubles a local copy's cost). */
  delayUpdates?: boolean;
  /** Every file itemized (`-ii`), an unchanged or hard-linked one too (`.f`, `hf`): the whole list with sizes. */
  listEveryFile?: boolean;
}

/** The partial-dir rsync keeps interrupted files in, inside each destination directory. */
export const RSYNC_PARTIAL_DIR = '.rsync-partial';

// --files-from turns off the --recursive that --archive implies: a restore of a directory asks for it again.
const PURPOSE_ARGS = {
  pull: ['--delete', `--partial-dir=${RSYNC_PARTIAL_DIR}`],
  compare: [],
  restore: ['--recursive'],
} as const;

/** One expression: the argv of an rsync pull, comparison or restore (REFERENCE §7). */
export function rsyncArgs(request: RsyncRequest): string[] {
  const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);
  return [
    '--archive',
    '--numeric-ids',
    ...PURPOSE_ARGS[request.purpose ?? 'pull'],
    '--itemize-changes',
    ...(request.listEveryFile ? ['--itemize-changes'] : []),
    '--out-format=%i %l %n',
    ...(request.progress ? ['--info=progress2'] : []),
    ...(request.ssh ? ['--rsh', sshCommand(request.ssh)] : []),
    ...(request.linkDests ?? []).map((dir) => `--link-dest=${dir}`),
    ...(request.include ?? []).map((pattern) => `--include=${pattern}`),
    ...(request.exclude ?? []).map((pattern) => `--exclude=${pattern}`),
    ...(request.bwlimit ? [`--bwlimit=${request.bwlimit}`] : []),
    ...(request.timeout ? [`--timeout=${request.timeout}`] : []),
    ...(request.checksum ? ['--checksum'] : []),
    ...(request.delayUpdates ? ['--delay-updates'] : []),
    ...(request.dryRun ? ['--dry-run'] : []),
    ...(request.filesFrom ? ['--from0', `--files-from=${request.filesFrom}`] : []),
    withSlash(request.from),
    withSlash(request.to),
  ];
}

export interface ItemizedChange {
  /** `%i`, e.g. `>f+++++++++` */
  flags: string;
  size: number;
  name: string;
}

/** rsync escapes unprintable bytes in names as `\#ooo` (octal): back to a byte name (one character per byte). */
function unescapeName(name: string): string {
  return name.replace(/\\#([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

// Attributes that did not change are dots, or spaces when none did (an unchanged or hard-linked file under -ii).
const ITEMIZED = /^([<>ch.*][fdLDS](?:\S{9}| {9})|\*deleting\s*) (\d+) (.*)$/;

export function parseItemized(line: string): ItemizedChange | undefined {
  const match = ITEMIZED.exec(line);
  if (!match) return undefined;
  return { flags: match[1]!.trim(), size: Number(match[2]), name: unescapeName(match[3]!) };
}

/** A regular file whose content was written into the destination: `>f` received here, `<f` sent to a remote one. */
export function isTransferredFile(change: ItemizedChange): boolean {
  return /^[<>]f/.test(change.flags);
}

/** rsync exit codes worth another try (network, timeouts, a dropped connection); REFERENCE §7. */
export const RETRYABLE_EXIT_CODES = new Set([5, 10, 12, 30, 35, 255]);

/** stderr texts that no retry can fix although the exit code looks retryable. */
const PERMANENT_SSH_ERRORS =
  /Host key verification failed|Permission denied|REMOTE HOST IDENTIFICATION HAS CHANGED|No route to host|Could not resolve hostname/;

export type RsyncFailureKind = 'unreachable' | 'sourceMissing' | 'diskFull' | 'storeReadOnly' | 'transfer';

export interface RsyncFailure {
  kind: RsyncFailureKind;
  retryable: boolean;
  message: string;
  /** rsync's own lines about what failed (bounded): for the log and the heartbeat. */
  lines?: string[];
}

/** The lines where rsync names a file it could not handle, and why: `rsync: [sender] send_files failed to open "x": Permission denied (13)`. */
function fileErrors(stderr: string): { line: string; path: string; reason: string }[] {
  return stderr.split('\n').flatMap((line) => {
    const match = /^rsync: (?:\[\w+\] )?.*? "(.*)"(?: \(in [^)]*\))?(?: failed)?: (.*) \(\d+\)$/.exec(line.trim());
    return match ? [{ line: line.trim(), path: match[1]!, reason: match[2]! }] : [];
  });
}

const MAX_LINES = 10;

/** What went wrong, in one line, from rsync's exit code and its last words. */
export function classifyRsyncFailure(result: ExecResult): RsyncFailure {
  const stderr = result.stderr;
  const code = result.exitCode ?? -1;
  const files = fileErrors(stderr);
  const lines = files.slice(0, MAX_LINES).map((file) => file.line);
  const said = lines.length > 0 ? { lines } : {};
  if (/No space left on device|Disk quota exceeded/.test(stderr))
    return { kind: 'diskFull', retryable: false, message: 'the store is full (No space left on device)' };
  const readOnly = files.find((file) => file.reason === 'Read-only file system');
  if (readOnly) return { kind: 'storeReadOnly', retryable: false, message: `the store is read-only (Read-only file system: ${readOnly.path})`, ...said };
  const missing = /(?:change_dir|link_stat) "([^"]*)" failed: No such file or directory/.exec(stderr);
  if (missing && code === 23) return { kind: 'sourceMissing', retryable: false, message: `the source directory ${missing[1]} does not exist` };
  // rrsync refuses a path outside what it exports before rsync starts: exit 12 with its own line.
  const refused = /rrsync error: (.*)/.exec(stderr);
  if (refused) return { kind: 'sourceMissing', retryable: false, message: `the source refused the path: ${refused[1]!.trim()}` };
  const sshLine = stderr
    .split('\n')
    .find((line) => PERMANENT_SSH_ERRORS.test(line) || /Connection refused|Connection timed out|Connection closed|timed out/.test(line));
  if (code === 255 || code === 5 || code === 35 || (code === 12 && sshLine)) {
    return { kind: 'unreachable', retryable: !PERMANENT_SSH_ERRORS.test(stderr), message: `source unreachable: ${sshLine?.trim() ?? lastLine(stderr)}` };
  }
  if (code === 30 || code === 10) return { kind: 'unreachable', retryable: true, message: `source stopped answering: ${lastLine(stderr)}` };
  const unreadable = files.filter((file) => !/set times|chown|chgrp/.test(file.line));
  if ((code === 23 || code === 24) && unreadable.length > 0) {
    const named = unreadable
      .slice(0, 3)
      .map((file) => `"${file.path}" (${file.reason})`)
      .join(', ');
    const more = unreadable.length > 3 ? ` and ${unreadable.length - 3} more` : '';
    return {
      kind: 'transfer',
      retryable: false,
      message: `${counted(unreadable.length, 'file')} could not be copied: ${named}${more}`,
      ...said,
    };
  }
  return { kind: 'transfer', retryable: RETRYABLE_EXIT_CODES.has(code), message: `rsync exit ${code}: ${lastLine(stderr) || 'no message'}`, ...said };
}

export interface RsyncRunOptions {
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  onChange?: (change: ItemizedChange) => void;
}

/**
 * A whole transfer's bound: a first pull of terabytes takes hours, and the next pass is due in a day. What a
 * stalled connection costs is bounded much sooner by the source's --timeout.
 */
const RSYNC_MS = 20 * 3_600_000;

/** Runs rsync; itemized changes are passed on as they arrive (a first pass may list a million files). */
export async function runRsync(rsync: string, request: RsyncRequest, options: RsyncRunOptions = {}): Promise<ExecResult> {
  return exec(rsync, rsyncArgs(request), {
    signal: options.signal,
    timeout: RSYNC_MS,
    // The C locale: rsync then escapes every byte outside printable ASCII as \#ooo, whatever the names are encoded
    // in, and parseItemized gives the exact bytes back (store/names.ts).
    env: { LC_ALL: 'C' },
    onStdoutLine(line) {
      // --info=progress2 rewrites its line with \r; an itemized line may follow the last \r.
      const parts = line.split('\r');
      const last = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) options.onProgress?.(part.trim());
      const change = parseItemized(last);
      if (change) options.onChange?.(change);
      else if (last.trim()) options.onProgress?.(last.trim());
    },
  });
}
