#!/usr/bin/env node
/** Writes config/pod-watch.schema.json from the zod schema; a test fails when the file is stale. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigJsonSchema } from '../lambda/config/json-schema';

const target = join(__dirname, '..', 'config', 'pod-watch.schema.json');
writeFileSync(target, renderConfigJsonSchema());
process.stdout.write(`wrote ${target}\n`);
