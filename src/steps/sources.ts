import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { keyFingerprint, scanHostKeys } from '../adapters/ssh.js';
import { editConfig, previousConfigPath } from '../config/edit.js';
import { isRemoteLocation } from '../config/load.js';
import type { Config, RsyncSource } from '../config/types.js';
import { localTime } from '../power/schedule.js';
import { table } from '../render.js';
import { counted, durationText } from '../words.js';
import { snapshotDate } from '../store/snapshots.js';
import { sourceHost, sourcePresence } from '../sync/presence.js';
import { failed, ok, type Context, type Step } from './types.js';

const ACTIONS = ['list', 'add', 'remove'] as const;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
/** Where a node keeps its pull key and the sources' host keys when no ssh source names them yet. */
const DEFAULT_SSH = { identityFile: '/etc/odbackup/id_ed25519', knownHostsFile: '/etc/odbackup/known_hosts' };

interface SourcesOptions {
  from?: string;
  overdueDays?: number;
  group?: string;
  port?: number;
  yes?: boolean;
}

interface SourceRow {
  name: string;
  group: string;
  from: string;
  lastSaved?: string;
  age?: string;
  state: string;
}

function list(ctx: Context): SourceRow[] {
  const state = ctx.state.read();
  const now = ctx.now();
  const presence = sourcePresence(ctx.config, state, now);
  return ctx.config.sources.map((source) => {
    const pulled = state.sources?.[source.name];
    const lastSaved = pulled?.promoted ? pulled.snapshot : undefined;
    const comesAndGoes = presence.find((entry) => entry.source === source.name);
    const age = lastSaved ? `${durationText(now.getTime() - snapshotDate(lastSaved).getTime())} ago` : undefined;
    const stateText = comesAndGoes ? (comesAndGoes.overdue ? 'overdue' : comesAndGoes.away ? 'away' : 'here') : '';
    return { name: source.name, group: source.group, from: source.kind === 'git' ? `${source.repositories.length} git repositories` : source.from, lastSaved, age, state: stateText };
  });
}

/** The ssh settings the other sources use: the node's pull key and the known_hosts file. */
function sshOfOthers(config: Config): { identityFile: string; knownHostsFile: string } {
  const other = config.sources.find((source): source is RsyncSource => source.kind === 'rsync' && Boolean(source.ssh?.identityFile));
  return { identityFile: other?.ssh?.identityFile ?? DEFAULT_SSH.identityFile, knownHostsFile: other?.ssh?.knownHostsFile ?? DEFAULT_SSH.knownHostsFile };
}

async function confirmed(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

/** The XS's registration: the laptop's host key (asked once, confirmed), the authorized_keys line, the configuration. */
async function add(ctx: Context, name: string | undefined, options: SourcesOptions) {
  const { config } = ctx;
  if (!name || !NAME.test(name)) return failed('usage', `a source is named with lower-case letters, digits, ".", "_" and "-"${name ? `, not "${name}"` : ''}`);
  if (config.sources.some((source) => source.name === name || source.group === name)) return failed('usage', `a source or group named "${name}" is already configured`);
  const from = options.from ?? '';
  const match = /^([^@/\s]+)@([^:/\s]+|\[[^\]]+\]):(\/.*)$/.exec(from);
  if (!isRemoteLocation(from) || !match) return failed('usage', `--from must be user@host:/path, not "${from}"`, 'the folder on the laptop to back up, as its owner reaches it over ssh');
  const [, user, , path] = match as unknown as [string, string, string, string];
  const host = sourceHost(from);
  const port = options.port ?? 22;
  const ssh = sshOfOthers(config);
  const publicKey = `${ssh.identityFile}.pub`;
  if (!existsSync(publicKey)) return failed('usage', `the node's pull key ${publicKey} is missing`, `make it once: ssh-keygen -t ed25519 -N '' -f ${ssh.identityFile}`);
  const scanned = await scanHostKeys(config.system.programs, host, port, 5);
  if ('error' in scanned) return failed('sourceUnreachable', `${host} port ${port} did not show its host key: ${scanned.error}`, 'is the laptop on the network, with its ssh server running?');
  const key = scanned.lines.find((line) => line.split(' ')[1] === 'ssh-ed25519') ?? scanned.lines[0]!;
  const hostField = port === 22 ? host : `[${host}]:${port}`;
  const knownLine = `${hostField} ${key.split(' ').slice(1).join(' ')}`;
  const known = existsSync(ssh.knownHostsFile) && readFileSync(ssh.knownHostsFile, 'utf8').split('\n').includes(knownLine);
  const fingerprint = await keyFingerprint(config.system.programs, knownLine);
  if (!known && !options.yes) {
    if (!process.stdin.isTTY) return failed('usage', `the host key of ${hostField} is new (${fingerprint}): confirm it on a terminal, or give --yes`);
    if (!(await confirmed(`${hostField} shows the host key ${fingerprint}. Is that the laptop's? [y/N] `))) return failed('usage', 'the host key was not accepted: nothing was changed');
  }
  const written = editConfig(ctx.configPath, (document) => {
    const source: Record<string, unknown> = { name, group: options.group ?? 'laptops', from: `${user}@${match[2]}:/`, ssh: { ...(port === 22 ? {} : { port }), ...ssh } };
    if (options.overdueDays !== undefined) source.overdueDays = options.overdueDays;
    (document.sources as unknown[]).push(source);
  });
  if (!known) appendFileSync(ssh.knownHostsFile, `${knownLine}\n`, { mode: 0o644 });
  const authorized = `command="rrsync -ro ${path}",restrict ${readFileSync(publicKey, 'utf8').trim()}`;
  return ok(`${name} added (${written.sources.length} sources); ${known ? 'its host key was known' : `its host key (${fingerprint}) is in ${ssh.knownHostsFile}`}; the previous configuration is ${previousConfigPath(ctx.configPath)}`, {
    source: name,
    fingerprint,
    authorizedKeys: authorized,
    next: `put this line into ~${user}/.ssh/authorized_keys on the laptop (it may read ${path} and nothing else):`,
  });
}

function remove(ctx: Context, name: string | undefined) {
  if (!name || !ctx.config.sources.some((source) => source.name === name)) return failed('usage', `no source named "${name ?? ''}"`, `sources: ${ctx.config.sources.map((source) => source.name).join(', ')}`);
  const written = editConfig(ctx.configPath, (document) => {
    document.sources = (document.sources as { name: string }[]).filter((source) => source.name !== name);
  });
  return ok(`${name} removed (${written.sources.length} sources left); its snapshots stay until retention removes them; the previous configuration is ${previousConfigPath(ctx.configPath)}`, { source: name });
}

export const sourcesStep: Step<SourcesOptions> = {
  name: 'sources',
  summary: 'list the sources (last complete snapshot, its age, away or overdue); add a laptop (its host key, the authorized_keys line, the configuration) or remove one',
  arguments: [
    { name: 'action', description: ACTIONS.join(' | '), choices: ACTIONS },
    { name: 'name', description: 'the source to add or remove' },
  ],
  options: [
    { flags: '--from <location>', description: 'add: user@host:/path, the folder to back up on the laptop' },
    { flags: '--overdue-days <days>', description: 'add: a laptop that comes and goes: FAILED (46) only when not saved for this many days', integer: { min: 1, max: 366 } },
    { flags: '--group <group>', description: 'add: its group (default laptops)' },
    { flags: '--port <port>', description: "add: the laptop's ssh port (default 22)", integer: { min: 1, max: 65535 } },
    { flags: '--yes', description: "add: accept the laptop's host key without asking (scripts)" },
  ],
  locked: false,
  async run(ctx, { args: [action = 'list', name], options }) {
    if (action === 'add') return add(ctx, name, options);
    if (action === 'remove') return remove(ctx, name);
    const rows = list(ctx);
    return ok(`${counted(rows.length, 'source')}`, rows);
  },
  render(result) {
    const data = result.data as SourceRow[] | { authorizedKeys?: string; next?: string } | undefined;
    if (Array.isArray(data))
      return table(
        ['source', 'group', 'from', 'last complete snapshot', 'age', ''],
        data.map((row) => [row.name, row.group, row.from, row.lastSaved ? localTime(snapshotDate(row.lastSaved)) : 'none', row.age ?? '', row.state]),
      );
    return data?.authorizedKeys ? `${result.message}\n${data.next}\n${data.authorizedKeys}` : result.message;
  },
};
