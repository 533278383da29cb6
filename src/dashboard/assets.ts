import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { APP_SCRIPT } from './client/app-script.js';
import { APP_STYLE } from './client/app-style.js';

export interface Asset {
  body: Buffer;
  type: string;
  /** The URL pages use: the content hash in the query makes a year-long cache safe. */
  url: string;
}

/** Chart.js's UMD build, from the installed package (its `exports` hide dist/ from `resolve`). */
function chartJs(): Buffer {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(main), 'chart.umd.min.js'));
}

function asset(name: string, body: Buffer, type: string): [string, Asset] {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return [name, { body, type, url: `/dashboard/assets/${name}?v=${hash}` }];
}

/** Everything the pages load: served by the server itself, no other origin is ever asked. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  return new Map([
    asset('app.css', Buffer.from(APP_STYLE), 'text/css; charset=utf-8'),
    asset('app.js', Buffer.from(APP_SCRIPT), 'text/javascript; charset=utf-8'),
    asset('chart.umd.min.js', chartJs(), 'text/javascript; charset=utf-8'),
  ]);
}
