/** The CLI end to end, as a child process, over several runs sharing one state file. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAlayaApi, startFakeAlayaApi } from '../../../simulator/fake-alaya-api';
import { type CliRun, runCli } from '../../support/cli';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const KEY = 'sk-cli-test-key';

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return runCli(args, { ALAYA_API_KEY: KEY, ...env });
}

let api: FakeAlayaApi;
let dir: string;
let configPath: string;
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
      alerts: { checkFailureThreshold: 1 },
      ...extra,
    }),
  );
}

const check = (...more: string[]) => cli(['check', '--config', configPath, '--state', statePath, ...more]);

beforeAll(async () => {
  api = await startFakeAlayaApi({ validKeys: [KEY] });
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pod-watch-cli-'));
  configPath = join(dir, 'pods.json');
  statePath = join(dir, 'state.json');
  api.setValidKeys([KEY]);
  api.setGlobalFault(undefined);
  api.setPod(TASK, 'master-0', { status: 'Running', restartCount: 0 });
  api.setPod(TASK, 'worker-0', { status: 'Running', restartCount: 0 });
  writeConfig();
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('pod-watch check', () => {
  it('walks through OK, warning, critical and recovery across runs sharing a state file', async () => {
    const first = await check();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/POD\s+STATUS\s+RESTARTS\s+HOST\s+VERDICT/);
    expect(first.stdout).toMatch(/master\s+Running\s+0\s+gpu-node-021\s+ok/);
    expect(first.stdout).toContain('No alerts this run.');
    expect(JSON.parse(readFileSync(statePath, 'utf8')).format).toBe(1);

    api.updatePod(TASK, 'worker-0', { restartCount: 3 });
    const restarted = await check();
    expect(restarted.code).toBe(1);
    expect(restarted.stdout).toContain('Subject: [alaya-pod-watch]');
    expect(restarted.stdout).toMatch(/restarts 0 → 3/);

    const quiet = await check();
    expect(quiet.code).toBe(0);

    api.updatePod(TASK, 'master-0', { status: 'Failed' });
    const failed = await check('--json');
    expect(failed.code).toBe(2);
    const doc = JSON.parse(failed.stdout);
    expect(doc.pods[0]).toEqual({
      taskId: TASK,
      podName: 'master-0',
      name: 'master',
      health: 'not-running',
      status: 'Failed',
      restartCount: 0,
    });
    expect(doc.alerts).toEqual([
      {
        type: 'not-running',
        severity: 'critical',
        taskId: TASK,
        podName: 'master-0',
        summary: expect.stringContaining('Failed'),
      },
    ]);

    api.updatePod(TASK, 'master-0', { status: 'Running' });
    const recovered = await check('--json');
    expect(recovered.code).toBe(0);
    expect(JSON.parse(recovered.stdout).alerts.map((a: { type: string }) => a.type)).toEqual(['recovered']);
  }, 60_000);

  it('prints exactly one JSON document with the documented shape', async () => {
    const r = await check('--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(['alerts', 'checkedAt', 'pods']);
    expect(new Date(doc.checkedAt).toISOString()).toBe(doc.checkedAt);
    expect(doc.alerts).toEqual([]);
    expect(doc.pods).toHaveLength(2);
  });

  it('exits 1 for a Pending pod (a warning)', async () => {
    api.updatePod(TASK, 'worker-0', { status: 'Pending' });
    const r = await check('--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).alerts[0]).toMatchObject({ type: 'not-running', severity: 'warning' });
  });

  it('exits 3 with one auth-failed alert when the key is rejected', async () => {
    api.setValidKeys(['another-key']);
    const r = await check('--json');
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.alerts.map((a: { type: string }) => a.type)).toEqual(['auth-failed']);
    expect(doc.pods.every((p: { health: string }) => p.health === 'check-failed')).toBe(true);
    expect(r.stdout).not.toContain(KEY);
  });

  it('exits 3 when a pod cannot be checked, and says the base URL is probably wrong for an HTML page', async () => {
    writeConfig({ apiBaseUrl: `${api.url}/wrong-prefix` });
    const r = await check('--json');
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.pods[0].health).toBe('check-failed');
    expect(doc.pods[0].error).toMatch(/base URL|apiBaseUrl/i);
    expect(doc.alerts.map((a: { type: string }) => a.type)).toEqual(['check-failed', 'check-failed']);
  });

  it('lets ALAYA_API_BASE_URL override apiBaseUrl, validated like the config', async () => {
    writeConfig({ apiBaseUrl: 'https://api.alayanew.com' });
    expect(
      (await cli(['check', '--config', configPath, '--state', statePath], { ALAYA_API_BASE_URL: api.url }))
        .code,
    ).toBe(0);
    const bad = await cli(['check', '--config', configPath, '--state', statePath], {
      ALAYA_API_BASE_URL: 'http://example.com',
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/apiBaseUrl \(from ALAYA_API_BASE_URL\): expected an https:\/\/ URL/);
  });

  it('exits 3 with one line naming the field for a bad config, and writes no state', async () => {
    writeFileSync(
      configPath,
      JSON.stringify({
        pods: [
          { taskId: TASK, podName: 'a' },
          { taskId: TASK, podName: 'b' },
          { taskId: 'x', podName: 'c' },
        ],
      }),
    );
    const r = await check();
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('pods[2].taskId: expected a UUID');
    expect(existsSync(statePath)).toBe(false);
  });

  it('exits 3 naming a missing config file, a missing key, bad arguments and an unknown command', async () => {
    const missing = await cli(['check', '--config', join(dir, 'nope.json')]);
    expect([missing.code, missing.stderr]).toEqual([3, expect.stringContaining('nope.json not found')]);
    const noKey = await cli(['check', '--config', configPath, '--state', statePath], { ALAYA_API_KEY: '' });
    expect([noKey.code, noKey.stderr]).toEqual([3, expect.stringContaining('ALAYA_API_KEY is not set')]);
    expect(existsSync(statePath)).toBe(false);
    const badFlag = await cli(['check', '--config', configPath, '--jsn']);
    expect([badFlag.code, badFlag.stderr]).toEqual([3, expect.stringContaining("Unknown option '--jsn'")]);
    const noConfig = await cli(['check']);
    expect([noConfig.code, noConfig.stderr]).toEqual([
      3,
      expect.stringContaining('--config FILE is required'),
    ]);
    const unknown = await cli(['chek']);
    expect([unknown.code, unknown.stderr]).toEqual([3, expect.stringContaining('unknown command "chek"')]);
  });

  it('refuses to overwrite a corrupt state file', async () => {
    writeFileSync(statePath, '{ not json');
    const r = await check();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('is not valid JSON');
    expect(readFileSync(statePath, 'utf8')).toBe('{ not json');
  });

  it('skips the run (exit 3) while another run holds the lock', async () => {
    writeFileSync(`${statePath}.lock`, JSON.stringify({ owner: 'other', expiresAtMs: Date.now() + 60_000 }));
    const r = await check();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('another run is in progress');
  });

  it('defaults the state file to the config path with .state.json', async () => {
    expect((await cli(['check', '--config', configPath])).code).toBe(0);
    expect(existsSync(join(dir, 'pods.state.json'))).toBe(true);
  });

  it('validate prints a summary of a good config', async () => {
    const r = await cli(['validate', '--config', configPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid. 2 pod(s)');
  });

  it('test-alert refuses a malformed topic ARN', async () => {
    const r = await cli(['test-alert', '--topic-arn', 'my-topic']);
    expect([r.code, r.stderr]).toEqual([3, expect.stringContaining('--topic-arn must be an SNS topic ARN')]);
  });
});
