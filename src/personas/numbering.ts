export interface NumberedCentroid {
  persona: number;
  centroid: readonly number[];
}

/**
 * A persona persists across recomputes when its new centroid lies within this root-mean-square
 * distance per trait (in score points, 0–100) of an old one.
 */
export const MATCH_RMS_POINTS = 12;

/**
 * Persona numbers for new clusters. First compute: 1..k by size, largest first. Later: each new
 * cluster takes the number of the nearest old persona (greedy, closest pairs first, within
 * MATCH_RMS_POINTS); clusters left unmatched get numbers never used before in the segment,
 * largest first, so a number always names the same group of players while it exists.
 */
export function numberPersonas(
  centroids: readonly (readonly number[])[],
  sizes: readonly number[],
  previous: readonly NumberedCentroid[],
  lastNumber: number,
): { numbers: number[]; lastNumber: number } {
  const numbers = new Array<number>(centroids.length).fill(0);
  const d = centroids[0]?.length ?? 1;
  const limit = MATCH_RMS_POINTS * Math.sqrt(d);
  const pairs: { i: number; j: number; distance: number }[] = [];
  centroids.forEach((centroid, i) => {
    previous.forEach((old, j) => {
      let sum = 0;
      for (let t = 0; t < d; t++) {
        const x = centroid[t]! - (old.centroid[t] ?? 0);
        sum += x * x;
      }
      const distance = Math.sqrt(sum);
      if (distance <= limit) pairs.push({ i, j, distance });
    });
  });
  pairs.sort((a, b) => a.distance - b.distance || a.i - b.i || a.j - b.j);
  const takenOld = new Set<number>();
  for (const { i, j } of pairs) {
    if (numbers[i] !== 0 || takenOld.has(j)) continue;
    numbers[i] = previous[j]!.persona;
    takenOld.add(j);
  }
  let next = Math.max(lastNumber, ...previous.map((p) => p.persona), 0);
  const unmatched = centroids.map((_, i) => i).filter((i) => numbers[i] === 0);
  unmatched.sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  for (const i of unmatched) numbers[i] = ++next;
  return { numbers, lastNumber: next };
}
