import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Template.fromStack writes cdk.out* folders into the temp dir and never removes them.
afterAll(() => {
  for (const entry of readdirSync(tmpdir())) {
    if (entry.startsWith('cdk.out') || entry.startsWith('cdk-test-app')) {
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    }
  }
});
