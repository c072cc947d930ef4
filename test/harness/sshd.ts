import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { basename, join } from 'node:path';

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function keypair(path: string, keysOf?: string): string {
  if (keysOf) for (const suffix of ['', '.pub']) copyFileSync(join(keysOf, basename(path) + suffix), path + suffix);
  else execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'odbackup-test', '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

export interface Sshd {
  port: number;
  user: string;
  /** The node's key, authorised with `rrsync -ro <root>` (a source) or `rrsync -wo <root>` (a restore target). */
  identityFile: string;
  /** A key the source does not know. */
  strangerIdentityFile: string;
  /** Holds the server's host key. */
  knownHostsFile: string;
  /** An empty known_hosts: the host key is unknown. */
  emptyKnownHostsFile: string;
  stop(): Promise<void>;
}

/**
 * A real OpenSSH server on 127.0.0.1 with its own host key and configuration; the node's key may only run
 * `rrsync -ro` on `root` (REFERENCE §7), as on a real source server, or `rrsync -wo` (a restore target).
 */
export async function startSshd(
  dir: string,
  root: string,
  access: '-ro' | '-wo' = '-ro',
  {
    addresses = ['127.0.0.1'],
    port: fixedPort,
    keysOf,
  }: {
    /** Loopback addresses it listens on: one host each. */
    addresses?: string[];
    port?: number;
    /** Another server's folder: the same host key and node key (the same machine, back on the network). */
    keysOf?: string;
  } = {},
): Promise<Sshd> {
  mkdirSync(dir, { recursive: true });
  // sshd's privilege-separation directory (created by the service unit on a normal system).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  const hostPublic = keypair(hostKey, keysOf);
  const identityFile = join(dir, 'id_node');
  const nodePublic = keypair(identityFile, keysOf);
  const strangerIdentityFile = join(dir, 'id_stranger');
  keypair(strangerIdentityFile);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `command="rrsync ${access} ${root}",restrict ${nodePublic}\n`);
  const port = fixedPort ?? (await freePort());
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, addresses.map((address) => `[${address}]:${port} ${hostPublic.split(' ').slice(0, 2).join(' ')}\n`).join(''));
  const emptyKnownHostsFile = join(dir, 'known_hosts_empty');
  writeFileSync(emptyKnownHostsFile, '');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      ...addresses.map((address) => `ListenAddress ${address}`),
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin forced-commands-only',
      'UsePAM no',
      'LogLevel ERROR',
      // One server stands for many machines (a school's laptops, each probed at once): not one machine's limit of
      // ten connections being set up.
      'MaxStartups 200',
      '',
    ].join('\n'),
  );
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr!.on('data', (chunk) => (log += chunk));
  await waitForPort(port, () => log, addresses[0]!);
  return {
    port,
    user: userInfo().username,
    identityFile,
    strangerIdentityFile,
    knownHostsFile,
    emptyKnownHostsFile,
    stop: () =>
      new Promise((resolve) => {
        if (sshd.exitCode !== null) return resolve();
        sshd.on('exit', () => resolve());
        sshd.kill('SIGTERM');
      }),
  };
}

async function waitForPort(port: number, log: () => string, host: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host }, () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}
