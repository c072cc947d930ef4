import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createContext } from '../src/context.js';
import { OdbackupError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import type { PassEntry } from '../src/pass/run.js';
import { RunState } from '../src/state/run-state.js';
import { runCycle } from '../src/pass/cycle.js';
import { failed, ok, type Step } from '../src/steps/types.js';
import { configFromDocument } from '../src/config/load.js';
import { removeDir, tempDir } from './helpers.js';

const dir = tempDir();
after(() => removeDir(dir));

/** A real step that does real work: appends its name to a file, then succeeds or fails as told. */
function fileStep(name: string, outcome: 'ok' | 'fatal' | 'display' | 'throws' | 'source' | 'waits' = 'ok'): Step {
  return {
    name,
    summary: `test step ${name}`,
    locked: false,
    async run(ctx) {
      writeFileSync(join(ctx.config.stateDir, 'ran'), `${name}\n`, { flag: 'a' });
      if (outcome === 'fatal') return failed('rsyncFailed', `${name} broke`);
      if (outcome === 'display') return failed('displayUnreachable', 'no Badger on /dev/ttyACM0');
      if (outcome === 'throws') throw new OdbackupError('storageMissing', 'storage device LABEL=backup not found');
      if (outcome === 'source') throw new OdbackupError('sourceUnreachable', 'db: host down');
      if (outcome === 'waits') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      return ok(`${name} done`);
    },
  };
}

function setup(name: string) {
  const stateDir = join(dir, name);
  const config = configFromDocument(
    { node: 'n', stateDir, storage: { path: stateDir, minFreeGiB: 0 }, sources: [{ name: 'unused', group: 'g', from: '/nonexistent' }] },
    join(dir, 'odbackup.json'),
  );
  const first = new AbortController();
  const second = new AbortController();
  const ctx = createContext({ configPath: '/none', config, log: createLogger({ quiet: true }), signal: first.signal, finalSignal: second.signal });
  ctx.state.ensureDirectory();
  const ranFile = join(stateDir, 'ran');
  const ran = () => (existsSync(ranFile) ? readFileSync(ranFile, 'utf8').trim().split('\n') : []);
  return { ctx, first, ran, state: new RunState(stateDir) };
}

test('all steps ok: exit 0, every step recorded in state.json', async () => {
  const { ctx, ran, state } = setup('all-ok');
  const plan: PassEntry[] = [
    { step: fileStep('a'), onFailure: 'abort' },
    { step: fileStep('b'), onFailure: 'warn' },
  ];
  const result = await runCycle(ctx, plan);
  assert.equal(result.status, 'ok');
  assert.deepEqual(ran(), ['a', 'b']);
  const [pass] = state.read().passes;
  assert.equal(pass!.exitCode, 0);
  assert.equal(pass!.outcome, 'completed');
  assert.deepEqual(
    pass!.steps.map((step) => step.status),
    ['ok', 'ok'],
  );
});

test('a fatal failure stops the data steps, always-run steps still run, exit = first failure', async () => {
  const { ctx, ran, state } = setup('fatal');
  const plan: PassEntry[] = [
    { step: fileStep('check'), onFailure: 'abort' },
    { step: fileStep('sync-db', 'throws'), onFailure: 'abort' },
    { step: fileStep('sync-img', 'fatal'), onFailure: 'abort' },
    { step: fileStep('final-heartbeat'), onFailure: 'warn', always: true },
    { step: fileStep('final-display', 'display'), onFailure: 'warn', always: true },
    { step: fileStep('suspend'), onFailure: 'abort', always: true },
  ];
  const result = await runCycle(ctx, plan);
  assert.equal(result.status, 'failed');
  assert.equal(result.code, 'storageMissing');
  assert.deepEqual(ran(), ['check', 'sync-db', 'final-heartbeat', 'final-display', 'suspend']);
  const [pass] = state.read().passes;
  assert.equal(pass!.exitCode, 10);
  assert.deepEqual(pass!.firstFailure, { step: 'sync-db', code: 'storageMissing', message: 'storage device LABEL=backup not found' });
  assert.equal(pass!.steps.find((step) => step.step === 'sync-img')!.status, 'skipped');
  assert.deepEqual(
    pass!.warnings.map((warning) => warning.code),
    ['displayUnreachable'],
  );
});

test('one source failing stops nothing: the next steps run, the exit code is the first failure\'s, a node failure after it still stops the rest', async () => {
  const { ctx, ran, state } = setup('source');
  const plan: PassEntry[] = [
    { step: fileStep('sync-db', 'source'), onFailure: 'abort' },
    { step: fileStep('sync-img'), onFailure: 'abort' },
    { step: fileStep('mount-ro', 'throws'), onFailure: 'abort' },
    { step: fileStep('verify'), onFailure: 'abort' },
    { step: fileStep('suspend'), onFailure: 'abort', always: true },
  ];
  const result = await runCycle(ctx, plan);
  assert.equal(result.code, 'sourceUnreachable');
  assert.deepEqual(ran(), ['sync-db', 'sync-img', 'mount-ro', 'suspend']);
  const [pass] = state.read().passes;
  assert.equal(pass!.exitCode, 41);
  assert.equal(pass!.steps.find((step) => step.step === 'verify')!.message, 'not run: mount-ro failed');
});

test('a warning step that fails leaves the exit code at 0', async () => {
  const { ctx } = setup('warning');
  const result = await runCycle(ctx, [
    { step: fileStep('display', 'display'), onFailure: 'warn' },
    { step: fileStep('sync'), onFailure: 'abort' },
  ]);
  assert.equal(result.status, 'ok');
  assert.equal(result.warnings?.[0]?.code, 'displayUnreachable');
});

test('a signal stops the running data step; the always-run steps run; exit 143 for SIGTERM', async () => {
  const { ctx, first, ran, state } = setup('signal');
  const plan: PassEntry[] = [
    { step: fileStep('sync', 'waits'), onFailure: 'abort' },
    { step: fileStep('verify'), onFailure: 'abort' },
    { step: fileStep('final-display'), onFailure: 'warn', always: true },
  ];
  const running = runCycle(ctx, plan);
  setTimeout(() => first.abort('terminated'), 50);
  const result = await running;
  assert.equal(result.code, 'terminated');
  assert.deepEqual(ran(), ['sync', 'final-display']);
  const [pass] = state.read().passes;
  assert.equal(pass!.exitCode, 143);
  assert.equal(pass!.outcome, 'interrupted');
});

test('--only and --skip select steps by name or label', async () => {
  const { ctx, ran } = setup('select');
  const plan: PassEntry[] = [
    { step: fileStep('sync'), label: 'sync databases', onFailure: 'abort' },
    { step: fileStep('sync'), label: 'sync images', onFailure: 'abort' },
    { step: fileStep('prune'), onFailure: 'abort' },
  ];
  await runCycle(ctx, plan, { only: ['sync'], skip: ['sync images'] });
  assert.deepEqual(ran(), ['sync']);
});
