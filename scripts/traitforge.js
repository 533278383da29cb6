// `npm run traitforge -- …` from a checkout: run the built CLI, rebuilding first only when a
// source file is newer than the build (npm ci's `prepare` builds once), so a command starts in
// well under a second instead of paying for a TypeScript build every call.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');

/** The newest modification time under dir (0 when it does not exist). */
function newest(dir, suffix) {
  let latest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) latest = Math.max(latest, newest(path, suffix));
    else if (e.name.endsWith(suffix)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

// tsc leaves unchanged outputs untouched, so the build's own stamp (written by `npm run build`
// and here) says when it last ran.
const stamp = join(root, 'dist', '.build-stamp');
let built = 0;
try {
  built = statSync(stamp).mtimeMs;
} catch {
  // never built
}
const sources = Math.max(newest(join(root, 'src'), '.ts'), statSync(join(root, 'package.json')).mtimeMs);
if (built === 0 || sources > built) {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  writeFileSync(stamp, '');
}
await import(pathToFileURL(entry).href);
