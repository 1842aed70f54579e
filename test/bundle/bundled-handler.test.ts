/**
 * The artefact that would be deployed: the CDK app is synthesized WITH bundling (esbuild, locally),
 * and the produced index.js runs in a plain `node` child process, as Lambda would run it, against
 * dynalite (DynamoDB), the loopback fake Alaya API, and a loopback impersonation of SNS (query
 * protocol) and Secrets Manager (JSON protocol). Nothing from the project's node_modules is on the
 * child's path: the bundle must carry everything it needs.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PodWatchConfig, parseConfig } from '../../lambda/config/config';
import { BUNDLED_CONFIG_FILE_NAME, METRICS_NAMESPACE, PodWatchStack } from '../../lib/pod-watch-stack';
import { type FakeAlayaApi, startFakeAlayaApi } from '../../simulator/fake-alaya-api';
import { type DynaliteHandle, startDynalite } from '../support/dynalite';

const STACK_NAME = 'PodWatchBundleTest';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';
const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alaya-api-key-AbCdEf';
const API_KEY = 'bundle-test-key';
/** Bundled SDK v3 clients + Powertools + zod, minified: well under this (printed below). */
const MAX_BUNDLE_BYTES = 2 * 1024 * 1024;
const RESULT_MARKER = 'POD_WATCH_RESULT ';

const PODS = [
  { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'tn-exqr5k7lvj7k-master-0', name: 'master' },
  { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'tn-exqr5k7lvj7k-worker-0', name: 'worker' },
] as const;

interface RecordedAwsRequest {
  service: 'sns' | 'secretsmanager' | 'unknown';
  path: string;
  target?: string;
  body: string;
}

interface FakeAws {
  url: string;
  requests: RecordedAwsRequest[];
  close(): Promise<void>;
}

/** One loopback server answering both Secrets Manager (awsJson1_1) and SNS (awsQuery). */
async function startFakeAws(secretString: string): Promise<FakeAws> {
  const requests: RecordedAwsRequest[] = [];
  const reply = (res: ServerResponse, status: number, contentType: string, body: string) => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined;
    const path = req.url ?? '/';
    if (req.method === 'POST' && target === 'secretsmanager.GetSecretValue') {
      requests.push({ service: 'secretsmanager', path, target, body });
      const input = JSON.parse(body) as { SecretId?: string };
      reply(
        res,
        200,
        'application/x-amz-json-1.1',
        JSON.stringify({
          ARN: SECRET_ID,
          Name: input.SecretId,
          SecretString: secretString,
          VersionId: 'v-1',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1_764_000_000,
        }),
      );
      return;
    }
    const form = new URLSearchParams(body);
    if (req.method === 'POST' && form.get('Action') === 'Publish') {
      requests.push({ service: 'sns', path, body });
      const n = requests.filter((r) => r.service === 'sns').length;
      reply(
        res,
        200,
        'text/xml',
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">' +
          `<PublishResult><MessageId>message-${n}</MessageId></PublishResult>` +
          `<ResponseMetadata><RequestId>request-${n}</RequestId></ResponseMetadata></PublishResponse>`,
      );
      return;
    }
    requests.push({ service: 'unknown', path, ...(target ? { target } : {}), body });
    reply(res, 400, 'application/json', JSON.stringify({ __type: 'UnknownOperationException' }));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `MessageAttributes.entry.N.Name` / `.Value.StringValue` of an awsQuery Publish, as a plain map. */
function messageAttributes(form: URLSearchParams): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    out[form.get(`MessageAttributes.entry.${i}.Name`) ?? ''] =
      form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? undefined;
  }
  return out;
}

/** Runs in the child: plain CommonJS, no TypeScript, no test framework. */
const CHILD_SCRIPT = `
const { handler } = require(process.argv[2]);
const context = (id) => ({ awsRequestId: id, getRemainingTimeInMillis: () => 60000 });
const nextMessage = () => new Promise((resolve) => process.once('message', resolve));
function finish(report) {
  process.stdout.write('${RESULT_MARKER}' + JSON.stringify(report) + '\\n', () => process.exit(0));
}
(async () => {
  const results = [];
  try {
    results.push(await handler({}, context('bundle-run-1')));
    process.send({ phase: 'first-run-done' });
    await nextMessage();
    results.push(await handler({}, context('bundle-run-2')));
    finish({ ok: true, results });
  } catch (err) {
    finish({ ok: false, results, error: String((err && err.stack) || err) });
  }
})();
`;

interface ChildReport {
  ok: boolean;
  results: Record<string, unknown>[];
  error?: string;
}

let workDir: string;
let assetDir: string;
let config: PodWatchConfig;
let functionEnv: Record<string, string>;
let dynalite: DynaliteHandle;
let api: FakeAlayaApi;
let aws: FakeAws;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pod-watch-bundle-'));
  config = parseConfig({ pods: PODS, retries: 0, timeoutSeconds: 5, apiKeySecret: SECRET_ID });

  const context = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context as Record<
    string,
    unknown
  >;
  const app = new App({ context, outdir: join(workDir, 'cdk.out'), builtinCloudFormationValidation: false });
  const started = performance.now();
  // NodejsFunction bundles while the stack is built; synth then writes the assembly.
  const stack = new PodWatchStack(app, STACK_NAME, { config });
  const assembly = app.synth();
  console.log(`stack + synth with bundling: ${Math.round(performance.now() - started)} ms`);

  // The function's Code points at an asset by hash; the asset manifest says which directory holds it.
  const template = assembly.getStackByName(STACK_NAME).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const fnId = Stack.of(stack).getLogicalId(stack.function.node.defaultChild as CfnResource);
  const fn = template.Resources[fnId];
  expect(fn?.Type).toBe('AWS::Lambda::Function');
  const code = fn?.Properties.Code as { S3Key: string };
  const hash = code.S3Key.replace(/\.zip$/, '');
  const manifestFile = join(app.outdir, `${STACK_NAME}.assets.json`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    files: Record<string, { source: { path: string; packaging?: string } }>;
  };
  const source = manifest.files[hash]?.source;
  expect(source?.packaging).toBe('zip');
  assetDir = join(app.outdir, source?.path ?? 'missing-asset');

  // The variables the stack sets whose values are known at synth (the rest are references).
  const environment = fn?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
  const variables = environment?.Variables ?? {};
  expect(variables).toHaveProperty('LEASE_TTL_SECONDS');
  functionEnv = Object.fromEntries(
    Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );

  dynalite = await startDynalite();
  api = await startFakeAlayaApi({ validKeys: [API_KEY] });
  for (const pod of PODS) api.setPod(pod.taskId, pod.podName, { restartCount: 1 });
  aws = await startFakeAws(JSON.stringify({ apiKey: API_KEY }));
}, 60_000);

afterAll(async () => {
  await aws?.close();
  await api?.close();
  await dynalite?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Forks plain node on the child script; between the two runs, restarts one pod on the fake API. */
function runChild(
  env: Record<string, string>,
): Promise<{ report: ChildReport; stdout: string; stderr: string }> {
  const script = join(workDir, 'run-bundle.cjs');
  writeFileSync(script, CHILD_SCRIPT);
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(script, [join(assetDir, 'index.js')], {
      cwd: workDir,
      env,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bundle did not finish in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 10_000);
    child.on('message', (msg: { phase?: string }) => {
      if (msg.phase !== 'first-run-done') return;
      const master = PODS[0];
      api.updatePod(master.taskId, master.podName, { restartCount: 4 });
      child.send({ go: true });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || line === undefined) {
        reject(new Error(`child exited with ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        return;
      }
      resolve({ report: JSON.parse(line.slice(RESULT_MARKER.length)) as ChildReport, stdout, stderr });
    });
  });
}

describe('the bundled handler (cdk synth with esbuild)', () => {
  it('holds index.js, its source map and the normalised config, and needs no node_modules', () => {
    const indexJs = join(assetDir, 'index.js');
    expect(existsSync(indexJs)).toBe(true);
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
    const bundled = JSON.parse(readFileSync(join(assetDir, BUNDLED_CONFIG_FILE_NAME), 'utf8')) as unknown;
    expect(bundled).toEqual(JSON.parse(JSON.stringify(config)));
    expect(existsSync(join(assetDir, 'node_modules'))).toBe(false);

    const size = statSync(indexJs).size;
    console.log(`bundle: index.js ${(size / 1024).toFixed(1)} KiB`);
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    const code = readFileSync(indexJs, 'utf8');
    // `[require("@aws-sdk/signature-v4-crt");]` is advice quoted in an SDK error message, not a call.
    const required = new Set([...code.matchAll(/(?<!\[)\brequire\("([^"]+)"\)/g)].map((m) => m[1] as string));
    expect(required).toContain('node:http');
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    expect([...required].filter((m) => !builtins.has(m))).toEqual([]);
  });

  it('runs in plain node: a silent first run, then one Publish for the restart', async () => {
    const table = await dynalite.createTable();
    const { report, stdout, stderr } = await runChild({
      PATH: process.env.PATH ?? '',
      ...functionEnv,
      TABLE_NAME: table,
      TOPIC_ARN,
      API_KEY_SECRET_ID: SECRET_ID,
      ALAYA_API_BASE_URL: api.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ENDPOINT_URL_SNS: aws.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // No shared config or credentials files from the machine running the tests.
      AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });

    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.results).toEqual([
      expect.objectContaining({ status: 'completed', pods: 2, alerts: 0 }),
      expect.objectContaining({ status: 'completed', pods: 2, alerts: 1 }),
    ]);

    expect(aws.requests.filter((r) => r.service === 'unknown')).toEqual([]);
    const secretReads = aws.requests.filter((r) => r.service === 'secretsmanager');
    // Cached across the two warm invocations of one container.
    expect(secretReads).toHaveLength(1);
    expect(JSON.parse(secretReads[0]?.body ?? '{}')).toEqual({ SecretId: SECRET_ID });

    const publishes = aws.requests.filter((r) => r.service === 'sns');
    expect(publishes).toHaveLength(1);
    const form = new URLSearchParams(publishes[0]?.body);
    expect(form.get('TopicArn')).toBe(TOPIC_ARN);
    expect(form.get('MessageStructure')).toBe('json');
    const message = JSON.parse(form.get('Message') ?? 'null') as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'sms']);
    expect(message.email).toContain('master restarted: restarts 1 → 4');
    expect(message.sms).toContain('master');
    expect(messageAttributes(form)).toEqual({
      'AWS.SNS.SMS.SMSType': 'Transactional',
      severity: 'warning',
      type: '["restarted"]',
    });
    expect(form.get('Subject')).toEqual(expect.stringContaining('master'));

    // Powertools in the bundle: logs and EMF metrics on stdout, as CloudWatch would receive them.
    const docs = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const emf = docs.filter((d) => d._aws !== undefined);
    expect(emf.map((d) => d.RunsSucceeded)).toEqual([1, 1]);
    expect(JSON.stringify(emf[0])).toContain(`"Namespace":"${METRICS_NAMESPACE}"`);
    expect(emf[0]?.service).toBe(STACK_NAME);
    expect(docs.filter((d) => d.message === 'run completed')).toHaveLength(2);
    expect(stderr).not.toMatch(/error/i);
    expect(stdout + stderr).not.toContain(API_KEY);
  });
});
