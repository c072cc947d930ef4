import type { ExitCodeName } from './exit-codes.js';

/**
 * An expected failure a user can cause or fix: printed as one line (what, where) plus an optional hint,
 * and mapped to its exit code. Anything else that is thrown is a bug (exit 1, with a stack).
 */
/** What the system says when a place refuses a write: the disk or the directory, not odbackup, is at fault. */
const REFUSALS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
};

/** "cannot write /var/lib/odbackup/state.json: read-only file system", for an fs error that is a refusal; else undefined. */
export function writeRefusal(error: unknown): string | undefined {
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  const reason = code ? REFUSALS[code] : undefined;
  if (!reason) return undefined;
  const where = path === undefined ? '' : ` ${Buffer.isBuffer(path) ? path.toString() : path}`;
  return `cannot ${syscall ?? 'write'}${where}: ${reason}`;
}

export class OdbackupError extends Error {
  constructor(
    readonly codeName: ExitCodeName,
    message: string,
    readonly hint?: string,
    /** Further lines, one per problem (every configuration problem at once). */
    readonly details?: string[],
  ) {
    super(message);
    this.name = 'OdbackupError';
  }
}
