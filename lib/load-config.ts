import { readFileSync } from 'node:fs';
import { ConfigError, type PodWatchConfig, parseConfigText } from '../lambda/config/config';

export const DEFAULT_CONFIG_PATH = 'config/pod-watch.json';
export const EXAMPLE_CONFIG_PATH = 'config/example.json';

/**
 * Reads and validates the deploy-time config. Validation goes through the same parseConfigText as
 * the CLI, so a bad file fails `cdk synth` with the same field-naming message
 * (`config/pod-watch.json: pods[2].taskId: expected a UUID ...`) before any AWS resource is built.
 *
 * Unlike the CLI, ALAYA_API_BASE_URL is not honoured here: what gets deployed must be what the
 * file says, not whatever the deploying shell happened to export.
 */
export function loadConfig(path: string = DEFAULT_CONFIG_PATH): PodWatchConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        `config file ${path} not found. Create it from the example and edit it: ` +
          `cp ${EXAMPLE_CONFIG_PATH} ${DEFAULT_CONFIG_PATH} (or pass another file with -c config=PATH)`,
        undefined,
        { cause: err },
      );
    }
    throw new ConfigError(`cannot read config file ${path} (${code ?? String(err)})`, undefined, {
      cause: err,
    });
  }
  return parseConfigText(text, path);
}

/** Reads a string context value (`-c key=value`), refusing non-strings that cdk.json could supply. */
export function stringContext(value: unknown, key: string, fallback: string): string {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string') {
    throw new ConfigError(
      `context ${key}: expected a string, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value;
}
