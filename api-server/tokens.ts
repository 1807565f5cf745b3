// Tokens: random (UUID v4 behind PeerTube's prefixes), stored only as sha256 hex, compared in
// constant time so response timing says nothing about how much of a guess was right.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

export const newRunnerToken = () => `ptrt-${randomUUID()}`;
export const newJobToken = () => `ptrjt-${randomUUID()}`;
export const newRegistrationToken = () => `ptrrt-${randomUUID()}`;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time equality of two hex digests (false for malformed or different-length input). */
export function sameHash(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  if (a.length !== 32 || b.length !== 32) return false;
  return timingSafeEqual(a, b);
}

/** Constant-time comparison of a presented secret with an expected one (both hashed first: equal lengths). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}

/** Label values hold 63 characters: the first 63 of the 64 hex digits still identify a token. */
export function hashLabel(hashHex: string): string {
  return hashHex.slice(0, 63);
}
