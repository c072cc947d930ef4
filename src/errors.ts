import type { ExitCodeName } from './exit-codes.js';

/**
 * An expected failure a user can cause or fix: printed as one line (what, where) plus an optional hint,
 * and mapped to its exit code. Anything else that is thrown is a bug (exit 1, with a stack).
 */
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
