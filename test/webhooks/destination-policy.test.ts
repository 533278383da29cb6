import type { lookup } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { DestinationPolicy, DestinationRefusedError } from '../../src/webhooks/destination-policy.js';
import { redactUrl } from '../../src/webhooks/webhook-url.js';

/** A resolver answering from a table, as DNS would (possibly differently each time). */
function fakeDns(table: Record<string, string[]>): typeof lookup {
  return ((host: string, _options: unknown, callback: (e: Error | null, a: unknown) => void) => {
    const addresses = table[host];
    if (!addresses)
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
    else
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
  }) as unknown as typeof lookup;
}

function resolveWith(policy: DestinationPolicy, host: string, all: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    policy.lookup(host, { all }, (error, address, family) => {
      if (error) reject(error);
      else resolve(all ? address : { address, family });
    });
  });
}

describe('the destination policy of outbound webhooks', () => {
  const strict = new DestinationPolicy([]);

  it('refuses loopback, private, link-local, CGNAT, metadata and unspecified addresses, in every form', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.100.100.200',
      '0.0.0.0',
      '::1',
      '::',
      'fd00:ec2::254',
      'fc00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '::ffff:10.0.0.1',
    ]) {
      expect(strict.refusal(address, address), address).toBeDefined();
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(strict.refusal(address, address), address).toBeUndefined();
    }
    expect(strict.refusal('169.254.169.254', 'x')).toBe(
      '169.254.169.254 (a link-local (cloud metadata) address)',
    );
  });

  it('judges the URL alone by its literal address or metadata host name; other names pass', () => {
    const refused = (url: string) => strict.urlRefusal(new URL(url));
    expect(refused('http://0x7f000001/')).toMatch(
      /^127\.0\.0\.1 \(a loopback address\) is refused unless TRAITFORGE_WEBHOOK_ALLOW/,
    );
    expect(refused('http://[::ffff:169.254.169.254]/')).toMatch(/^::ffff:a9fe:a9fe \(a link-local/);
    expect(refused('http://METADATA.google.internal/')).toMatch(
      /^metadata\.google\.internal \(a cloud metadata service\)/,
    );
    expect(refused('https://hooks.example.com/x')).toBeUndefined();
    expect(refused('https://93.184.216.34/x')).toBeUndefined();
  });

  it('allows what TRAITFORGE_WEBHOOK_ALLOW names: host names, addresses and CIDR ranges', () => {
    const policy = new DestinationPolicy(['127.0.0.1', '10.20.0.0/16', 'Hooks.Internal', 'fd12::/16']);
    expect(policy.refusal('127.0.0.1', 'x')).toBeUndefined();
    expect(policy.refusal('::ffff:127.0.0.1', 'x')).toBeUndefined();
    expect(policy.refusal('127.0.0.2', 'x')).toBeDefined();
    expect(policy.refusal('10.20.3.4', 'x')).toBeUndefined();
    expect(policy.refusal('10.21.3.4', 'x')).toBeDefined();
    expect(policy.refusal('fd12::5', 'x')).toBeUndefined();
    expect(policy.refusal('192.168.1.1', 'hooks.internal')).toBeUndefined();
    expect(policy.urlRefusal(new URL('http://hooks.internal/'))).toBeUndefined();
    expect(() => new DestinationPolicy(['10.0.0.0/40'])).toThrow(/not a host name, IP address or CIDR range/);
  });

  it('checks the addresses a name resolves to when connecting: one refused address refuses the name', async () => {
    const dns = fakeDns({
      'public.example': ['93.184.216.34', '2606:2800:220:1::1'],
      'rebind.example': ['93.184.216.34', '127.0.0.1'],
      'meta.example': ['169.254.169.254'],
    });
    const policy = new DestinationPolicy([], dns);
    expect(await resolveWith(policy, 'public.example', true)).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
    expect(await resolveWith(policy, 'public.example', false)).toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    const refusal = resolveWith(policy, 'rebind.example', true);
    await expect(refusal).rejects.toBeInstanceOf(DestinationRefusedError);
    await expect(refusal).rejects.toThrow(
      'rebind.example resolves to 127.0.0.1 (a loopback address), which is refused unless TRAITFORGE_WEBHOOK_ALLOW allows it',
    );
    await expect(resolveWith(policy, 'meta.example', false)).rejects.toThrow(/169\.254\.169\.254/);
    await expect(resolveWith(policy, 'nowhere.example', true)).rejects.toThrow(/ENOTFOUND/);
    // Allowed by name: whatever it resolves to.
    const named = new DestinationPolicy(['meta.example'], dns);
    expect(await resolveWith(named, 'meta.example', true)).toEqual([
      { address: '169.254.169.254', family: 4 },
    ]);
  });
});

describe('webhook URLs as the API shows them', () => {
  it('hides user name, password and every query value; leaves a URL without credentials as it is', () => {
    expect(redactUrl(new URL('https://u:p@hooks.example.com/a?token=abc&token=def&v=1'))).toBe(
      'https://***:***@hooks.example.com/a?token=***&token=***&v=***',
    );
    expect(redactUrl(new URL('https://tok@hooks.example.com/a'))).toBe('https://***@hooks.example.com/a');
    expect(redactUrl(new URL('https://hooks.example.com/a/b'))).toBe('https://hooks.example.com/a/b');
  });
});
