import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseConfigText } from '../../../lambda/config/config';
import { renderConfigJsonSchema } from '../../../lambda/config/json-schema';

const root = join(__dirname, '..', '..', '..');
const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const pod = { taskId: TASK, podName: 'trainer-0' };

function issuesOf(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('config schema', () => {
  it('fills every documented default', () => {
    const c = parseConfig({ pods: [pod] });
    expect(c).toMatchObject({
      apiBaseUrl: 'https://api.alayanew.com',
      concurrency: 8,
      timeoutSeconds: 10,
      retries: 2,
      schedule: 'rate(5 minutes)',
      alerts: {
        failureThreshold: 1,
        checkFailureThreshold: 3,
        reminderMinutes: 240,
        sendRecovered: true,
        language: 'en',
        emails: [],
        phones: [],
        smsSeverities: ['critical'],
      },
      lambda: { reserveConcurrency: true, memorySizeMb: 256 },
    });
  });

  it('accepts config/example.json', () => {
    const text = readFileSync(join(root, 'config', 'example.json'), 'utf8');
    expect(parseConfigText(text).pods).toHaveLength(2);
  });

  it('keeps config/pod-watch.schema.json in sync with the zod schema (run `npm run schema`)', () => {
    expect(readFileSync(join(root, 'config', 'pod-watch.schema.json'), 'utf8')).toBe(
      renderConfigJsonSchema(),
    );
  });

  it.each([
    [{ pods: [{ ...pod, taskId: 'nope' }] }, 'pods[0].taskId: expected a UUID'],
    [{ pods: [pod, pod, { ...pod, taskId: 'x' }] }, 'pods[2].taskId: expected a UUID'],
    [{ pods: [{ ...pod, podName: '../../etc' }] }, 'pods[0].podName: expected a Kubernetes pod name'],
    [{ pods: [{ ...pod, podName: 'a%2Fb' }] }, 'pods[0].podName: expected a Kubernetes pod name'],
    [{ pods: [{ ...pod, podName: 'Trainer' }] }, 'pods[0].podName: expected a Kubernetes pod name'],
    [{ pods: [{ ...pod, podName: 'a'.repeat(254) }] }, 'pods[0].podName: expected at most 253 characters'],
    [{ pods: [] }, 'pods: expected at least one pod'],
    [{}, 'pods: expected array (missing)'],
    [{ pods: [pod, pod] }, 'pods[1]: duplicate of pods[0]'],
    [{ pods: [pod, { ...pod, taskId: TASK.toUpperCase() }] }, 'pods[1]: duplicate of pods[0]'],
    [{ pods: [pod], concurency: 4 }, '(config): unknown key "concurency"'],
    [{ pods: [{ ...pod, nmae: 'x' }] }, 'pods[0]: unknown key "nmae"'],
    [{ pods: [pod], alerts: { reminderMinute: 5 } }, 'alerts: unknown key "reminderMinute"'],
    [{ pods: [pod], apiBaseUrl: 'http://api.alayanew.com' }, 'apiBaseUrl: expected an https:// URL'],
    [{ pods: [pod], apiBaseUrl: 'not a url' }, 'apiBaseUrl: expected an absolute URL'],
    [
      { pods: [pod], apiBaseUrl: 'https://user:pw@api.alayanew.com' },
      'apiBaseUrl: must not contain credentials',
    ],
    [
      { pods: [pod], apiBaseUrl: 'https://api.alayanew.com/?x=1' },
      'apiBaseUrl: must not contain a query string',
    ],
    [{ pods: [pod], concurrency: 0 }, 'concurrency: expected a whole number from 1 to 64'],
    [{ pods: [pod], concurrency: 65 }, 'concurrency: expected a whole number from 1 to 64'],
    [{ pods: [pod], concurrency: '8' }, 'concurrency: expected number, got string'],
    [{ pods: [pod], timeoutSeconds: 0 }, 'timeoutSeconds: expected a number of seconds from 1 to 60'],
    [{ pods: [pod], retries: 9 }, 'retries: expected a whole number from 0 to 5'],
    [
      { pods: [pod], alerts: { failureThreshold: 0 } },
      'alerts.failureThreshold: expected a whole number from 1 to 100',
    ],
    [
      { pods: [pod], alerts: { checkFailureThreshold: 1.5 } },
      'alerts.checkFailureThreshold: expected a whole number',
    ],
    [
      { pods: [pod], alerts: { reminderMinutes: -1 } },
      'alerts.reminderMinutes: expected a whole number from 0',
    ],
    [{ pods: [pod], alerts: { sendRecovered: 'yes' } }, 'alerts.sendRecovered: expected boolean'],
    [{ pods: [pod], alerts: { language: 'fr' } }, 'alerts.language: expected one of "en"|"zh"'],
    [{ pods: [pod], alerts: { emails: ['not-an-email'] } }, 'alerts.emails[0]: expected an email address'],
    [
      { pods: [pod], alerts: { phones: ['13800138000'] } },
      'alerts.phones[0]: expected a phone number in E.164 form',
    ],
    [{ pods: [pod], alerts: { smsSeverities: ['loud'] } }, 'alerts.smsSeverities[0]: expected one of'],
    [{ pods: [pod], alerts: { smsSeverities: [] } }, 'alerts.smsSeverities: '],
    [{ pods: [pod], schedule: 'every 5 minutes' }, 'schedule: expected "rate(N minutes)"'],
    [{ pods: [pod], schedule: 'rate(1 minutes)' }, 'schedule: expected "rate(N minutes)"'],
    [{ pods: [pod], schedule: 'rate(0 minutes)' }, 'schedule: expected "rate(N minutes)"'],
    [
      { pods: [pod], schedule: 'cron(0 * * * ? *)', timezone: 'Mars/Olympus' },
      'timezone: expected an IANA time zone',
    ],
    [{ pods: [pod], timezone: 'Asia/Shanghai' }, 'timezone: only applies to cron(...) schedules'],
    [
      { pods: [pod], schedule: 'cron(0/10 * * * ? *)' },
      'runIntervalMinutes: required with a cron(...) schedule',
    ],
    [{ pods: [pod], runIntervalMinutes: 5 }, 'runIntervalMinutes: only applies to cron(...) schedules'],
    [
      { pods: [pod], schedule: 'cron(0/10 * * * ? *)', runIntervalMinutes: 0 },
      'runIntervalMinutes: expected a whole number from 1',
    ],
    [
      { pods: [pod], apiKeySecret: 'has spaces' },
      'apiKeySecret: expected a Secrets Manager secret name or ARN',
    ],
    [{ pods: [pod], lambda: { memorySizeMb: 64 } }, 'lambda.memorySizeMb: expected a whole number from 128'],
    [{ pods: [pod], lambda: { reserveConcurrency: 1 } }, 'lambda.reserveConcurrency: expected boolean'],
  ])('rejects %j naming the field', (input, expected) => {
    expect(issuesOf(input).join('\n')).toContain(expected);
  });

  it('reports every problem at once, prefixed with the source', () => {
    expect(() => parseConfig({ pods: [{ taskId: 'x', podName: 'Y' }], retries: -1 }, 'my.json')).toThrow(
      /^my\.json: pods\[0\]\.taskId: .*; pods\[0\]\.podName: .*; retries: /,
    );
  });

  it('accepts loopback http URLs and path prefixes, and strips a trailing slash', () => {
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9000']) {
      expect(parseConfig({ pods: [pod], apiBaseUrl: `http://${host}/api/osm/` }).apiBaseUrl).toBe(
        `http://${host}/api/osm`,
      );
    }
    expect(parseConfig({ pods: [pod], apiBaseUrl: 'https://api.alayanew.com/api/osm' }).apiBaseUrl).toBe(
      'https://api.alayanew.com/api/osm',
    );
  });

  it('accepts rate and cron schedules with a time zone', () => {
    expect(parseConfig({ pods: [pod], schedule: 'rate(1 minute)' }).schedule).toBe('rate(1 minute)');
    expect(
      parseConfig({
        pods: [pod],
        schedule: 'cron(0/10 * * * ? *)',
        timezone: 'Asia/Shanghai',
        runIntervalMinutes: 10,
      }).timezone,
    ).toBe('Asia/Shanghai');
  });

  it('names a JSON syntax error', () => {
    expect(() => parseConfigText('{"pods": [', 'c.json')).toThrow(/^c\.json: not valid JSON/);
  });
});
