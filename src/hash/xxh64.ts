import { closeSync, openSync, readSync } from 'node:fs';
import xxhash from 'xxhash-wasm';

const CHUNK = 4 * 1024 * 1024;

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let instance: Promise<Hasher> | undefined;
const hasher = () => (instance ??= xxhash());

/** XXH64 as xxh64sum prints it: 16 hex digits, big-endian (REFERENCE §8). */
export function hex(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

/** Hashes a file by streaming it through one reused buffer: memory does not grow with the file. */
export async function xxh64File(path: string, buffer = Buffer.allocUnsafe(CHUNK)): Promise<{ hash: string; bytes: number }> {
  const { create64 } = await hasher();
  const state = create64();
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      state.update(buffer.subarray(0, read));
      bytes += read;
    }
  } finally {
    closeSync(fd);
  }
  return { hash: hex(state.digest()), bytes };
}

/** XXH32 of a string, synchronous once loaded (the scrub picks its slice with it for every manifest line). */
export async function loadH32(): Promise<(text: string) => number> {
  const { h32 } = await hasher();
  return (text) => h32(text);
}
