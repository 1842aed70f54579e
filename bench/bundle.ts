/**
 * esbuild bundles, built with the JS API so the benchmark needs no CDK synth and no Docker.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const PROJECT_ROOT = join(__dirname, '..');

/**
 * What NodejsFunction passes to esbuild for the handler in lib/pod-watch-stack.ts (bundling: minify,
 * sourceMap, sourcesContent false, target node22, format cjs, externalModules [] so the AWS SDK is
 * bundled; platform node and bundle are NodejsFunction's own). Keep in step with the stack, or the
 * size and cold start measured here stop describing what is deployed.
 */
export const STACK_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  logLevel: 'warning',
} as const satisfies BuildOptions;

export interface BundleInfo {
  file: string;
  bytes: number;
  mapBytes: number;
}

/**
 * lambda/handler.ts as deployed: `<outDir>/index.js` and its `.map`. `overrides` tries another
 * value of a bundling option the stack sets (NodejsFunction passes `sourcesContent` to esbuild).
 */
export async function bundleHandler(
  outDir: string,
  overrides: Pick<BuildOptions, 'sourcesContent'> = {},
): Promise<BundleInfo> {
  const file = join(outDir, 'index.js');
  await build({
    ...STACK_BUNDLE_OPTIONS,
    ...overrides,
    entryPoints: [join(PROJECT_ROOT, 'lambda', 'handler.ts')],
    outfile: file,
  });
  return { file, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size };
}

/**
 * A bench script for plain `node` on this machine: unminified (stack traces stay readable) and
 * without a source map (Node would not load it without --enable-source-maps anyway).
 */
export async function bundleScript(entry: string, outFile: string): Promise<string> {
  await build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    logLevel: 'warning',
  });
  return outFile;
}
