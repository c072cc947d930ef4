import { closeSync, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import { OdbackupError } from '../errors.js';

/**
 * File names are bytes, not text (a Latin-1 tree, a name that is not UTF-8). Inside odbackup a name is carried as
 * a byte name: a string with one character per byte (Latin-1), so that every byte sequence survives the walk, the
 * manifest, rsync's lists and the copy check unchanged. Paths for fs are built as Buffers; output shows names as
 * UTF-8 where they are, and invalid bytes as \xNN.
 */
export type ByteName = string;

export function nameBytes(name: ByteName): Buffer {
  return Buffer.from(name, 'latin1');
}

export function byteName(bytes: Uint8Array): ByteName {
  return Buffer.from(bytes).toString('latin1');
}

/** A directory's entries, named by byte names: fs decodes them as Latin-1 itself, a third faster than a Buffer each. */
export function byteEntries(directory: Buffer): Dirent[] {
  return readdirSync(directory, { withFileTypes: true, encoding: 'latin1' });
}

/** A directory (an ordinary path) and a byte name below it, as the Buffer path fs takes. */
export function bytePath(directory: string, name: ByteName): Buffer {
  return Buffer.concat([Buffer.from(directory), Buffer.from('/'), nameBytes(name)]);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How output shows a byte name. */
export function shownName(name: ByteName): string {
  // Most names are ASCII, which shows as it is: no bytes to decode.
  if (!/[\x80-\xff]/.test(name)) return name;
  const bytes = nameBytes(name);
  try {
    return utf8.decode(bytes);
  } catch {
    return Array.from(bytes, (byte) => (byte < 0x80 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
  }
}

/** A name typed as output shows it (UTF-8, \xNN for a byte that is not): back to its bytes. */
export function typedName(text: string): ByteName {
  // Most names are ASCII without a \xNN: already their bytes, one character each.
  if (!/[^\x00-\x7f]|\\x/.test(text)) return text;
  return byteName(Buffer.from(text, 'utf8')).replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * A path inside a snapshot as an operator gives it: relative, without `..` or NUL (exit 2 otherwise), so it can
 * never name anything outside the snapshot. `./a/b/` is `a/b`.
 */
export function pathInSnapshot(text: string): ByteName {
  const refuse = (why: string) =>
    new OdbackupError('usage', `the path "${text.replace(/\0/g, '\\0')}" ${why}`, 'give a path as `odbackup find` shows it, relative to the source');
  const typed = typedName(text);
  if (typed.includes('\0')) throw refuse('contains a NUL byte');
  if (typed.startsWith('/')) throw refuse('is absolute');
  const parts = typed.split('/').filter((part, index, all) => !(part === '.' || (part === '' && (index === 0 || index === all.length - 1))));
  if (parts.includes('..')) throw refuse('leaves the snapshot (..)');
  if (parts.length === 0 || parts.includes('')) throw refuse('is empty or has an empty part');
  return parts.join('/');
}

/**
 * A file's records (its lines, or a NUL-separated list of names) as byte names, in 64 KiB reads: a list of a
 * million names is never held in memory, and the text of each read is small enough for the young generation (a
 * string over 128 KiB goes straight to the old one, which only a full collection empties). Empty records are
 * skipped. Synchronous on purpose: per-record promises (readline's async iterator) cost more than the reading.
 */
export function* readRecords(path: string, separator: '\n' | '\0'): Generator<ByteName> {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let pending = '';
  try {
    for (let read = readSync(fd, buffer); ; read = readSync(fd, buffer)) {
      // One character per byte: no character across a read boundary.
      const text = read > 0 ? pending + buffer.toString('latin1', 0, read) : pending + separator;
      let start = 0;
      for (let end = text.indexOf(separator); end >= 0; end = text.indexOf(separator, start)) {
        if (end > start) yield text.slice(start, end);
        start = end + 1;
      }
      pending = text.slice(start);
      if (read === 0) break;
    }
  } finally {
    closeSync(fd);
  }
}
