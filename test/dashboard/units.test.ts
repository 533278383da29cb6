import { describe, expect, it } from 'vitest';
import { html, jsonBlock, raw } from '../../src/dashboard/html.js';
import { hashPassword, verifyPassword } from '../../src/dashboard/password.js';
import { RecentBatches } from '../../src/ingest/recent-batches.js';

describe('the HTML template function', () => {
  it('escapes every interpolated value, nested lists included, and keeps markup made by templates', () => {
    const name = `"><img src=x onerror=alert(1)> & 'quotes'`;
    const out = html`<p title="${name}">${name}</p>
      ${[html`<b>${'<i>'}</b>`, ['<u>', 3]]}${null}${false}${raw('<br>')}`;
    expect(out.text.replace(/>\s+/g, '>')).toBe(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quotes&#39;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quotes&#39;</p>' +
        '<b>&lt;i&gt;</b>&lt;u&gt;3<br>',
    );
  });

  it('writes JSON that cannot close its script element', () => {
    const out = jsonBlock('data', { name: '</script><script>alert(1)</script>' }).text;
    expect(out).not.toContain('</script><script>');
    expect(JSON.parse(/>(.*)<\/script>$/.exec(out)![1]!)).toEqual({
      name: '</script><script>alert(1)</script>',
    });
  });
});

describe('member passwords', () => {
  it('hash with a fresh salt each time and verify only the same password', async () => {
    const a = await hashPassword('a long enough password');
    const b = await hashPassword('a long enough password');
    expect(a).not.toBe(b);
    expect(await verifyPassword('a long enough password', a)).toBe(true);
    expect(await verifyPassword('a long enough passwore', a)).toBe(false);
    expect(await verifyPassword('a long enough password', 'bcrypt$whatever')).toBe(false);
  });
});

describe('the live tail ring', () => {
  it('keeps the last batches per process, newest first, per dashboard and environment', () => {
    let now = 0;
    const ring = new RecentBatches(4, () => ++now);
    ring.push('d1', 'production', 'actions', 1, { user_id: 'a' });
    ring.push('d2', 'production', 'actions', 2, { user_id: 'b' });
    ring.push('d1', 'sandbox', 'logins', 3, { user_id: 'c' });
    ring.push('d1', 'production', 'level_ups', 4, { user_id: 'x'.repeat(500) });
    expect(ring.list('d1', 'production').map((b) => b.count)).toEqual([4, 1]);
    ring.push('d1', 'production', 'actions', 5, {});
    ring.push('d1', 'production', 'actions', 6, {});
    // Capacity 4: the first two batches are gone.
    expect(ring.list('d1', 'production').map((b) => b.count)).toEqual([6, 5, 4]);
    const [newest] = ring.list('d1', 'production');
    expect(ring.list('d1', 'production', newest!.seq)).toEqual([]);
    expect(ring.list('d1', 'production', newest!.seq - 1).map((b) => b.count)).toEqual([6]);
    expect(ring.list('d1', 'production', 0, 1)).toHaveLength(1);
    expect(ring.list('d1', 'production')[2]!.sample).toHaveLength(300);
    expect(ring.list('d1', 'sandbox').map((b) => b.type)).toEqual(['logins']);
  });
});

describe('the password hashing limit', () => {
  it('runs at most `max` tasks at once, queues the next ones in order and refuses beyond the queue with 429', async () => {
    const { ConcurrencyLimit } = await import('../../src/dashboard/concurrency-limit.js');
    const { ThrottledError } = await import('../../src/errors.js');
    const limit = new ConcurrencyLimit(2, 3, 'busy');
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const task = (i: number) => () =>
      new Promise<number>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        releases.push(() => {
          running--;
          resolve(i);
        });
      });
    const runs = [0, 1, 2, 3, 4].map((i) => limit.run(task(i)));
    const refused = limit.run(task(5));
    await expect(refused).rejects.toBeInstanceOf(ThrottledError);
    await expect(refused).rejects.toMatchObject({ status: 429, retryAfterSeconds: 1, message: 'busy' });
    while (order.length < 5 || releases.length > 0) {
      await new Promise((r) => setTimeout(r, 1));
      releases.shift()?.();
    }
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    // A failing task frees its slot too.
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limit.run(() => Promise.resolve('free'))).toBe('free');
  });
});
