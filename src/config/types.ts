/** The configuration after validation and resolution: paths absolute, defaults filled in. */
export interface SshOptions {
  port: number;
  identityFile?: string;
  knownHostsFile?: string;
  connectTimeout: number;
}

export interface IntegrityOptions {
  publicKey?: string;
  sha256sums: boolean;
  gzip: boolean;
}

interface SourceBase {
  name: string;
  group: string;
  include: string[];
  exclude: string[];
  bwlimit?: string;
  timeout: number;
  retries: number;
  expect: string[];
  integrity: IntegrityOptions;
}

/** Pulled with rsync from a local directory or over ssh. */
export interface RsyncSource extends SourceBase {
  kind: 'rsync';
  from: string;
  ssh?: SshOptions;
}

/** Git repositories kept as mirrors, then snapshotted like any local directory. */
export interface GitSource extends SourceBase {
  kind: 'git';
  repositories: string[];
}

export type Source = RsyncSource | GitSource;

export interface Config {
  node: string;
  stateDir: string;
  storage: {
    path: string;
    device?: string;
    fsType: 'ext4';
    mountOptions: string[];
    afterPass: 'ro' | 'unmounted';
    minFreeGiB: number;
  };
  verify: { scrubDays: number };
  sources: Source[];
  retention: { daily: number; weekly: number; monthly: number };
}
