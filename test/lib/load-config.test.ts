import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/config/config';
import { DEFAULT_CONFIG_PATH, loadConfig, stringContext } from '../../lib/load-config';

const dir = mkdtempSync(join(tmpdir(), 'load-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const POD = { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'tn-exqr5k7lvj7k-master-0' };

describe('loadConfig', () => {
  it('returns the parsed config with defaults filled in', () => {
    const config = loadConfig(writeConfig('ok.json', { pods: [POD] }));
    expect(config.schedule).toBe('rate(5 minutes)');
    expect(config.lambda).toEqual({ reserveConcurrency: true, memorySizeMb: 256 });
    expect(config.alerts.smsSeverities).toEqual(['critical']);
  });

  it('accepts the shipped example', () => {
    expect(loadConfig(join(__dirname, '..', '..', 'config', 'example.json')).pods.length).toBeGreaterThan(0);
  });

  it('names the file and the field, as the CLI does', () => {
    const path = writeConfig('bad.json', { pods: [POD, POD, { taskId: 'not-a-uuid', podName: 'worker-1' }] });
    const err = thrown(() => loadConfig(path));
    expect(err.message).toContain(`${path}: `);
    expect(err.message).toMatch(/pods\[2\]\.taskId: expected a UUID/);
    // Every problem is listed, not only the first.
    expect(err.message).toMatch(/pods\[1\]: duplicate of pods\[0\]/);
  });

  it('reports unparsable JSON with the file name', () => {
    const err = thrown(() => loadConfig(writeConfig('broken.json', '{"pods": [')));
    expect(err.message).toMatch(/broken\.json: not valid JSON/);
  });

  it('names a missing file and how to create it from config/example.json', () => {
    const missing = join(dir, 'nope', 'pod-watch.json');
    const err = thrown(() => loadConfig(missing));
    expect(err.message).toContain(missing);
    expect(err.message).toContain('cp config/example.json config/pod-watch.json');
    expect(err.message).toContain('-c config=PATH');
  });

  it('defaults to config/pod-watch.json', () => {
    expect(DEFAULT_CONFIG_PATH).toBe('config/pod-watch.json');
    // Relative to the working directory, as `cdk synth` runs the app from the project root.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(thrown(() => loadConfig()).message).toContain('config file config/pod-watch.json not found');
    } finally {
      process.chdir(cwd);
    }
  });

  it('does not let ALAYA_API_BASE_URL change what gets deployed', () => {
    const previous = process.env.ALAYA_API_BASE_URL;
    process.env.ALAYA_API_BASE_URL = 'http://127.0.0.1:9999';
    try {
      expect(loadConfig(writeConfig('env.json', { pods: [POD] })).apiBaseUrl).toBe(
        'https://api.alayanew.com',
      );
    } finally {
      if (previous === undefined) delete process.env.ALAYA_API_BASE_URL;
      else process.env.ALAYA_API_BASE_URL = previous;
    }
  });
});

describe('bin/app.ts', () => {
  const projectRoot = join(__dirname, '..', '..');

  /** Runs the app as `cdk synth -c config=PATH` does: context arrives in CDK_CONTEXT_JSON. */
  function synthWith(configPath: string) {
    return spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: configPath }),
        CDK_OUTDIR: mkdtempSync(join(dir, 'out-')),
      },
    });
  }

  it('fails synth on a bad config with the field-naming message and no stack trace', () => {
    const path = writeConfig('bad-app.json', { pods: [{ ...POD, taskId: 'nope' }] });
    const run = synthWith(path);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `${path}: pods[0].taskId: expected a UUID such as ca78d6b9-e196-5a0f-b1be-ab036b3cb91a`,
    );
  });

  it('fails synth on a missing config naming the path and config/example.json', () => {
    const run = synthWith(join(dir, 'absent.json'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(join(dir, 'absent.json'));
    expect(run.stderr).toContain('cp config/example.json config/pod-watch.json');
  });
});

describe('stringContext', () => {
  it('falls back when the context key is absent or empty', () => {
    expect(stringContext(undefined, 'config', 'a.json')).toBe('a.json');
    expect(stringContext('', 'config', 'a.json')).toBe('a.json');
    expect(stringContext('b.json', 'config', 'a.json')).toBe('b.json');
  });

  it('refuses a non-string value with the key name', () => {
    expect(thrown(() => stringContext(42, 'stackName', 'X')).message).toBe(
      'context stackName: expected a string, got number',
    );
  });
});
