import { copyFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../state/atomic.js';
import { configFromDocument, readConfigDocument } from './load.js';
import type { Config } from './types.js';

/** Where the configuration as it was before an edit is kept: one step back, by hand. */
export const previousConfigPath = (file: string) => `${file}.previous`;

/**
 * Changes the configuration file as a person would: the document as written (not the one with defaults filled in),
 * changed, checked whole (a change that makes it invalid is refused and nothing is written), the previous file kept
 * beside it, the new one written atomically with the old one's permissions (it may hold secrets).
 */
export function editConfig(file: string, change: (document: Record<string, unknown>) => void): Config {
  const document = readConfigDocument(file) as Record<string, unknown>;
  change(document);
  const config = configFromDocument(structuredClone(document), file);
  const mode = statSync(file).mode & 0o777;
  copyFileSync(file, previousConfigPath(file));
  writeFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`, mode);
  return config;
}
