import { OdbackupError } from '../errors.js';
import type { Config, Source } from './types.js';

/** `sync`, `sync <group>` or `sync <source>`: the sources meant, in configuration order. */
export function sourcesFor(config: Config, target: string | undefined): Source[] {
  return selectSources(config.sources, target);
}

/** The sources a target names (a group or a source; all when none), of the configuration or of a catalog. */
export function selectSources<T extends { name: string; group: string }>(sources: readonly T[], target: string | undefined): T[] {
  if (!target) return [...sources];
  const selected = sources.filter((source) => source.name === target || source.group === target);
  if (selected.length === 0) {
    const known = [...new Set(sources.flatMap((source) => [source.group, source.name]))].join(', ');
    throw new OdbackupError('usage', `no source or group named "${target}" in ${sources.length} sources`, `known: ${known}`);
  }
  return selected;
}

/** The groups in the order they first appear in the configuration: the order `cycle` pulls them. */
export function groupsInOrder(config: Config): string[] {
  return [...new Set(config.sources.map((source) => source.group))];
}

/** The mirror's directory name: the URL's last path part, `https://host/org/site.git` → `site.git`. */
export function mirrorName(url: string): string {
  const last = url
    .replace(/\/+$/, '')
    .split(/[/:]/)
    .at(-1)!
    .replace(/\.git$/, '');
  return `${last.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'repository'}.git`;
}

/** One source by its name (restore and the catalog commands take a source, not a group). */
export function sourceNamed(config: Config, name: string): Source {
  return namedSource(config.sources, name);
}

export function namedSource<T extends { name: string }>(sources: readonly T[], name: string): T {
  const source = sources.find((candidate) => candidate.name === name);
  if (!source) throw new OdbackupError('usage', `no source named "${name}"`, `sources: ${sources.map((known) => known.name).join(', ')}`);
  return source;
}
