#!/usr/bin/env node
// Entry point of the `inspectord` command: runs the compiled CLI (npm run build first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'inspectord: not built yet; run `npm run build` (or `npm test`) in the checkout first\n',
  );
  process.exit(2);
}
await import(entry.href);
