/**
 * The little dense linear algebra the persona mixture needs, on row-major d×d Float64Arrays:
 * a covariance's Cholesky factor, solves against it, and its log-determinant. d is the number of
 * measured constructs (~60), so O(d³) per call is microseconds.
 */

/**
 * The lower-triangular L with L·Lᵀ = a (a symmetric positive definite, row-major d×d), or
 * undefined when a is not positive definite.
 */
export function cholesky(a: Float64Array, d: number): Float64Array | undefined {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * d + j]!;
      for (let t = 0; t < j; t++) sum -= l[i * d + t]! * l[j * d + t]!;
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i * d + i] = Math.sqrt(sum);
      } else l[i * d + j] = sum / l[j * d + j]!;
    }
  }
  return l;
}

/** Solves L·y = b in place (forward substitution). */
export function solveLower(l: Float64Array, d: number, b: Float64Array): Float64Array {
  for (let i = 0; i < d; i++) {
    let sum = b[i]!;
    for (let t = 0; t < i; t++) sum -= l[i * d + t]! * b[t]!;
    b[i] = sum / l[i * d + i]!;
  }
  return b;
}

/** Solves (L·Lᵀ)·x = b in place: x = a⁻¹·b for the matrix a whose Cholesky factor is L. */
export function solveCholesky(l: Float64Array, d: number, b: Float64Array): Float64Array {
  solveLower(l, d, b);
  for (let i = d - 1; i >= 0; i--) {
    let sum = b[i]!;
    for (let t = i + 1; t < d; t++) sum -= l[t * d + i]! * b[t]!;
    b[i] = sum / l[i * d + i]!;
  }
  return b;
}

/** log det(a) from a's Cholesky factor. */
export function logDeterminant(l: Float64Array, d: number): number {
  let sum = 0;
  for (let i = 0; i < d; i++) sum += Math.log(l[i * d + i]!);
  return 2 * sum;
}

/** trace(a⁻¹·b) for a given by its Cholesky factor and b symmetric (row-major d×d). */
export function traceOfSolve(l: Float64Array, d: number, b: Float64Array): number {
  const column = new Float64Array(d);
  let trace = 0;
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) column[i] = b[i * d + j]!;
    solveCholesky(l, d, column);
    trace += column[j]!;
  }
  return trace;
}
