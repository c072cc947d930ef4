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

/** A directory (an ordinary path) and a byte name below it, as the Buffer path fs takes. */
export function bytePath(directory: string, name: ByteName): Buffer {
  return Buffer.concat([Buffer.from(directory), Buffer.from('/'), nameBytes(name)]);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How output shows a byte name. */
export function shownName(name: ByteName): string {
  const bytes = nameBytes(name);
  try {
    return utf8.decode(bytes);
  } catch {
    return Array.from(bytes, (byte) => (byte < 0x80 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
  }
}
