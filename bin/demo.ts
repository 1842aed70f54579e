#!/usr/bin/env node
import { runDemo } from '../lambda/demo/demo';

const args = process.argv.slice(2);
const i = args.indexOf('--language');
const language = i >= 0 ? args[i + 1] : 'en';
if (language !== 'en' && language !== 'zh') {
  process.stderr.write('demo: --language must be en or zh\n');
  process.exit(3);
}
runDemo({ language, write: (t) => process.stdout.write(t) }).catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
