// Writes crds/*.yaml from lib/schema (the single source). `npm run build` runs it; a test checks
// the committed files match, so a schema change without regenerated CRDs fails CI.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { renderCrds } from '../lib/crds/render.js';

export function crdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of renderCrds()) {
    const name = (crd['metadata'] as { name: string }).name;
    const text = `# Generated from lib/schema by hack/gen-crds.ts (npm run gen:crds). Do not edit.\n${stringify(crd, { lineWidth: 0 })}`;
    files.set(`${name}.yaml`, text);
  }
  return files;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  // dist/hack/gen-crds.js → repo root is two levels up.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = join(root, 'crds');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of crdFiles()) writeFileSync(join(dir, name), text);
  console.log(`wrote ${[...crdFiles().keys()].join(', ')} to crds/`);
}
