import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * `npm run traitforge` runs scripts/traitforge.js: it must build only when a source is newer
 * than the last build. The launcher runs here in a scratch checkout whose "tsc" only records
 * that it ran, so the test sees every build it starts.
 */
describe('the CLI launcher', () => {
  let root: string;
  const tscRuns = () => join(root, 'tsc-runs');

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'traitforge-launcher-'));
    mkdirSync(join(root, 'scripts'));
    copyFileSync('scripts/traitforge.js', join(root, 'scripts', 'traitforge.js'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.ts'), 'export {};\n');
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true });
    writeFileSync(
      join(root, 'dist', 'src', 'cli', 'main.js'),
      "console.log('cli ran', process.argv.slice(2).join(' '));\n",
    );
    mkdirSync(join(root, 'node_modules', 'typescript', 'bin'), { recursive: true });
    writeFileSync(
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      `const fs = require('fs');
fs.appendFileSync(${JSON.stringify(tscRuns())}, 'x');
process.exit(fs.existsSync(${JSON.stringify(join(root, 'broken'))}) ? 2 : 0);
`,
    );
    writeFileSync(join(root, 'node_modules', 'typescript', 'package.json'), '{"type":"commonjs"}\n');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const run = () =>
    spawnSync(process.execPath, [join(root, 'scripts', 'traitforge.js'), 'key', 'list'], {
      encoding: 'utf8',
    });
  const builds = () => (existsSync(tscRuns()) ? readFileSync(tscRuns(), 'utf8').length : 0);

  it('builds on the first call, then runs the built CLI without building again', () => {
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('cli ran key list\n');
    expect(builds()).toBe(1);
    expect(existsSync(join(root, 'dist', '.build-stamp'))).toBe(true);
    const second = run();
    expect(second.stdout).toBe('cli ran key list\n');
    expect(builds()).toBe(1);
  });

  it('rebuilds when a source changed after the last build', () => {
    run();
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'a.ts'), later, later);
    expect(run().status).toBe(0);
    expect(builds()).toBe(2);
  });

  it('stops with the build’s exit code, without running a stale CLI, when the build fails', () => {
    writeFileSync(join(root, 'broken'), '');
    const result = run();
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(existsSync(join(root, 'dist', '.build-stamp'))).toBe(false);
  });
});
