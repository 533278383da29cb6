import { describe, expect, it } from 'vitest';
import { IdentityError, identityKey, readIdentity } from '../../src/forge/identity.js';

const key = (record: Record<string, unknown>) => identityKey(readIdentity(record));
const fails = (record: Record<string, unknown>, field: string, message: RegExp) => {
  try {
    readIdentity(record);
  } catch (error) {
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).field).toBe(field);
    expect((error as IdentityError).message).toMatch(message);
    return;
  }
  throw new Error('expected the identity to be refused');
};

describe('partner identities', () => {
  it('compares e-mails case-insensitively and refuses malformed ones', () => {
    expect(key({ user_email: 'Alex.P@Example.COM' })).toBe('email:alex.p@example.com');
    for (const bad of ['alex', 'alex@', '@example.com', 'a b@example.com', 'alex@example']) {
      fails({ user_email: bad }, 'user_email', /Invalid email address/);
    }
  });

  it('accepts EIP-55 checksummed and single-case EVM addresses, refuses a broken checksum', () => {
    const good = [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    ];
    for (const address of good) {
      expect(key({ wallet_address: address, blockchain: 'ethereum' })).toBe(
        `wallet:ethereum:${address.toLowerCase()}`,
      );
    }
    expect(key({ wallet_address: good[0]!.toLowerCase(), blockchain: 'polygon' })).toBe(
      `wallet:polygon:${good[0]!.toLowerCase()}`,
    );
    expect(key({ wallet_address: `0x${good[0]!.slice(2).toUpperCase()}`, blockchain: 'base' })).toBe(
      `wallet:base:${good[0]!.toLowerCase()}`,
    );
    fails(
      { wallet_address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD', blockchain: 'ethereum' },
      'wallet_address',
      /checksum/,
    );
    fails({ wallet_address: '0x1234', blockchain: 'avalanche' }, 'wallet_address', /40 hex/);
    expect(
      key({ wallet_address: 'ronin:5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', blockchain: 'ronin' }),
    ).toBe('wallet:ronin:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed');
  });

  it('checks solana base58 32-byte keys and sui 0x+64 hex', () => {
    expect(key({ wallet_address: 'So11111111111111111111111111111111111111112', blockchain: 'solana' })).toBe(
      'wallet:solana:So11111111111111111111111111111111111111112',
    );
    fails(
      { wallet_address: 'So1111111111111111111111111111111111111111O', blockchain: 'solana' },
      'wallet_address',
      /base58/,
    );
    fails({ wallet_address: '1111', blockchain: 'solana' }, 'wallet_address', /base58/);
    const sui = `0x${'Ab'.repeat(32)}`;
    expect(key({ wallet_address: sui, blockchain: 'sui' })).toBe(`wallet:sui:${sui.toLowerCase()}`);
    fails({ wallet_address: '0xabc', blockchain: 'sui' }, 'wallet_address', /64 hex/);
  });

  it('needs a known blockchain, both wallet fields, both platform fields, and at least one identity', () => {
    fails(
      { wallet_address: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', blockchain: 'ethxxx' },
      'blockchain',
      /avalanche, base/,
    );
    fails({ wallet_address: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed' }, 'blockchain', /required/);
    fails({ platform: 'steam' }, 'platform_user_id', /required/);
    fails({}, 'user_email', /identity is required/);
    expect(key({ platform: 'Steam', platform_user_id: '7656119' })).toBe('platform:steam:7656119');
  });
});
