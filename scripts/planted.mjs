// Data with a planted spectrum: rows whose sample covariance has exactly the eigenvalues you choose along
// known, dense eigenvectors, so results can be checked against the truth rather than against another solver.
//
// X = S Uᵀ + 1 μᵀ where U = H₁H₂H₃ is a product of random Householder reflections (a dense orthogonal d × d
// matrix), S = Q diag(√((n−1) λ)) with Q's columns orthonormal and orthogonal to the all-ones vector (so the
// centred covariance is exactly U diag(λ) Uᵀ, up to float rounding), and μ a random offset. Needs n > d.
// Q's columns are the DCT-II basis vectors 1..d (cosines: dense, orthonormal, ⊥ 1) with the rows in a random
// order, so every component's variance is spread over all rows and any minibatch sees the whole spectrum, as
// in real data (Householder-reflected unit vectors, used before, put each component's variance in one row).

/** A small seeded generator (mulberry32): uniforms, and normals by Box–Muller. Test data only. */
function randomSource(seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

function unit(vector) {
  let s = 0;
  for (const x of vector) s += x * x;
  const norm = Math.sqrt(s);
  for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}

/** x ← (I − 2wwᵀ) x */
function reflect(w, x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += w[i] * x[i];
  for (let i = 0; i < x.length; i++) x[i] -= 2 * s * w[i];
}

/** A random permutation of 0..n−1 (Fisher–Yates). */
function shuffled(n, uniform) {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function applyAll(reflections, x) {
  for (let h = reflections.length - 1; h >= 0; h--) reflect(reflections[h], x);
}

/**
 * @param {{ n: number, d: number, spectrum: ArrayLike<number>, seed?: number, offset?: number }} options
 *   spectrum: the d eigenvalues of the covariance (denominator n − 1); offset: scale of the random mean.
 * @returns {{ data: Float64Array, rows: number, cols: number, eigenvectors: Float64Array, mean: Float64Array }}
 *   eigenvectors: d × d, row i is the eigenvector of spectrum[i].
 */
export function plantedData({ n, d, spectrum, seed = 1, offset = 1 }) {
  if (!(n > d)) throw new RangeError(`plantedData needs n > d, got n = ${n}, d = ${d}`);
  if (spectrum.length !== d) throw new RangeError(`spectrum must have d = ${d} values`);
  const { uniform, normal } = randomSource(seed);
  const random = (length) => unit(Float64Array.from({ length }, normal));
  const columnReflections = [random(d), random(d), random(d)];
  const order = shuffled(n, uniform);
  const scores = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const scale = Math.sqrt((2 * (n - 1) * spectrum[j]) / n);
    const frequency = (Math.PI * (j + 1)) / n;
    for (let r = 0; r < n; r++) scores[r * d + j] = scale * Math.cos(frequency * (order[r] + 0.5));
  }
  const mean = Float64Array.from({ length: d }, () => offset * normal());
  const data = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const row = scores.subarray(r * d, (r + 1) * d);
    applyAll(columnReflections, row);
    for (let c = 0; c < d; c++) data[r * d + c] = row[c] + mean[c];
  }
  const eigenvectors = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const row = eigenvectors.subarray(j * d, (j + 1) * d);
    row[j] = 1;
    applyAll(columnReflections, row);
  }
  return { data, rows: n, cols: d, eigenvectors, mean };
}

/**
 * A spectrum whose top k eigenvalues fall by `gap` (relative) from one to the next, followed by a tail that
 * starts at `tail` times the k-th and decays slowly.
 */
export function gappedSpectrum(d, k, gap, tail = 0.5) {
  return Float64Array.from({ length: d }, (_, i) =>
    i < k ? (1 - gap) ** i : (1 - gap) ** (k - 1) * tail * 0.98 ** (i - k));
}
