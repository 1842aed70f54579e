import { configJsonSchema } from './config';

/** The committed JSON Schema text, so editors complete and check config files. */
export function renderConfigJsonSchema(): string {
  const schema = {
    ...configJsonSchema(),
    $id: 'https://github.com/alaya-pod-watch/alaya-pod-watch/config/pod-watch.schema.json',
    title: 'alaya-pod-watch configuration',
    description: 'Generated from lambda/config/config.ts by `npm run schema`; do not edit by hand.',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
