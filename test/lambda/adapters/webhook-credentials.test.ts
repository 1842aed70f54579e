import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatDeliveryError } from '../../../lambda/adapters/chat-webhooks';
import { parseWebhookCredentials, resolveChannels } from '../../../lambda/adapters/webhook-credentials';
import { ConfigError, type WebhookConfig, webhookSchema } from '../../../lambda/config/config';
import { renderNotification } from '../../../lambda/core/messages';
import type { Alert } from '../../../lambda/core/types';

const SOURCE = 'secret pod-watch/webhooks';
const URL_CANARY = 'urlCANARY0123456789abcdef';
const SECRET_CANARY = 'SECsecretCANARY987654321';

const DING_URL = 'https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef';
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX';
const WECOM_URL = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7000-4bc4-97a0-0ec2sifa5aaa';
const FEISHU_URL = 'https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd';

function parseError(value: unknown, options?: { allowHttpLoopback?: boolean }): ConfigError {
  try {
    parseWebhookCredentials(value, SOURCE, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    for (const text of [e.message, ...e.issues]) {
      expect(text).not.toContain(URL_CANARY);
      expect(text).not.toContain(SECRET_CANARY);
    }
    return e;
  }
  throw new Error('expected a ConfigError');
}

const webhook = (name: string, type: WebhookConfig['type'], severities?: WebhookConfig['severities']) =>
  webhookSchema.parse({ name, type, ...(severities ? { severities } : {}) });

describe('parseWebhookCredentials', () => {
  it('reads names to URLs and optional signing secrets', () => {
    expect(
      parseWebhookCredentials(
        {
          oncall: { url: DING_URL, secret: 'SEC123' },
          team: { url: SLACK_URL },
          'ops-2': { url: WECOM_URL },
        },
        SOURCE,
      ),
    ).toEqual({
      oncall: { url: DING_URL, secret: 'SEC123' },
      team: { url: SLACK_URL },
      'ops-2': { url: WECOM_URL },
    });
    expect(parseWebhookCredentials({}, SOURCE)).toEqual({});
  });

  it('refuses anything but an object', () => {
    for (const [value, got] of [
      [[], 'an array'],
      [null, 'null'],
      [`https://hooks.slack.com/services/${URL_CANARY}`, 'string'],
    ] as const) {
      const err = parseError(value);
      expect(err.message).toBe(
        `${SOURCE}: webhooks: expected an object mapping webhook names to { "url", "secret"? }, got ${got}`,
      );
    }
  });

  it('names every wrong field without printing a URL or a secret', () => {
    const err = parseError({
      oncall: { url: `http://oapi.dingtalk.com/robot/send?access_token=${URL_CANARY}`, secret: '' },
      team: { url: 42 },
      ops: { url: SLACK_URL, token: SECRET_CANARY },
      [`https://hooks.slack.com/services/${URL_CANARY}`]: { url: SLACK_URL },
      dev: `https://open.feishu.cn/open-apis/bot/v2/hook/${URL_CANARY}`,
      qa: { secret: SECRET_CANARY },
      lab: { url: `https://user:${SECRET_CANARY}@hooks.slack.com/services/${URL_CANARY}` },
      ml: { url: `${URL_CANARY} is not a URL` },
    });
    expect(err.issues).toEqual([
      'webhooks.oncall.url: expected an https URL',
      'webhooks.oncall.secret: expected a non-empty string',
      'webhooks.team.url: expected a string, got number',
      'webhooks.ops: unknown key "token" (expected "url" and optionally "secret")',
      'webhooks: entry 4 has an invalid name (expected 1-32 lowercase letters, digits or "-", as in the config\'s webhooks[].name)',
      'webhooks.dev: expected an object { "url", "secret"? }, got string',
      'webhooks.qa.url: expected a string (missing)',
      'webhooks.lab.url: must not contain a user name or password',
      'webhooks.ml.url: expected an https URL',
    ]);
    expect(err.message).toBe(`${SOURCE}: ${err.issues.join('; ')}`);
  });

  it('accepts plain http on loopback only when asked', () => {
    const local = { oncall: { url: 'http://127.0.0.1:8080/robot/send?access_token=x' } };
    expect(parseError(local).issues).toEqual(['webhooks.oncall.url: expected an https URL']);
    expect(parseWebhookCredentials(local, SOURCE, { allowHttpLoopback: true })).toEqual(local);
    expect(parseError({ oncall: { url: 'http://10.0.0.1/x' } }, { allowHttpLoopback: true }).issues).toEqual([
      'webhooks.oncall.url: expected an https URL',
    ]);
  });
});

describe('resolveChannels', () => {
  it('builds one channel per configured webhook, in config order, ignoring unused credentials', () => {
    const channels = resolveChannels([webhook('team', 'slack'), webhook('oncall', 'dingtalk')], {
      oncall: { url: DING_URL, secret: 'SEC123' },
      team: { url: SLACK_URL },
      spare: { url: FEISHU_URL },
    });
    expect(channels.map((c) => [c.name, c.type])).toEqual([
      ['team', 'slack'],
      ['oncall', 'dingtalk'],
    ]);
  });

  it('names every webhook without credentials, and every credential unfit for its type, at once', () => {
    let caught: unknown;
    try {
      resolveChannels(
        [
          webhook('oncall', 'dingtalk'),
          webhook('ops', 'wecom'),
          webhook('dev', 'feishu'),
          webhook('constructor', 'slack'),
        ],
        {
          oncall: { url: DING_URL },
          ops: { url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?token=${URL_CANARY}` },
        },
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.issues).toEqual([
      'webhooks[name=ops]: url: expected a WeCom robot URL with a key parameter (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...)',
      'webhooks[name=dev]: no credentials (add "dev": { "url": ... } to the secret\'s "webhooks" object)',
      'webhooks[name=constructor]: no credentials (add "constructor": { "url": ... } to the secret\'s "webhooks" object)',
    ]);
    expect(err.message).toBe(err.issues.join('; '));
    expect(err.message).not.toContain(URL_CANARY);
  });

  describe('end to end over loopback', () => {
    const servers: Server[] = [];
    afterEach(async () => {
      for (const s of servers.splice(0)) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
    });

    it('parses, resolves and delivers with the options passed through', async () => {
      const bodies: string[] = [];
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push(Buffer.concat(chunks).toString('utf8'));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            bodies.length === 1
              ? '{"errcode":0,"errmsg":"ok"}'
              : '{"errcode":93000,"errmsg":"invalid webhook url"}',
          );
        });
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

      const credentials = parseWebhookCredentials(
        { ops: { url: `${base}/cgi-bin/webhook/send?key=${URL_CANARY}` } },
        SOURCE,
        { allowHttpLoopback: true },
      );
      const [ops] = resolveChannels([webhook('ops', 'wecom', ['critical'])], credentials, {
        allowHttpLoopback: true,
        retryDelayMs: 0,
      });
      const alert: Alert = {
        type: 'not-running',
        severity: 'critical',
        reminder: false,
        pod: { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'tn-a-0', name: 'master' },
        status: 'Failed',
        at: '2026-11-21T10:00:00.000Z',
      };
      const n = renderNotification([alert], { language: 'en' });
      await ops?.send(n, { language: 'en' });
      expect(JSON.parse(bodies[0] as string).msgtype).toBe('markdown');

      const failure = await ops?.send(n, { language: 'en' }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(ChatDeliveryError);
      expect((failure as Error).message).toBe(
        'webhook ops (wecom): errcode 93000: invalid webhook url (HTTP 200)',
      );
    });
  });
});
