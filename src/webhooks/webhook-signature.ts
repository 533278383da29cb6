import { createHmac, randomBytes } from 'node:crypto';

/** Names of the headers every delivery carries (lower case, as Node sends them). */
export const DELIVERY_HEADER = 'traitforge-delivery';
export const EVENT_HEADER = 'traitforge-event';
export const SIGNATURE_HEADER = 'traitforge-signature';

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a receiver's config. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`, as Stripe
 * signs: the timestamp inside the signed text lets a receiver refuse old replays.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
