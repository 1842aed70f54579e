import { inspect } from 'node:util';
import { vi } from 'vitest';

/**
 * Records every byte written to stdout/stderr and the console while a test runs (Powertools writes
 * there through its own Console). Objects given to the console are rendered deeply, so a secret
 * nested in an error's `cause` is seen too.
 */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const record = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const consoleRecord = (...args: unknown[]): void => {
    chunks.push(`${args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' ')}\n`);
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(record),
    vi.spyOn(process.stderr, 'write').mockImplementation(record),
    vi.spyOn(console, 'log').mockImplementation(consoleRecord),
    vi.spyOn(console, 'info').mockImplementation(consoleRecord),
    vi.spyOn(console, 'warn').mockImplementation(consoleRecord),
    vi.spyOn(console, 'error').mockImplementation(consoleRecord),
    vi.spyOn(console, 'debug').mockImplementation(consoleRecord),
  ];
  return {
    text: () => chunks.join(''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
