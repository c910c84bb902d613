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

/** Packs rows × d row-major values as syrk reads a block: columns in groups of four, each group rows × 4. */
export function packBlock(x: Vec, rows: number, d: number, dPad: number): Float32Array {
  const out = new Float32Array(rows * dPad);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) out[Math.floor(c / 4) * rows * 4 + r * 4 + (c % 4)] = x[r * d + c];
  }
  return out;
}

/** C[i, j] = Σ_r X[r, i] X[r, j] (d × d, float64). */
export function crossProducts(x: Vec, rows: number, d: number): Float64Array {
  const c = new Float64Array(d * d);
  for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) c[i * d + j] += x[r * d + i] * x[r * d + j];
  return c;
}

/**
 * The float64 scatter kernel's order, scalar: C[i][j] (row stride ld) += Σ_r (x_ri − m_i)(x_rj − m_j) over the rows
 * of x (row-major, d values each) for first ≤ i < end, max(i, from) ≤ j < d, each element summed as two running sums,
 * the even rows and the odd rows, each in row order, then even + odd added to C.
 */
export function scatter64(x: Vec, rows: number, d: number, mean: Vec, c: Float64Array, ld: number, first: number, end: number, from = 0): void {
  for (let i = first; i < end; i++) {
    for (let j = Math.max(i, from); j < d; j++) {
      let even = 0;
      let odd = 0;
      for (let r = 0; r < rows; r++) {
        const product = (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]);
        if (r % 2 === 0) even += product;
        else odd += product;
      }
      c[i * ld + j] += even + odd;
    }
  }
}

/** out[i·n + j] = ⟨a_i, b_j⟩ (float64). */
export function crossDots(a: Vec, m: number, b: Vec, n: number, d: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let c = 0; c < d; c++) out[i * n + j] += a[i * d + c] * b[j * d + c];
  return out;
}

/** out (m × d) = W (m × p) · src (p × d), float64. */
export function combineRows(w: Vec, m: number, p: number, src: Vec, d: number): Float64Array {
  const out = new Float64Array(m * d);
  for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) for (let c = 0; c < d; c++) out[i * d + c] += w[i * p + j] * src[j * d + c];
  return out;
}

/**
 * One round of the players in order with heavy-ball momentum (assembly/play.ts), in float64: w_i = g_i − β u_i and
 * t_i = v_i, both less the same combination of the parents' new positions and new previous positions (Gram–Schmidt
 * against v'_j, twice), then v'_i = w_i / ‖w_i‖ and u'_i = t_i / ‖w_i‖.
 */
export function play(g: Vec, v: Vec, u: Vec, p: number, d: number, beta: number): { v: Float64Array; u: Float64Array } {
  const nv = new Float64Array(p * d);
  const nu = new Float64Array(p * d);
  for (let i = 0; i < p; i++) {
    const w = Float64Array.from({ length: d }, (_, c) => g[i * d + c] - beta * u[i * d + c]);
    const t = Float64Array.from({ length: d }, (_, c) => v[i * d + c]);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let r = 0;
        for (let c = 0; c < d; c++) r += nv[j * d + c] * w[c];
        for (let c = 0; c < d; c++) {
          w[c] -= r * nv[j * d + c];
          t[c] -= r * nu[j * d + c];
        }
      }
    }
    let norm = 0;
    for (let c = 0; c < d; c++) norm += w[c] * w[c];
    norm = Math.sqrt(norm);
    for (let c = 0; c < d; c++) {
      nv[i * d + c] = w[c] / norm;
      nu[i * d + c] = t[c] / norm;
    }
  }
  return { v: nv, u: nu };
}

/**
 * The players' momentum directions w_i = g_i − β u_i over columns [first, first + count) of rows `stride` apart,
 * each value float32 arithmetic as the kernels form it (f32(β)·u rounded, then the difference rounded).
 */
function directionsOf(g: Vec, u: Vec, p: number, stride: number, first: number, count: number, beta: number): Float64Array[] {
  const b32 = Math.fround(beta);
  return Array.from({ length: p }, (_, i) =>
    Float64Array.from({ length: count }, (_, c) => Math.fround(g[i * stride + first + c] - Math.fround(b32 * u[i * stride + first + c]))));
}

/**
 * assembly/directiongram.ts, scalar: S_ij (j ≤ i, row-major p × p, upper triangle 0) = Σ over blocks of `width`
 * columns, in order, of each block's dot: its even columns summed, its odd ones summed, the two added, then its
 * last column when the block's length is odd.
 */
export function directionGram(g: Vec, u: Vec, p: number, stride: number, first: number, count: number, beta: number, width: number): Float64Array {
  const w = directionsOf(g, u, p, stride, first, count, beta);
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) out[i * p + j] = blockDots(w[i], w[j], count, width);
  return out;
}

/**
 * Σ_c a[c] b[c] over `count` values as the kernels sum a Gram matrix over blocks of `width` columns
 * (assembly/blockdots.ts): each block's even columns summed, its odd ones summed, the two added, then its last
 * column when the block's length is odd; the blocks' dots added in order.
 */
function blockDots(a: ArrayLike<number>, b: ArrayLike<number>, count: number, width: number): number {
  let sum = 0;
  for (let start = 0; start < count; start += width) {
    const columns = Math.min(width, count - start);
    const pairs = columns & ~1;
    let even = 0;
    let odd = 0;
    for (let c = 0; c < pairs; c += 2) {
      even += a[start + c] * b[start + c];
      odd += a[start + c + 1] * b[start + c + 1];
    }
    let dot = even + odd;
    if (pairs < columns) dot += a[start + pairs] * b[start + pairs];
    sum += dot;
  }
  return sum;
}

/** assembly/playerdots.ts, scalar: ⟨v_i, g_j⟩ (row-major p × p) over columns [first, first + count), blocked as blockDots. */
export function playerDots(v: Vec, g: Vec, p: number, stride: number, first: number, count: number, width: number): Float64Array {
  const row = (x: Vec, i: number) => Float64Array.from({ length: count }, (_, c) => x[i * stride + first + c]);
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out[i * p + j] = blockDots(row(v, i), row(g, j), count, width);
  return out;
}

/**
 * assembly/ritzsums.ts, scalar: out[i] = Σ over columns [first, first + count) of (Σ_j W_ij g_j[c] − θ_i Σ_j W_ij
 * v_j[c])², each combination summed over j in order, the squares summed as blockDots sums its products.
 */
export function ritzResidualSums(
  w: Vec, theta: Vec, m: number, p: number, v: Vec, g: Vec, stride: number, first: number, count: number, width: number,
): Float64Array {
  return Float64Array.from({ length: m }, (_, i) => {
    const residual = Float64Array.from({ length: count }, (_, c) => {
      let image = 0;
      let vector = 0;
      for (let j = 0; j < p; j++) {
        image += w[i * p + j] * g[j * stride + first + c];
        vector += w[i * p + j] * v[j * stride + first + c];
      }
      return image - theta[i] * vector;
    });
    return blockDots(residual, residual, count, width);
  });
}

/**
 * assembly/triangularmove.ts, scalar: over columns [first, first + count), V ← T (G − β U) and U ← T V with T lower
 * triangular (its upper triangle ignored), each element Σ_{j ≤ i} T_ij x_j in float64 in order, rounded to float32.
 * Returns the new V and U (p × stride, other columns as they were).
 */
export function triangularMove(
  t: Vec, g: Vec, u: Vec, v: Vec, p: number, stride: number, first: number, count: number, beta: number,
): { v: Float32Array; u: Float32Array } {
  const w = directionsOf(g, u, p, stride, first, count, beta);
  const nv = Float32Array.from(v);
  const nu = Float32Array.from(u);
  for (let c = 0; c < count; c++) {
    for (let i = 0; i < p; i++) {
      let position = 0;
      let previous = 0;
      for (let j = 0; j <= i; j++) {
        position += t[i * p + j] * w[j][c];
        previous += t[i * p + j] * Math.fround(v[j * stride + first + c]);
      }
      nv[i * stride + first + c] = position;
      nu[i * stride + first + c] = previous;
    }
  }
  return { v: nv, u: nu };
}

/**
 * Eigendecomposition of a symmetric n × n matrix by cyclic Jacobi rotations: slow, and simple enough to trust as
 * the reference the package's tridiagonal solver is held to.
 */
export function jacobiEigen(matrix: Vec, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) off += a[i * n + j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n - 1; p++) {
      for (let r = p + 1; r < n; r++) {
        const apr = a[p * n + r];
        if (apr === 0) continue;
        const theta = (a[r * n + r] - a[p * n + p]) / (2 * apr);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < n; i++) {
          const [aip, air] = [a[i * n + p], a[i * n + r]];
          a[i * n + p] = c * aip - s * air;
          a[i * n + r] = s * aip + c * air;
        }
        for (let i = 0; i < n; i++) {
          const [api, ari] = [a[p * n + i], a[r * n + i]];
          a[p * n + i] = c * api - s * ari;
          a[r * n + i] = s * api + c * ari;
        }
        for (let i = 0; i < n; i++) {
          const [qip, qir] = [q[i * n + p], q[i * n + r]];
          q[i * n + p] = c * qip - s * qir;
          q[i * n + r] = s * qip + c * qir;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  const vectors = new Float64Array(n * n);
  order.forEach((column, row) => {
    for (let i = 0; i < n; i++) vectors[row * n + i] = q[i * n + column];
  });
  return { values: Float64Array.from(order, (i) => a[i * n + i]), vectors };
}

/**
 * The float64 answer of pca with center: false: the eigenpairs of the uncentred second moment XᵀX/(n−1), largest
 * first (row i of `vectors` is the i-th eigenvector), and its trace (the total the variance ratios divide by).
 */
export function uncentredEigen(x: Vec, n: number, d: number): { values: Float64Array; vectors: Float64Array; total: number } {
  const moment = crossProducts(x, n, d).map((value) => value / (n - 1));
  let total = 0;
  for (let i = 0; i < d; i++) total += moment[i * d + i];
  return { ...jacobiEigen(moment, d), total };
}

/** The least |⟨a_i, b_i⟩| over the first `k` rows of two row-major k × d bases (1 when every pair agrees up to sign). */
export function leastAbsCos(a: Vec, b: Vec, k: number, d: number): number {
  let least = Infinity;
  for (let i = 0; i < k; i++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += a[i * d + c] * b[i * d + c];
    least = Math.min(least, Math.abs(dot));
  }
  return least;
}

/**
 * γ-EigenGame's direction for players vᵢ (rows of V) on a pencil A v = λ B v, AV and BV their images, written
 * term by term from the formula (google-deepmind/eigengame, eg_gradients.py):
 * Δᵢ = ⟨vᵢ,Bvᵢ⟩Avᵢ − ⟨vᵢ,Avᵢ⟩Bvᵢ − Σ_{j<i} (⟨vᵢ,Avⱼ⟩ / max(⟨vⱼ,Bvⱼ⟩, 1e-6)) (⟨vᵢ,Bvᵢ⟩Bvⱼ − ⟨vᵢ,Bvⱼ⟩Bvᵢ).
 */
export function gammaDirection(v: Vec, av: Vec, bv: Vec, p: number, d: number): Float64Array {
  const inner = (x: Vec, i: number, y: Vec, j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += x[i * d + c] * y[j * d + c];
    return s;
  };
  const out = new Float64Array(p * d);
  for (let i = 0; i < p; i++) {
    const reward = new Float64Array(d);
    const bii = inner(v, i, bv, i);
    const aii = inner(v, i, av, i);
    for (let c = 0; c < d; c++) reward[c] = bii * av[i * d + c] - aii * bv[i * d + c];
    const penalty = new Float64Array(d);
    for (let j = 0; j < i; j++) {
      const weight = inner(v, i, av, j) / Math.max(inner(v, j, bv, j), 1e-6);
      const bij = inner(v, i, bv, j);
      for (let c = 0; c < d; c++) penalty[c] += weight * (bii * bv[j * d + c] - bij * bv[i * d + c]);
    }
    for (let c = 0; c < d; c++) out[i * d + c] = reward[c] - penalty[c];
  }
  return out;
}

/**
 * assembly/stage.ts's blockMoments, one value at a time: each column's mean (its values summed in row order, then
 * divided by rows) and Σ (x − mean)² (summed in row order), in float64.
 */
export function blockMoments(x: Vec, rows: number, d: number): { mean: Float64Array; squares: Float64Array } {
  const mean = new Float64Array(d);
  const squares = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) mean[c] += x[r * d + c];
  for (let c = 0; c < d; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) {
      const deviation = x[r * d + c] - mean[c];
      squares[c] += deviation * deviation;
    }
  }
  return { mean, squares };
}

/**
 * assembly/stage.ts's packRows, one value at a time: rows [first, first + rows) of `total` (x holds those rows) as
 * fround((x − mean) · scale) in packed row blocks of `blockRows` rows × `padded` columns (packBlock's layout per block,
 * zeros past column d).
 */
export function packRows(
  x: Vec, rows: number, d: number, mean: Vec, scale: number, first: number, total: number, blockRows: number, padded: number,
): Float32Array {
  const out = new Float32Array(Math.ceil(total / blockRows) * blockRows * padded);
  for (let r = 0; r < rows; r++) {
    const row = first + r;
    const block = Math.floor(row / blockRows);
    const height = Math.min(blockRows, total - block * blockRows);
    const inBlock = row - block * blockRows;
    for (let c = 0; c < d; c++) {
      out[block * blockRows * padded + Math.floor(c / 4) * height * 4 + inBlock * 4 + (c % 4)] = (x[r * d + c] - mean[c]) * scale;
    }
  }
  return out;
}

/** A random compressed sparse matrix (`major` groups over `minor` indices), sorted distinct indices, some groups empty. */
export function randomCompressed(seed: number, major: number, minor: number, density: number): { indptr: Int32Array; indices: Int32Array; data: Float64Array } {
  let state = seed >>> 0 || 1;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const indptr = new Int32Array(major + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let m = 0; m < major; m++) {
    if (m % 5 !== 3) {
      for (let i = 0; i < minor; i++) {
        if (next() < density) {
          indices.push(i);
          data.push(next() * 4 - 1.5);
        }
      }
    }
    indptr[m + 1] = indices.length;
  }
  return { indptr, indices: Int32Array.from(indices), data: Float64Array.from(data) };
}

/** `start` (d × d, rows `ld` apart) + Σ over sparse rows of x_a x_b for a ≤ b (the upper triangle), float64, rows in order. */
export function sparseOuter(
  indptr: ArrayLike<number>, indices: ArrayLike<number>, data: ArrayLike<number>, rows: number, start: ArrayLike<number>, ld: number,
): Float64Array {
  const out = Float64Array.from(start);
  for (let r = 0; r < rows; r++) {
    for (let e = indptr[r]; e < indptr[r + 1]; e++) {
      for (let f = e; f < indptr[r + 1]; f++) out[indices[e] * ld + indices[f]] += data[e] * data[f];
    }
  }
  return out;
}

/** out[r, :] = Σ_e data[e] B[indices[e], :] − shift, float64 (B: `width` values per row, `ld` apart). */
export function sparseTimes(
  indptr: ArrayLike<number>, indices: ArrayLike<number>, data: ArrayLike<number>, rows: number, b: ArrayLike<number>, width: number, ld: number,
  shift: ArrayLike<number> | null,
): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      let sum = shift ? -shift[j] : 0;
      for (let e = indptr[r]; e < indptr[r + 1]; e++) sum += data[e] * b[indices[e] * ld + j];
      out[r * width + j] = sum;
    }
  }
  return out;
}

/** out[m − first, :] = Σ_e data[e] B[indices[e], :] for majors [first, first + count), float64 sums in stored order (B: `width` values per row, `ld` apart). */
export function sparseTimes64(
  indptr: ArrayLike<number>, indices: ArrayLike<number>, data: ArrayLike<number>, first: number, count: number, b: ArrayLike<number>, width: number, ld: number,
): Float64Array {
  const out = new Float64Array(count * width);
  for (let m = 0; m < count; m++) {
    for (let j = 0; j < width; j++) {
      let sum = 0;
      for (let e = indptr[first + m]; e < indptr[first + m + 1]; e++) sum += data[e] * b[indices[e] * ld + j];
      out[m * width + j] = sum;
    }
  }
  return out;
}

/** ‖A v − θ v‖ in float64, A a symmetric size × size matrix (row-major): how far (θ, v) is from an eigenpair of A. */
export function eigenResidual(a: ArrayLike<number>, size: number, v: ArrayLike<number>, theta: number): number {
  let squares = 0;
  for (let r = 0; r < size; r++) {
    let image = 0;
    for (let c = 0; c < size; c++) image += a[r * size + c] * v[c];
    squares += (image - theta * v[r]) ** 2;
  }
  return Math.sqrt(squares);
}
