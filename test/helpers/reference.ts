// Plain scalar float64 references of every kernel, written from the formulas (not from the kernels), so tests can
// check the SIMD code against the math.

export type Vec = ArrayLike<number>;

/** P[r, j] = Σ_c (X[r, c] − mean[c]) V[j, c]; rows × players. */
export function project(x: Vec, rows: number, d: number, mean: Vec, v: Vec, players: number): Float64Array {
  const p = new Float64Array(rows * players);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < players; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (x[r * d + c] - mean[c]) * v[j * d + c];
      p[r * players + j] = s;
    }
  }
  return p;
}

/** G[j, c] = Σ_r P[r, j] (X[r, c] − mean[c]); players × d. */
export function backproject(x: Vec, rows: number, d: number, mean: Vec, p: Vec, ldp: number, players: number): Float64Array {
  const g = new Float64Array(players * d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < players; j++) {
      for (let c = 0; c < d; c++) g[j * d + c] += p[r * ldp + j] * (x[r * d + c] - mean[c]);
    }
  }
  return g;
}

/** M = Pᵀ P; k × k. */
export function gram(p: Vec, rows: number, ldp: number, k: number): Float64Array {
  const m = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m[i * k + j] += p[r * ldp + i] * p[r * ldp + j];
  }
  return m;
}

/** The seed's utilities: u_i = Σ_j w_ij M_ij² / M_jj with w = 2I − 1, strict upper triangle zeroed. */
export function utilities(m: Vec, k: number): Float64Array {
  const u = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const weight = i === j ? 1 : j < i ? -1 : 0;
      if (weight !== 0 && m[j * k + j] !== 0) u[i] += (weight * m[i * k + j] ** 2) / m[j * k + j];
    }
  }
  return u;
}

/** μ: Δ_i = G_i − Σ_{j<i} M_ij v_j;  α: Δ_i = G_i − Σ_{j<i} (M_ij/M_jj) G_j;  optional Δ_i −= ⟨Δ_i, v_i⟩ v_i. */
export function direction(
  g: Vec, m: Vec, v: Vec, k: number, d: number, first: number, count: number, alpha: boolean, riemannian: boolean,
): Float64Array {
  const out = new Float64Array(count * d);
  for (let i = first; i < first + count; i++) {
    const row = out.subarray((i - first) * d, (i - first + 1) * d);
    for (let c = 0; c < d; c++) row[c] = g[i * d + c];
    for (let j = 0; j < i; j++) {
      const coefficient = alpha ? (m[j * k + j] === 0 ? 0 : m[i * k + j] / m[j * k + j]) : m[i * k + j];
      const basis = alpha ? g : v;
      for (let c = 0; c < d; c++) row[c] -= coefficient * basis[j * d + c];
    }
    if (riemannian) {
      let along = 0;
      for (let c = 0; c < d; c++) along += row[c] * v[i * d + c];
      for (let c = 0; c < d; c++) row[c] -= along * v[i * d + c];
    }
  }
  return out;
}

/**
 * optax.sgd(lr, momentum, nesterov) on the loss gradient g = −Δ, literally: trace ← g + μ·trace;
 * u ← nesterov ? g + μ·trace : trace; params ← params − lr·u. Returns the new params and optax's trace.
 */
export function optaxSgd(params: Vec, delta: Vec, trace: Vec | null, lr: number, momentum: number, nesterov: boolean) {
  const n = params.length;
  const nextParams = new Float64Array(n);
  const nextTrace = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const grad = -delta[i];
    let update = grad;
    if (trace) {
      nextTrace[i] = grad + momentum * trace[i];
      update = nesterov ? grad + momentum * nextTrace[i] : nextTrace[i];
    }
    nextParams[i] = params[i] - lr * update;
  }
  return { params: nextParams, trace: nextTrace };
}

/** optax.adam on g = −Δ at step count t (1-based), literally. Returns params and optax's moments. */
export function optaxAdam(
  params: Vec, delta: Vec, mu: Vec, nu: Vec, t: number, lr: number, b1: number, b2: number, eps: number, epsRoot: number,
) {
  const n = params.length;
  const out = { params: new Float64Array(n), mu: new Float64Array(n), nu: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const grad = -delta[i];
    out.mu[i] = (1 - b1) * grad + b1 * mu[i];
    out.nu[i] = (1 - b2) * grad * grad + b2 * nu[i];
    const muHat = out.mu[i] / (1 - b1 ** t);
    const nuHat = out.nu[i] / (1 - b2 ** t);
    out.params[i] = params[i] - lr * (muHat / (Math.sqrt(nuHat + epsRoot) + eps));
  }
  return out;
}

/** Each row divided by its Euclidean norm. */
export function normalizeRows(v: Vec, rows: number, d: number): Float64Array {
  const out = Float64Array.from(v);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += out[r * d + c] ** 2;
    const norm = Math.sqrt(s);
    if (norm > 0) for (let c = 0; c < d; c++) out[r * d + c] /= norm;
  }
  return out;
}
