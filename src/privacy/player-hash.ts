import { createHash } from 'node:crypto';

/**
 * How a deleted player is named after the deletion (`deleted_players`): a SHA-256 of the user id,
 * so the marker that keeps their older records out does not itself hold the id in clear.
 */
export function playerHash(userId: string): string {
  return createHash('sha256').update(userId).digest('hex');
}
