import { createRequire } from 'node:module';
import { expandPattern } from '../config/patterns.js';

/** The expected patterns (after expansion; glob characters allowed) that match no file under directory. */
export async function missingExpectedFiles(directory: string, patterns: readonly string[], now: Date): Promise<string[]> {
  if (patterns.length === 0) return [];
  // Loaded when a source expects files: not at every start of the CLI, nor for a source that expects none.
  const fg = createRequire(import.meta.url)('fast-glob') as typeof import('fast-glob');
  const missing: string[] = [];
  for (const pattern of patterns) {
    const expanded = expandPattern(pattern, now);
    const found = await fg(expanded, { cwd: directory, dot: true, onlyFiles: true, caseSensitiveMatch: true });
    if (found.length === 0) missing.push(expanded);
  }
  return missing;
}
