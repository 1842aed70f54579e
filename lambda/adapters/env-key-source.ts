import { KeySourceError } from '../core/errors';
import type { KeySource } from '../core/ports';

/** The local CLI's key source: an environment variable, read on every call so a fixed key is picked up. */
export class EnvKeySource implements KeySource {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly variable = 'ALAYA_API_KEY',
  ) {}

  async getKey(): Promise<string> {
    const value = this.env[this.variable]?.trim();
    if (!value) throw new KeySourceError(`${this.variable} is not set: export your Alaya Open API key in it`);
    return value;
  }
}
