import { readFileSync } from 'node:fs';
import { ConfigError, type PodWatchConfig, parseConfig, parseConfigText } from './config';

/**
 * Reads and validates a config file. `ALAYA_API_BASE_URL` in `env`, when set, replaces `apiBaseUrl`
 * and goes through the same validation (an http:// URL to a remote host is refused there too).
 */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = {}): PodWatchConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `config file ${path} not found (start from config/example.json)`
        : `cannot read config file ${path} (${code ?? 'error'})`,
      undefined,
      { cause: err },
    );
  }
  const override = env.ALAYA_API_BASE_URL?.trim();
  if (!override) return parseConfigText(text, path);
  const raw = parseJson(text, path);
  const withOverride =
    raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw, apiBaseUrl: override } : raw;
  try {
    return parseConfig(withOverride, path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const issues = err.issues.map((i) => i.replace(/^apiBaseUrl:/, 'apiBaseUrl (from ALAYA_API_BASE_URL):'));
    throw new ConfigError(`${path}: ${issues.join('; ')}`, issues, { cause: err });
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`, undefined, { cause: err });
  }
}
