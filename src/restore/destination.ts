import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isInside } from '../config/load.js';
import type { Config } from '../config/types.js';
import { OdbackupError, writeRefusal } from '../errors.js';
import { byteEntries, bytePath, type ByteName } from '../store/names.js';

/** Where a restore stages its files inside the destination (a rename never crosses filesystems, even on a mount point). */
export const STAGING_PREFIX = '.odbackup-restore-';

/** The deepest part of path that exists, and its real path (symlinks resolved). */
function nearestExisting(path: string): { existing: string; real: string } {
  let existing = path;
  while (!existsSync(existing)) existing = dirname(existing);
  return { existing, real: join(realpathSync(existing), relative(existing, path)) };
}

/**
 * A local destination, absolute. Refused (2) inside the store after resolving symlinks, and with a storage device
 * anywhere on the store's filesystem: a restore never writes into the store.
 */
export function localDestination(to: string, config: Config): string {
  const destination = resolve(to);
  const { existing, real } = nearestExisting(destination);
  const store = realpathSync(config.storage.path);
  if (isInside(real, store) || isInside(store, real))
    throw new OdbackupError(
      'usage',
      `the destination ${destination} is inside the store ${store} (or holds it); nothing is written`,
      'restore to a folder outside the store',
    );
  if (config.storage.device && statSync(existing).dev === statSync(store).dev)
    throw new OdbackupError(
      'usage',
      `the destination ${destination} is on the store's filesystem (${config.storage.device}); nothing is written`,
      'restore to another disk',
    );
  if (existsSync(destination) && !statSync(destination).isDirectory())
    throw new OdbackupError('usage', `the destination ${destination} is not a directory`, 'restore into a folder');
  return destination;
}

/** What a destination holds besides the leftovers of an earlier restore that was cut off (removed here). */
export function destinationEntries(destination: string): string[] {
  if (!existsSync(destination)) return [];
  const entries = readdirSync(destination);
  for (const entry of entries) if (entry.startsWith(STAGING_PREFIX)) rmSync(join(destination, entry), { recursive: true, force: true });
  return entries.filter((entry) => !entry.startsWith(STAGING_PREFIX));
}

interface Move {
  from: Buffer;
  to: Buffer;
  name: ByteName;
  replaces: boolean;
}

/**
 * The renames that put a staged tree in place: a directory the destination lacks moves whole, one it has is merged
 * into, a file replaces the one there. Planned before anything moves: a file where the destination has a directory
 * (or the other way round) refuses the whole restore, since --merge never deletes.
 */
function planMoves(stage: string, destination: string, prefix: ByteName = '', moves: Move[] = []): Move[] {
  const here = prefix ? bytePath(stage, prefix) : Buffer.from(stage);
  for (const entry of byteEntries(here)) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    const to = bytePath(destination, name);
    let there: ReturnType<typeof lstatSync> | undefined;
    try {
      there = lstatSync(to);
    } catch {
      there = undefined;
    }
    if (there && entry.isDirectory() && there.isDirectory()) planMoves(stage, destination, name, moves);
    else if (there && (entry.isDirectory() || there.isDirectory()))
      throw new OdbackupError(
        'usage',
        `${to.toString()} is in the way: a ${there.isDirectory() ? 'directory' : 'file'} where the snapshot has a ${entry.isDirectory() ? 'directory' : 'file'}; nothing was put in place`,
        '--merge never deletes: move it aside and restore again',
      );
    else moves.push({ from: bytePath(stage, name), to, name, replaces: Boolean(there) });
  }
  return moves;
}

/** Moves the staged tree into the destination; returns the names of the files it replaced. */
export function moveIntoPlace(stage: string, destination: string): ByteName[] {
  const moves = planMoves(stage, destination);
  try {
    for (const move of moves) renameSync(move.from, move.to);
  } catch (error) {
    throw new OdbackupError(
      'restoreFailed',
      `putting the restored files in place in ${destination} failed: ${writeRefusal(error) ?? (error as Error).message}`,
    );
  }
  rmSync(stage, { recursive: true, force: true });
  return moves.filter((move) => move.replaces).map((move) => move.name);
}

/** A new staging folder in the destination (created with it when missing). */
export function createStage(destination: string, id: string): { stage: string; createdDestination: boolean } {
  const createdDestination = !existsSync(destination);
  const stage = join(destination, `${STAGING_PREFIX}${id}`);
  try {
    mkdirSync(stage, { recursive: true });
  } catch (error) {
    throw new OdbackupError('restoreFailed', `cannot create ${stage}: ${writeRefusal(error) ?? (error as Error).message}`);
  }
  return { stage, createdDestination };
}

/** A failed restore leaves the destination as it was. */
export function dropStage(stage: string, destination: string, createdDestination: boolean): void {
  rmSync(createdDestination ? destination : stage, { recursive: true, force: true });
}
