/**
 * `silence`, `silences` and `unsilence` end to end, as a child process sharing a state file with
 * `check`; and `check` delivering to a chat webhook (a loopback Slack-like server).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAlayaApi, startFakeAlayaApi } from '../../../simulator/fake-alaya-api';
import { type CliRun, runCli } from '../../support/cli';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const KEY = 'sk-cli-silence-test-key';

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return runCli(args, { ALAYA_API_KEY: KEY, ...env });
}

interface JsonAlert {
  type: string;
  severity: string;
  taskId?: string;
  podName?: string;
  reminder?: boolean;
  summary: string;
}
interface JsonReport {
  checkedAt: string;
  pods: { podName: string; health: string; status?: string }[];
  alerts: JsonAlert[];
}
interface JsonSilence {
  id: string;
  taskId: string;
  podName?: string;
  createdAt: string;
  expiresAt: string;
  reason: string;
}

let api: FakeAlayaApi;
let dir: string;
let configPath: string;
/** Where `--config pods.json` keeps state by default: silences and checks must agree on it. */
let statePath: string;

function writeConfig(extra: Record<string, unknown> = {}): void {
  writeFileSync(
    configPath,
    JSON.stringify({
      pods: [
        { taskId: TASK, podName: 'master-0', name: 'master' },
        { taskId: TASK, podName: 'worker-0' },
      ],
      apiBaseUrl: api.url,
      timeoutSeconds: 2,
      retries: 0,
      ...extra,
    }),
  );
}

const check = (env: Record<string, string> = {}) => cli(['check', '--config', configPath, '--json'], env);

async function checkJson(expectedCode: number, env: Record<string, string> = {}): Promise<JsonReport> {
  const r = await check(env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(expectedCode);
  return JSON.parse(r.stdout) as JsonReport;
}

const alertsOf = (doc: JsonReport) => doc.alerts.map((a) => `${a.type}:${a.podName ?? '(run)'}`);

/** One line on stderr, `pod-watch: ...`, exit 3, nothing on stdout. */
function expectUsageError(r: CliRun, text: string): void {
  expect(r.code).toBe(3);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^pod-watch: /);
  expect(lines[0]).toContain(text);
}

beforeAll(async () => {
  api = await startFakeAlayaApi({ validKeys: [KEY] });
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pod-watch-silence-'));
  configPath = join(dir, 'pods.json');
  statePath = join(dir, 'pods.state.json');
  api.setValidKeys([KEY]);
  api.setGlobalFault(undefined);
  api.setPod(TASK, 'master-0', { status: 'Running', restartCount: 0 });
  api.setPod(TASK, 'worker-0', { status: 'Running', restartCount: 0 });
  writeConfig();
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('pod-watch silence / silences / unsilence', () => {
  it('silences a pod, lists it, holds its alerts in check, and unsilence ends it', async () => {
    const created = await cli([
      'silence',
      '--task',
      TASK,
      '--pod',
      'master-0',
      '--for',
      '2h',
      '--reason',
      'debugging OOM',
      '--config',
      configPath,
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = /^Silence ([0-9a-z-]+): alerts for master-0 task /.exec(created.stdout)?.[1];
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(created.stdout).toContain(statePath);
    expect(existsSync(statePath)).toBe(true);

    const table = await cli(['silences', '--config', configPath]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`${id}  ${TASK}  master-0  until `);
    expect(table.stdout).toMatch(/\((1h59m|2h0m) left\)/);
    expect(table.stdout).toContain(': debugging OOM');
    expect(table.stdout).toContain('(a silence also ends when its pod recovers)');

    const listed = await cli(['silences', '--config', configPath, '--json']);
    expect(listed.code).toBe(0);
    const { silences } = JSON.parse(listed.stdout) as { silences: JsonSilence[] };
    expect(silences).toHaveLength(1);
    const s = silences[0] as JsonSilence;
    expect(s).toMatchObject({ id, taskId: TASK, podName: 'master-0', reason: 'debugging OOM' });
    expect(Date.parse(s.expiresAt) - Date.parse(s.createdAt)).toBe(2 * 3_600_000);

    // Both pods fail: exit 2 by pod health, but only the unsilenced pod is alerted.
    api.updatePod(TASK, 'master-0', { status: 'Failed' });
    api.updatePod(TASK, 'worker-0', { status: 'Failed' });
    const failed = await checkJson(2);
    expect(failed.pods.map((p) => [p.podName, p.health, p.status])).toEqual([
      ['master-0', 'not-running', 'Failed'],
      ['worker-0', 'not-running', 'Failed'],
    ]);
    expect(alertsOf(failed)).toEqual(['not-running:worker-0']);

    // Still silenced: news about master-0 stays held.
    api.updatePod(TASK, 'master-0', { status: 'Unknown' });
    expect(alertsOf(await checkJson(2))).toEqual([]);

    const ended = await cli(['unsilence', id as string, '--config', configPath]);
    expect(ended.stderr).toBe('');
    expect([ended.code, ended.stdout]).toEqual([0, `Silence ${id} ended.\n`]);
    expect((await cli(['silences', '--config', configPath])).stdout).toBe('No active silences.\n');
    expect(JSON.parse((await cli(['silences', '--config', configPath, '--json'])).stdout)).toEqual({
      silences: [],
    });

    // Without the silence, the next news about master-0 is alerted.
    api.updatePod(TASK, 'master-0', { status: 'Failed' });
    expect(alertsOf(await checkJson(2))).toEqual(['not-running:master-0']);
  }, 60_000);

  it('a task-wide silence (no --pod) holds every pod of the task, also with an explicit --state', async () => {
    const otherState = join(dir, 'elsewhere.json');
    const created = await cli([
      'silence',
      '--task',
      TASK.toUpperCase(),
      '--for',
      '1d',
      '--reason',
      'cluster upgrade',
      '--config',
      configPath,
      '--state',
      otherState,
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`alerts for every pod of task ${TASK} held until`);
    expect(existsSync(otherState)).toBe(true);
    expect(existsSync(statePath)).toBe(false);

    api.updatePod(TASK, 'master-0', { status: 'Failed' });
    api.updatePod(TASK, 'worker-0', { status: 'Pending' });
    const r = await cli(['check', '--config', configPath, '--state', otherState, '--json']);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as JsonReport).alerts).toEqual([]);
    // The default state file knows no silence.
    expect(alertsOf(await checkJson(2))).toEqual(['not-running:master-0', 'not-running:worker-0']);
  }, 60_000);

  it('exits 3 with one line for bad arguments, writing no state', async () => {
    const base = ['--task', TASK, '--pod', 'master-0', '--config', configPath];
    expectUsageError(await cli(['silence', ...base, '--for', '2h']), '--reason TEXT is required');
    expectUsageError(
      await cli(['silence', ...base, '--for', '2h', '--reason', '   ']),
      '--reason TEXT is required',
    );
    expectUsageError(
      await cli(['silence', ...base, '--for', '90s', '--reason', 'x']),
      '--for: expected a duration such as 30m, 2h or 1d',
    );
    expectUsageError(
      await cli(['silence', ...base, '--for', '31d', '--reason', 'x']),
      'longer than the 30-day maximum',
    );
    expectUsageError(await cli(['silence', ...base, '--reason', 'x']), '--for DURATION is required');
    expectUsageError(
      await cli(['silence', '--task', 'not-a-uuid', '--for', '2h', '--reason', 'x', '--config', configPath]),
      'taskId: expected a UUID',
    );
    expectUsageError(
      await cli([
        'silence',
        '--task',
        TASK,
        '--pod',
        'Master_0',
        '--for',
        '2h',
        '--reason',
        'x',
        '--config',
        configPath,
      ]),
      'podName: expected a Kubernetes pod name',
    );
    expectUsageError(
      await cli(['silence', ...base, '--for', '2h', '--reason', 'x', '--table', 'pod-watch-state']),
      'give either --table NAME or --config FILE',
    );
    expectUsageError(
      await cli(['silences', '--config', configPath, '--table', 'pod-watch-state']),
      'give either --table NAME or --config FILE',
    );
    expectUsageError(await cli(['silences']), '--config FILE (or --state FILE, or --table NAME) is required');
    expectUsageError(await cli(['unsilence', '--config', configPath]), 'unsilence takes one silence ID');
    expectUsageError(
      await cli(['silence', ...base, '--for', '2h', '--reason', 'x', '--pods', 'y']),
      "Unknown option '--pods'",
    );
    expect(existsSync(statePath)).toBe(false);
  }, 60_000);

  it('exits 3 with one line for an unknown silence ID, and keeps the silences there are', async () => {
    const created = await cli([
      'silence',
      '--task',
      TASK,
      '--for',
      '30m',
      '--reason',
      'x',
      '--config',
      configPath,
    ]);
    expect(created.code).toBe(0);
    const before = readFileSync(statePath, 'utf8');
    expectUsageError(
      await cli(['unsilence', 'deadbeef', '--config', configPath]),
      `no active silence with ID deadbeef in ${statePath}`,
    );
    const listed = JSON.parse((await cli(['silences', '--config', configPath, '--json'])).stdout) as {
      silences: JsonSilence[];
    };
    expect(listed.silences).toHaveLength(1);
    expect(listed.silences[0]?.reason).toBe('x');
    expect(JSON.parse(readFileSync(statePath, 'utf8')).silences.silences).toEqual(
      JSON.parse(before).silences.silences,
    );
  }, 60_000);

  it('an unknown silence ID writes nothing (README: exit 3 means "no state written")', async () => {
    expect(
      (await cli(['silence', '--task', TASK, '--for', '30m', '--reason', 'x', '--config', configPath])).code,
    ).toBe(0);
    const before = readFileSync(statePath, 'utf8');
    expect((await cli(['unsilence', 'deadbeef', '--config', configPath])).code).toBe(3);
    expect(readFileSync(statePath, 'utf8')).toBe(before);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Chat webhook through the CLI

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let slack: { server: Server; port: number; requests: Recorded[]; status: number } | undefined;

async function startSlack(): Promise<NonNullable<typeof slack>> {
  const requests: Recorded[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(state.status, { 'content-type': 'text/plain' });
      res.end(state.status === 200 ? 'ok' : 'internal_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const handle = {
    server,
    port,
    requests,
    get status() {
      return state.status;
    },
    set status(v: number) {
      state.status = v;
    },
  };
  slack = handle;
  return handle;
}

afterEach(async () => {
  if (!slack) return;
  const { server } = slack;
  slack = undefined;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('pod-watch check with a chat webhook', () => {
  function chatEnv(port: number): Record<string, string> {
    return {
      POD_WATCH_WEBHOOKS: JSON.stringify({
        ops: { url: `http://127.0.0.1:${port}/services/T000/B000/XXXX` },
      }),
      POD_WATCH_ALLOW_HTTP_WEBHOOKS: '1',
    };
  }

  it('delivers the alert to the Slack-like server once', async () => {
    const server = await startSlack();
    writeConfig({ webhooks: [{ name: 'ops', type: 'slack' }] });
    api.updatePod(TASK, 'master-0', { status: 'Failed' });
    const doc = await checkJson(2, chatEnv(server.port));
    expect(alertsOf(doc)).toEqual(['not-running:master-0']);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0] as Recorded;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/services/T000/B000/XXXX');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.body).toContain('master');
    expect(req.body).toContain('Failed');
    expect(JSON.parse(readFileSync(statePath, 'utf8')).run.pendingChat).toBeUndefined();

    // Nothing new: nothing posted.
    await checkJson(2, chatEnv(server.port));
    expect(server.requests).toHaveLength(1);
  }, 60_000);

  it('a failing webhook does not change the exit status; the next check delivers the pending alert', async () => {
    const server = await startSlack();
    server.status = 500;
    writeConfig({ webhooks: [{ name: 'ops', type: 'slack' }] });
    api.updatePod(TASK, 'master-0', { status: 'Failed' });

    const first = await checkJson(2, chatEnv(server.port));
    expect(alertsOf(first)).toEqual(['not-running:master-0']);
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    const pending = JSON.parse(readFileSync(statePath, 'utf8')).run.pendingChat as Record<string, unknown[]>;
    expect(Object.keys(pending)).toEqual(['ops']);
    expect(pending.ops).toHaveLength(1);

    server.status = 200;
    const tried = server.requests.length;
    const second = await checkJson(2, chatEnv(server.port));
    expect(second.alerts).toEqual([]); // nothing new for the terminal
    expect(server.requests).toHaveLength(tried + 1);
    const delivered = server.requests[tried] as Recorded;
    expect(delivered.body).toContain('master');
    expect(delivered.body).toContain('Failed');
    expect(JSON.parse(readFileSync(statePath, 'utf8')).run.pendingChat).toBeUndefined();

    await checkJson(2, chatEnv(server.port));
    expect(server.requests).toHaveLength(tried + 1);
  }, 60_000);

  it('a webhook without credentials is not an error either: the alert waits in the state', async () => {
    writeConfig({ webhooks: [{ name: 'ops', type: 'slack' }] });
    api.updatePod(TASK, 'worker-0', { restartCount: 0 });
    api.updatePod(TASK, 'master-0', { status: 'Pending' });
    const doc = await checkJson(1);
    expect(alertsOf(doc)).toEqual(['not-running:master-0']);
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(Object.keys(state.run.pendingChat)).toEqual(['ops']);
  }, 60_000);
});
