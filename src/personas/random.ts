import { seededRandom } from '../domain/seeded-random.js';

/** `size` distinct indices of 0..n-1 (all of them, in order, when n ≤ size), chosen with `seed`. */
export function sampleIndices(n: number, size: number, seed: number): Int32Array {
  if (n <= size) return Int32Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  // Partial Fisher–Yates over a virtual 0..n-1 array: O(size) memory.
  const swapped = new Map<number, number>();
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out[i] = atJ;
  }
  return out.sort();
}

/** A stable 32-bit hash of a text (FNV-1a): decides which surveyed players are held out. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
