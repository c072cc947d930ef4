import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RecordingServer, refusedUrl } from './harness/http.js';
import { odbackupAsync, removeDir, sleep, tempDir, writeConfig, writeFiles } from './helpers.js';

const CHECK_UUID = '5b0b6a1c-0d6e-4c55-9a53-1f2e3d4c5b6a';
const KUMA_TOKEN = 'Xb3kQ9zLmP2wR7tY8uIoPaSdFgHjKl01';
let dir: string;
let server: RecordingServer;
let internet: RecordingServer;

before(async () => {
  dir = tempDir();
  server = await RecordingServer.start();
  internet = await RecordingServer.start();
});
after(async () => {
  await server.stop();
  await internet.stop();
  removeDir(dir);
});

let counter = 0;
/** A node with one local source and the given heartbeat/notify sections. */
function node(extra: Record<string, unknown>, sourceExists = true): string {
  const home = join(dir, `node-${++counter}`);
  if (sourceExists) writeFiles(join(home, 'src'), { 'dump.sql': 'select 1;\n' });
  // The internet check asks its own URL, so that the monitors below see only pings.
  return writeConfig(home, [{ name: 'db', group: 'databases', from: join(home, 'src') }], { check: { internetUrl: internet.url('/generate_204') }, ...extra });
}

function fresh(mode: RecordingServer['mode'] = { kind: 'ok' }) {
  server.requests.length = 0;
  server.mode = mode;
}

const json = (stdout: string) =>
  JSON.parse(stdout) as {
    exitCode: number;
    status: string;
    message: string;
    warnings?: { code: string; message: string }[];
    data: never;
    maintenanceRequest?: string;
  };

test('healthchecks: a pass sends /start and success with the same run id; a failed pass sends /<code> with the log tail', async () => {
  fresh({ kind: 'ok', bodyLimit: 10_000 });
  const config = node({ heartbeat: { monitors: [{ style: 'healthchecks', url: server.url(`/ping/${CHECK_UUID}`) }] } });
  const run = await odbackupAsync(['-c', config, 'cycle']);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(
    server.requests.map((request) => `${request.method} ${request.path.replace(/rid=[0-9a-f-]+/, 'rid=RID')}`),
    [`POST /ping/${CHECK_UUID}/start?rid=RID`, `POST /ping/${CHECK_UUID}?rid=RID`],
  );
  const [start, success] = server.requests;
  assert.equal(start!.query.get('rid'), success!.query.get('rid'));
  assert.match(start!.query.get('rid')!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.match(success!.body, /test-node: OK/);

  fresh({ kind: 'ok', bodyLimit: 10_000 });
  const broken = node({ heartbeat: { monitors: [{ style: 'healthchecks', url: server.url(`/ping/${CHECK_UUID}`) }] } }, false);
  const failedRun = await odbackupAsync(['-c', broken, 'cycle']);
  assert.equal(failedRun.status, 41, failedRun.stderr);
  const fail = server.requests.at(-1)!;
  assert.match(fail.path, new RegExp(`^/ping/${CHECK_UUID}/41\\?rid=`));
  assert.match(fail.body, /FAILED \(41\) source unreachable/);
  assert.match(fail.body, /sync databases/, 'the log tail names the step');
});

test('healthchecks: a body cut to the announced Ping-Body-Limit keeps what failed first and the newest log lines', async () => {
  fresh({ kind: 'ok', bodyLimit: 1000 });
  const config = node({ heartbeat: { monitors: [{ style: 'healthchecks', url: server.url(`/ping/${CHECK_UUID}`) }] } }, false);
  const run = await odbackupAsync(['-c', config, 'cycle']);
  assert.equal(run.status, 41);
  const fail = server.requests.at(-1)!;
  assert.ok(Buffer.byteLength(fail.body) <= 1000, `body of ${Buffer.byteLength(fail.body)} bytes`);
  const lines = fail.body.split('\n');
  assert.match(lines[0]!, /^test-node: FAILED \(41\) source unreachable .*— sync databases: db: the source directory .*\/src does not exist$/);
  assert.ok(lines.some((line) => /^\[… \d+ older lines? cut\]$/.test(line)), fail.body);
  assert.match(lines.at(-1)!, /./, 'the newest log line closes the body');
});

test('healthchecks: start and success sent by hand carry no run id, so the monitor pairs them', async () => {
  fresh();
  const config = node({ heartbeat: { monitors: [{ style: 'healthchecks', url: server.url(`/ping/${CHECK_UUID}`) }] } });
  for (const event of ['start', 'success']) assert.equal((await odbackupAsync(['-c', config, 'heartbeat', event])).status, 0);
  assert.deepEqual(
    server.requests.map((request) => request.path),
    [`/ping/${CHECK_UUID}/start`, `/ping/${CHECK_UUID}`],
  );
});

test('Uptime Kuma push and URL templates get what they expect', async () => {
  fresh();
  const config = node(
    {
      heartbeat: {
        monitors: [
          { style: 'uptime-kuma', url: server.url(`/api/push/${KUMA_TOKEN}?status=up&msg=OK&ping=`) },
          { style: 'template', url: server.url('/status/{node}_{event}?code={code}') },
          { style: 'template', url: server.url('/post/{event}'), method: 'POST' },
        ],
      },
    },
    false,
  );
  const run = await odbackupAsync(['-c', config, 'cycle']);
  assert.equal(run.status, 41);
  const kuma = server.requests.filter((request) => request.path.startsWith(`/api/push/${KUMA_TOKEN}?`));
  assert.deepEqual(
    kuma.map((request) => [request.method, request.query.get('status'), request.query.get('ping')]),
    [
      ['GET', 'up', ''],
      ['GET', 'down', ''],
    ],
  );
  assert.equal(kuma[0]!.query.get('msg'), 'test-node: pass started (first run: no wake alarm was armed before)');
  assert.match(kuma[1]!.query.get('msg')!, /^test-node: FAILED \(41\) source unreachable .* sync databases: /);
  const others = server.requests.filter((request) => !request.path.startsWith('/api/push/')).map((request) => `${request.method} ${request.path}`);
  assert.deepEqual(others.sort(), ['GET /status/test-node_fail?code=41', 'GET /status/test-node_start?code=0', 'POST /post/fail', 'POST /post/start']);
  const postFail = server.requests.find((request) => request.path === '/post/fail')!;
  assert.match(postFail.body, /FAILED \(41\)/);
});

test('a monitor down on pass 1 gets pass 1 late, in order, before pass 2: the true history', async () => {
  const monitor = await RecordingServer.start();
  const url = monitor.url(`/ping/${CHECK_UUID}`);
  const config = node({ heartbeat: { monitors: [{ style: 'healthchecks', url }], retries: 0, timeoutSeconds: 2 } });
  await monitor.stop();
  const first = await odbackupAsync(['-c', config, '--json', 'cycle']);
  assert.equal(first.status, 0, first.stderr);
  const firstResult = json(first.stdout);
  assert.deepEqual([...new Set(firstResult.warnings!.map((warning) => warning.code))], ['monitorUndelivered']);
  assert.match(first.stderr, /warning 21: heartbeat start: .*connection refused/);
  assert.doesNotMatch(first.stdout + first.stderr, new RegExp(CHECK_UUID), 'the ping URL is a secret');

  await monitor.listen();
  await sleep(1100); // snapshot names have one-second resolution
  const second = await odbackupAsync(['-c', config, 'cycle']);
  assert.equal(second.status, 0, second.stderr);
  const paths = monitor.requests.map((request) => request.path.split('?')[0]);
  assert.deepEqual(paths, [`/ping/${CHECK_UUID}/log`, `/ping/${CHECK_UUID}/log`, `/ping/${CHECK_UUID}/start`, `/ping/${CHECK_UUID}`]);
  const [lateStart, lateSuccess, start] = monitor.requests;
  assert.match(lateStart!.body, /^late: start of \d{4}-\d\d-\d\dT/);
  assert.match(lateSuccess!.body, /^late: success of /);
  assert.ok(Date.parse(lateStart!.headers['x-odbackup-original-time'] as string) <= Date.parse(lateSuccess!.headers['x-odbackup-original-time'] as string));
  assert.notEqual(lateStart!.query.get('rid'), start!.query.get('rid'), 'pass 1 keeps its own run id');
  await monitor.stop();
});

test('slow past the timeout, or 500 after the retries: warning 21 in bounded time, queued, never printed', async () => {
  fresh({ kind: 'slow', ms: 30_000 });
  const config = node({ heartbeat: { monitors: [{ style: 'healthchecks', url: server.url(`/ping/${CHECK_UUID}`) }], timeoutSeconds: 1, retries: 0 } });
  const slow = await odbackupAsync(['-c', config, '--json', 'heartbeat', 'start']);
  assert.equal(slow.status, 21);
  assert.match(json(slow.stdout).message, /no answer within the timeout \(1 queued\)/);

  fresh({ kind: 'status', status: 500 });
  const again = node({ heartbeat: { monitors: [{ style: 'healthchecks', url: server.url(`/ping/${CHECK_UUID}`) }], timeoutSeconds: 2, retries: 1 } });
  const error = await odbackupAsync(['-c', again, 'heartbeat', 'fail', '--code', '12']);
  assert.equal(error.status, 21);
  assert.match(error.stderr, /HTTP 500/);
  assert.equal(server.requests.length, 2, 'one retry');
  assert.equal(server.requests[0]!.path, `/ping/${CHECK_UUID}/12`);
  assert.doesNotMatch(error.stdout + error.stderr, new RegExp(CHECK_UUID));
});

test('a monitor that hangs is asked once per pass: the rest of its pings are queued at once', async () => {
  fresh({ kind: 'slow', ms: 30_000 });
  const monitors = [
    { style: 'healthchecks', url: server.url(`/ping/${CHECK_UUID}`) },
    { style: 'uptime-kuma', url: server.url(`/api/push/${KUMA_TOKEN}`) },
  ];
  const config = node({ heartbeat: { monitors, timeoutSeconds: 2, retries: 2 }, check: { internetUrl: server.url('/generate_204') } });
  const pass = await odbackupAsync(['-c', config, '--json', 'cycle']);
  assert.equal(pass.status, 0, pass.stderr);
  // Each monitor was asked once, at heartbeat start; the internet check and the final pings did not wait again.
  assert.deepEqual(server.requests.map((request) => request.path.split('?')[0]).sort(), [`/api/push/${KUMA_TOKEN}`, `/ping/${CHECK_UUID}/start`]);
  assert.match(pass.stderr, /warning 21: heartbeat: .*no answer earlier in this pass: not asked again \(2 queued\)/);
});

test('the maintenance URL can ask the node to stay up', async () => {
  fresh({ kind: 'ok', answer: 'maintenance\n' });
  const config = node({ heartbeat: { monitors: [], maintenanceUrl: server.url('/maintenance/odroid-secret-key-0123') } });
  const asked = json((await odbackupAsync(['-c', config, '--json', 'heartbeat', 'start'])).stdout);
  assert.equal(asked.maintenanceRequest, 'the monitor asked for maintenance');
  fresh({ kind: 'ok', answer: '{"maintenance": false}' });
  const notAsked = json((await odbackupAsync(['-c', config, '--json', 'heartbeat', 'start'])).stdout);
  assert.equal(notAsked.maintenanceRequest, undefined);
  assert.equal(notAsked.exitCode, 0);
});

test('notify: Slack, ntfy and a JSON webhook get the failure; 429 with Retry-After is waited for', async () => {
  fresh({ kind: 'rate-limited', times: 1, retryAfter: 1 });
  const config = node(
    {
      notify: {
        targets: [
          { style: 'slack', url: server.url('/services/T000/B000/slackwebhooksecret') },
          { style: 'ntfy', url: server.url('/odbackup-alerts'), token: 'tk_secrettoken0123456789', tags: ['backup'] },
          { style: 'webhook', url: server.url('/hook') },
        ],
      },
    },
    false,
  );
  const run = await odbackupAsync(['-c', config, 'cycle']);
  assert.equal(run.status, 41, run.stderr);
  const byPath = (path: string) => server.requests.filter((request) => request.path === path);
  const slack = byPath('/services/T000/B000/slackwebhooksecret');
  const ntfy = byPath('/odbackup-alerts');
  const hook = byPath('/hook');
  assert.equal(slack.length + ntfy.length + hook.length, 4, 'one target was rate-limited once and retried');
  const retried = [slack, ntfy, hook].find((requests) => requests.length === 2)!;
  assert.ok(retried[1]!.at - retried[0]!.at >= 900, 'Retry-After: 1 was respected');
  const slackText = (JSON.parse(slack.at(-1)!.body) as { text: string }).text;
  assert.match(slackText, /^\*test-node: FAILED \(41\) source unreachable/);
  assert.match(slackText, /sync databases/);
  const alert = ntfy.at(-1)!;
  assert.equal(alert.headers.title, 'test-node: FAILED (41) source unreachable (ssh, connection refused, timeout)');
  assert.equal(alert.headers.priority, '5');
  assert.equal(alert.headers.tags, 'rotating_light,backup');
  assert.equal(alert.headers.authorization, 'Bearer tk_secrettoken0123456789');
  const webhook = JSON.parse(hook.at(-1)!.body) as { node: string; code: number; meaning: string; step: string; logTail: string[] };
  assert.equal(webhook.node, 'test-node');
  assert.equal(webhook.code, 41);
  assert.equal(webhook.step, 'sync databases');
  assert.ok(webhook.logTail.length > 0);
  assert.doesNotMatch(run.stdout + run.stderr, /slackwebhooksecret|tk_secrettoken/);

  fresh();
  const test = await odbackupAsync(['-c', config, 'notify', '--test']);
  assert.equal(test.status, 0, test.stderr);
  assert.equal(server.requests.length, 3);
  assert.match(test.stdout, /test alert.* sent to 3 of 3 targets/);
});

test('cycle with every monitor and alert target failing still completes: exit 0, warning 21', async () => {
  const refused = await refusedUrl(`/ping/${CHECK_UUID}`);
  fresh({ kind: 'status', status: 500 });
  const config = node({
    heartbeat: {
      monitors: [
        { style: 'healthchecks', url: refused },
        { style: 'uptime-kuma', url: server.url(`/api/push/${KUMA_TOKEN}`) },
      ],
      retries: 0,
    },
    notify: { targets: [{ style: 'slack', url: refused.replace(/ping.*/, 'services/T/B/slacksecretsecret') }] },
  });
  const run = await odbackupAsync(['-c', config, '--json', 'cycle']);
  assert.equal(run.status, 0, run.stderr);
  const result = json(run.stdout);
  assert.equal(result.status, 'ok');
  const codes = result.warnings!.map((warning) => warning.code);
  assert.deepEqual(codes, ['monitorUndelivered', 'monitorUndelivered', 'monitorUndelivered']);
  assert.doesNotMatch(run.stdout + run.stderr, new RegExp(`${CHECK_UUID}|${KUMA_TOKEN}|slacksecretsecret`));
});
