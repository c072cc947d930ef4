import type { FromSchema } from 'json-schema-to-ts';
import type { configSchema, PROGRAMS } from './schema.js';

/**
 * The configuration's types, derived from the schema (config/schema.ts): one edit there changes both. This is the
 * configuration as the loader returns it: validated, every default filled in, paths absolute, each source's kind.
 */
type Validated = FromSchema<typeof configSchema>;
type SourceEntry = Validated['sources'][number];

export type SshOptions = NonNullable<SourceEntry['ssh']>;
export type IntegrityOptions = SourceEntry['integrity'];

type SourceBase = Omit<SourceEntry, 'from' | 'ssh' | 'repositories'>;

/** Pulled with rsync from a local directory or over ssh. */
export type RsyncSource = SourceBase & { kind: 'rsync'; from: string; ssh?: SshOptions };

/** Git repositories kept as mirrors, then snapshotted like any local directory. */
export type GitSource = SourceBase & { kind: 'git'; repositories: string[] };

export type Source = RsyncSource | GitSource;

export type Config = Omit<Validated, 'sources' | '$schema'> & { sources: Source[] };

export type Program = (typeof PROGRAMS)[number];
export type Programs = Validated['system']['programs'];
export type Monitor = Validated['heartbeat']['monitors'][number];
export type AlertTarget = Validated['notify']['targets'][number];
