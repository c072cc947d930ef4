import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'odbackup.js');

export interface CliResult {
  status: number | null;
  /** The signal that killed it (odbackupAsync). */
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The built binary, as a user runs it. */
export function odbackup(args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The built binary, without blocking this process (the tests' own servers must keep answering meanwhile). */
export function odbackupAsync(args: string[], env: Record<string, string> = {}, prefix: string[] = []): Promise<CliResult> {
  const [file, ...rest] = [...prefix, process.execPath, BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** The built binary in the background (for locks, signals and kill -9), in a process group of its own. */
export function odbackupSpawn(args: string[]) {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, detached: true });
}

/** Whether a program is on PATH. */
export const have = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

export function tempDir(prefix = 'odbackup-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
}

/** A node with a store, a state directory and the given sources, written as JSON; returns the config path. */
export function writeConfig(dir: string, sources: object[], extra: Record<string, unknown> = {}): string {
  const config = {
    node: 'test-node',
    stateDir: join(dir, 'state'),
    storage: { path: join(dir, 'store') },
    sources,
    // Tests never put the machine they run on to sleep; the suspend tests give fake programs instead.
    suspend: { mode: 'none' },
    schedule: { networkSettleSeconds: 0 },
    // No Badger on the machine that runs the tests; the display tests give the emulator's port.
    display: { port: 'none' },
    ...extra,
  };
  mkdirSync(join(dir, 'store'), { recursive: true });
  const path = join(dir, 'odbackup.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Waits until check() is true, polling; fails after the timeout. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
