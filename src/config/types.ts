import type { PROGRAMS } from './schema.js';

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
  verify: { scrubDays: number; scrubCatchUp: number };
  sources: Source[];
  retention: { daily: number; weekly: number; monthly: number };
  system: { root: string; programs: Programs };
  heartbeat: {
    monitors: Monitor[];
    timeoutSeconds: number;
    retries: number;
    queueSize: number;
    maintenanceUrl?: string;
  };
  notify: { onWarning: boolean; targets: AlertTarget[] };
  schedule: { times: string[]; minMarginMinutes: number; wakeToleranceMinutes: number; networkSettleSeconds: number };
  suspend: { mode: 'suspend' | 'mem' | 'poweroff' | 'none'; rtc: string };
  maintenance: { checkMinutes: number; maxHours: number; backupFirst: boolean };
  display: { port: string; timeoutSeconds: number; preview?: string; api: 'old' | 'new' };
  check: {
    smartDevice?: string;
    warnTemperatureC: number;
    maxTemperatureC: number;
    internetUrl?: string;
    internetRequired: boolean;
    sshService: string;
  };
}

export type Program = (typeof PROGRAMS)[number];
export type Programs = Record<Program, string>;

export interface Monitor {
  style: 'healthchecks' | 'uptime-kuma' | 'template';
  url: string;
  method: 'GET' | 'POST';
}

export interface AlertTarget {
  kind: 'slack' | 'ntfy' | 'webhook';
  url: string;
  token?: string;
  priority: number;
  tags: string[];
}
