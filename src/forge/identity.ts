import { keccak_256 } from '@noble/hashes/sha3.js';

/**
 * Player identities as Forge partners send them, validated and reduced to one canonical key
 * so the same person is recognised however the text was cased:
 * `email:<lower-case>`, `wallet:<chain>:<address>`, `platform:<name>:<id>`.
 */
export const BLOCKCHAINS = ['avalanche', 'base', 'ethereum', 'polygon', 'ronin', 'solana', 'sui'] as const;
export type Blockchain = (typeof BLOCKCHAINS)[number];
const EVM_CHAINS: ReadonlySet<string> = new Set(['avalanche', 'base', 'ethereum', 'polygon', 'ronin']);

export type Identity =
  | { kind: 'email'; email: string }
  | { kind: 'wallet'; blockchain: Blockchain; address: string }
  | { kind: 'platform'; platform: string; platformUserId: string };

export class IdentityError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

// Deliberately plain: a local part, an @, a dotted domain with a 2+ letter TLD; no spaces.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$/;
const PLATFORM = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function normalizeEmail(value: string): string {
  const email = value.trim();
  if (email.length > 254 || !EMAIL.test(email) || (email.split('@')[0]?.length ?? 0) > 64) {
    throw new IdentityError('user_email', 'Invalid email address.');
  }
  return email.toLowerCase();
}

/** EIP-55: a mixed-case address must carry the checksum its Keccak-256 hash dictates. */
export function isEip55Checksummed(address: string): boolean {
  const hex = address.slice(2);
  const hash = keccak_256(new TextEncoder().encode(hex.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const c = hex[i]!;
    if (!/[a-fA-F]/.test(c)) continue;
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    if (nibble >= 8 !== (c === c.toUpperCase())) return false;
  }
  return true;
}

function evmAddress(value: string, chain: string): string {
  // Ronin wallets show addresses as "ronin:<hex>"; the same account as 0x<hex>.
  const address = chain === 'ronin' && /^ronin:/i.test(value) ? `0x${value.slice(6)}` : value;
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new IdentityError(
      'wallet_address',
      `Invalid wallet address: ${chain} addresses are 0x followed by 40 hex digits.`,
    );
  }
  const body = address.slice(2);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && !isEip55Checksummed(address)) {
    throw new IdentityError(
      'wallet_address',
      'Invalid wallet address: the mixed-case EIP-55 checksum does not match.',
    );
  }
  return `0x${body.toLowerCase()}`;
}

/** Decodes base58 (Bitcoin alphabet); undefined when a character is outside it. */
export function base58Decode(text: string): Uint8Array | undefined {
  let bytes: number[] = [];
  for (const char of text) {
    let carry = BASE58.indexOf(char);
    if (carry < 0) return undefined;
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i]! * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (const char of text) {
    if (char !== '1') break;
    bytes.push(0);
  }
  bytes = bytes.reverse();
  return Uint8Array.from(bytes);
}

function solanaAddress(value: string): string {
  const decoded = value.length >= 32 && value.length <= 44 ? base58Decode(value) : undefined;
  if (decoded?.length !== 32) {
    throw new IdentityError(
      'wallet_address',
      'Invalid wallet address: solana addresses are base58 32-byte public keys.',
    );
  }
  return value; // base58 is case-sensitive: compared exactly
}

function suiAddress(value: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new IdentityError(
      'wallet_address',
      'Invalid wallet address: sui addresses are 0x followed by 64 hex digits.',
    );
  }
  return value.toLowerCase();
}

export function normalizeWallet(
  blockchain: string,
  address: string,
): { blockchain: Blockchain; address: string } {
  const chain = blockchain.trim().toLowerCase();
  if (!(BLOCKCHAINS as readonly string[]).includes(chain)) {
    throw new IdentityError('blockchain', `Invalid blockchain: use one of ${BLOCKCHAINS.join(', ')}.`);
  }
  const text = address.trim();
  const normalized = EVM_CHAINS.has(chain)
    ? evmAddress(text, chain)
    : chain === 'solana'
      ? solanaAddress(text)
      : suiAddress(text);
  return { blockchain: chain as Blockchain, address: normalized };
}

export function normalizePlatform(
  platform: string,
  platformUserId: string,
): { platform: string; platformUserId: string } {
  const name = platform.trim().toLowerCase();
  if (!PLATFORM.test(name)) {
    throw new IdentityError(
      'platform',
      'Invalid platform: a short name such as steam, xbox, psn, epic or discord.',
    );
  }
  const id = platformUserId.trim();
  if (id.length === 0 || id.length > 256) {
    throw new IdentityError('platform_user_id', 'Invalid platform_user_id: 1 to 256 characters.');
  }
  return { platform: name, platformUserId: id };
}

/** The canonical text an identity is stored and matched by. */
export function identityKey(identity: Identity): string {
  switch (identity.kind) {
    case 'email':
      return `email:${identity.email}`;
    case 'wallet':
      return `wallet:${identity.blockchain}:${identity.address}`;
    case 'platform':
      return `platform:${identity.platform}:${identity.platformUserId}`;
  }
}

/**
 * Reads the identity of a partner record: `user_email`, or `wallet_address` + `blockchain`,
 * or `platform` + `platform_user_id` (first present wins; any present one must be valid).
 */
export function readIdentity(record: Record<string, unknown>): Identity {
  const text = (field: string): string | undefined => {
    const value = record[field];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new IdentityError(field, `Invalid ${field}: must be a string.`);
    return value;
  };
  const email = text('user_email');
  const wallet = text('wallet_address');
  const chain = text('blockchain');
  const platform = text('platform');
  const platformUserId = text('platform_user_id');
  const found: Identity[] = [];
  if (email !== undefined) found.push({ kind: 'email', email: normalizeEmail(email) });
  if (wallet !== undefined || chain !== undefined) {
    if (wallet === undefined)
      throw new IdentityError('wallet_address', 'wallet_address is required with blockchain.');
    if (chain === undefined)
      throw new IdentityError('blockchain', 'blockchain is required with wallet_address.');
    found.push({ kind: 'wallet', ...normalizeWallet(chain, wallet) });
  }
  if (platform !== undefined || platformUserId !== undefined) {
    if (platform === undefined)
      throw new IdentityError('platform', 'platform is required with platform_user_id.');
    if (platformUserId === undefined)
      throw new IdentityError('platform_user_id', 'platform_user_id is required with platform.');
    found.push({ kind: 'platform', ...normalizePlatform(platform, platformUserId) });
  }
  const first = found[0];
  if (!first) {
    throw new IdentityError(
      'user_email',
      'An identity is required: user_email, or wallet_address with blockchain, or platform with platform_user_id.',
    );
  }
  return first;
}
