/**
 * Builds CDK apps the way `cdk synth` does (cdk.json context, cdk-nag registered), minus the parts
 * that only cost time in unit tests: bundling and the CloudFormation schema validation.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type PolicyViolation, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll } from 'vitest';
import { type PodWatchConfig, type PodWatchConfigInput, parseConfig } from '../../lambda/config/config';
import { PodWatchStack } from '../../lib/pod-watch-stack';

const PROJECT_ROOT = join(__dirname, '..', '..');
const REAL_HANDLER = join(PROJECT_ROOT, 'lambda', 'handler.ts');

/** The `context` block of cdk.json, read fresh so tests follow any change to it. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Test apps synthesize into directories of their own: test/setup.ts empties every cdk.out* in the
 * temp dir when any test file ends, which would pull the assembly from under a file still running.
 */
const ownDirs: string[] = [];
export function testTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pod-watch-${label}-`));
  ownDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of ownDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function testApp(extraContext: Record<string, unknown> = {}): App {
  return new App({
    outdir: testTempDir('cdk-out'),
    context: {
      ...cdkJsonContext(),
      // No stack is bundled: the tests look at templates, and esbuild would add a second or more.
      'aws:cdk:bundling-stacks': [],
      // A failed validation throws with the full report instead of printing it (as under NODE_ENV=test).
      '@aws-cdk/core:appMode': 'inmemory',
      ...extraContext,
    },
    builtinCloudFormationValidation: false,
  });
}

/** Bundling is skipped, so any existing source file will do until the real handler is written. */
function handlerEntry(): string {
  if (existsSync(REAL_HANDLER)) return REAL_HANDLER;
  const dir = testTempDir('handler-stub');
  const stub = join(dir, 'handler.ts');
  writeFileSync(stub, 'export const handler = async () => ({});\n');
  return stub;
}

/** A valid config with overrides, parsed by the same schema as the CLI and bin/app.ts. */
export function testConfig(overrides: Partial<PodWatchConfigInput> = {}): PodWatchConfig {
  return parseConfig({
    pods: [
      { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'tn-exqr5k7lvj7k-master-0', name: 'master' },
      { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'tn-exqr5k7lvj7k-worker-0' },
    ],
    ...overrides,
  });
}

/** `n` distinct pods with realistic name lengths. */
export function manyPods(n: number): PodWatchConfigInput['pods'] {
  return Array.from({ length: n }, (_, i) => ({
    taskId: `ca78d6b9-e196-5a0f-b1be-${i.toString(16).padStart(12, '0')}`,
    podName: `tn-exqr5k7lvj7k-worker-${i}`,
    name: `training job ${i}`,
  }));
}

export interface SynthResult {
  app: App;
  stack: PodWatchStack;
  template: Template;
  config: PodWatchConfig;
}

/** One app, one stack, cdk-nag registered exactly as bin/app.ts does; not synthesized yet. */
export function buildPodWatch(
  config: PodWatchConfig,
  stackName = 'PodWatchTest',
): { app: App; stack: PodWatchStack } {
  const app = testApp();
  const stack = new PodWatchStack(app, stackName, { config, handlerEntry: handlerEntry() });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * Template.fromStack runs the synth, cdk-nag included, so an unacknowledged finding makes this
 * throw just as it fails `cdk synth`.
 */
export function synthPodWatch(config: PodWatchConfig, stackName = 'PodWatchTest'): SynthResult {
  const { app, stack } = buildPodWatch(config, stackName);
  return { app, stack, template: Template.fromStack(stack), config };
}

/** Every AwsSolutions finding left unacknowledged, errors and warnings alike (both fail synth). */
export function nagFindings(app: App): PolicyViolation[] {
  return new AwsSolutionsChecks().validateScope(app).violations;
}

export type Json = Record<string, unknown>;

/** Flattens intrinsics the way cdk-nag prints them: {Ref: X} → <X>, GetAtt → <X.Attr>, Join → concatenation. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v && 'Ref' in v) return `<${String(v.Ref)}>`;
  if (v && 'Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v && 'Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(sep);
  }
  return JSON.stringify(value);
}
