// The eigendecomposition of a small symmetric matrix in float64, for pca's Rayleigh–Ritz checks (H = V A Vᵀ, p × p,
// p up to a few hundred): Householder reduction to tridiagonal form, then the implicit QL method (EISPACK's tred2
// and tql2, as in JAMA), the same operations in the same order as the TypeScript reference `symmetricEigen` in
// src/math/linalg.ts. As wasm it runs at speed from its first call: the reference, a fresh JavaScript function in
// every worker, spent most of a cold fit's checks in the interpreter (measured: 55–70 ms of a 0.55 s fit with
// p = 96, and 12 ms once warm).

import { at64 } from './simd';

@inline function get(m: usize, n: i32, row: i32, col: i32): f64 {
  return load<f64>(at64(m, row * n + col));
}

@inline function put(m: usize, n: i32, row: i32, col: i32, value: f64): void {
  store<f64>(at64(m, row * n + col), value);
}

@inline function el(x: usize, i: i32): f64 {
  return load<f64>(at64(x, i));
}

@inline function set(x: usize, i: i32, value: f64): void {
  store<f64>(at64(x, i), value);
}

/**
 * Householder tridiagonalisation (tred2) of the n × n matrix at `v` (row-major, symmetric): on return `v` holds the
 * orthogonal transformation (columns), `d` the diagonal and `e` the subdiagonal in e[1 .. n − 1].
 */
function tridiagonalize(v: usize, d: usize, e: usize, n: i32): void {
  for (let j = 0; j < n; j++) set(d, j, get(v, n, n - 1, j));
  for (let i = n - 1; i > 0; i--) {
    let scale = 0.0;
    let h = 0.0;
    for (let k = 0; k < i; k++) scale += Math.abs(el(d, k));
    if (scale == 0) {
      set(e, i, el(d, i - 1));
      for (let j = 0; j < i; j++) {
        set(d, j, get(v, n, i - 1, j));
        put(v, n, i, j, 0);
        put(v, n, j, i, 0);
      }
    } else {
      for (let k = 0; k < i; k++) {
        set(d, k, el(d, k) / scale);
        h += el(d, k) * el(d, k);
      }
      let f = el(d, i - 1);
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      set(e, i, scale * g);
      h -= f * g;
      set(d, i - 1, f - g);
      for (let j = 0; j < i; j++) set(e, j, 0);
      for (let j = 0; j < i; j++) {
        f = el(d, j);
        put(v, n, j, i, f);
        g = el(e, j) + get(v, n, j, j) * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += get(v, n, k, j) * el(d, k);
          set(e, k, el(e, k) + get(v, n, k, j) * f);
        }
        set(e, j, g);
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        set(e, j, el(e, j) / h);
        f += el(e, j) * el(d, j);
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) set(e, j, el(e, j) - hh * el(d, j));
      for (let j = 0; j < i; j++) {
        f = el(d, j);
        g = el(e, j);
        for (let k = j; k <= i - 1; k++) put(v, n, k, j, get(v, n, k, j) - (f * el(e, k) + g * el(d, k)));
        set(d, j, get(v, n, i - 1, j));
        put(v, n, i, j, 0);
      }
    }
    set(d, i, h);
  }
  for (let i = 0; i < n - 1; i++) {
    put(v, n, n - 1, i, get(v, n, i, i));
    put(v, n, i, i, 1);
    const h = el(d, i + 1);
    if (h != 0) {
      for (let k = 0; k <= i; k++) set(d, k, get(v, n, k, i + 1) / h);
      for (let j = 0; j <= i; j++) {
        let g = 0.0;
        for (let k = 0; k <= i; k++) g += get(v, n, k, i + 1) * get(v, n, k, j);
        for (let k = 0; k <= i; k++) put(v, n, k, j, get(v, n, k, j) - g * el(d, k));
      }
    }
    for (let k = 0; k <= i; k++) put(v, n, k, i + 1, 0);
  }
  for (let j = 0; j < n; j++) {
    set(d, j, get(v, n, n - 1, j));
    put(v, n, n - 1, j, 0);
  }
  put(v, n, n - 1, n - 1, 1);
  set(e, 0, 0);
}

/** The implicit QL method on a tridiagonal matrix (tql2), accumulating its rotations into `v`'s columns. */
function diagonalizeTridiagonal(v: usize, d: usize, e: usize, n: i32): void {
  for (let i = 1; i < n; i++) set(e, i - 1, el(e, i));
  set(e, n - 1, 0);
  let f = 0.0;
  let largest = 0.0;
  const eps = f64.EPSILON; // 2^-52
  for (let l = 0; l < n; l++) {
    largest = Math.max(largest, Math.abs(el(d, l)) + Math.abs(el(e, l)));
    let m = l;
    while (m < n && Math.abs(el(e, m)) > eps * largest) m++;
    if (m > l) {
      for (let iteration = 0; iteration < 60 && Math.abs(el(e, l)) > eps * largest; iteration++) {
        let g = el(d, l);
        let p = (el(d, l + 1) - g) / (2 * el(e, l));
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        set(d, l, el(e, l) / (p + r));
        set(d, l + 1, el(e, l) * (p + r));
        const dl1 = el(d, l + 1);
        let h = g - el(d, l);
        for (let i = l + 2; i < n; i++) set(d, i, el(d, i) - h);
        f += h;
        p = el(d, m);
        let c = 1.0;
        let c2 = c;
        let c3 = c;
        const el1 = el(e, l + 1);
        let s = 0.0;
        let s2 = 0.0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * el(e, i);
          h = c * p;
          r = Math.hypot(p, el(e, i));
          set(e, i + 1, s * r);
          s = el(e, i) / r;
          c = p / r;
          p = c * el(d, i) - s * g;
          set(d, i + 1, h + s * (c * g + s * el(d, i)));
          for (let k = 0; k < n; k++) {
            h = get(v, n, k, i + 1);
            put(v, n, k, i + 1, s * get(v, n, k, i) + c * h);
            put(v, n, k, i, c * get(v, n, k, i) - s * h);
          }
        }
        p = (-s * s2 * c3 * el1 * el(e, l)) / dl1;
        set(e, l, s * p);
        set(d, l, c * p);
      }
    }
    set(d, l, el(d, l) + f);
    set(e, l, 0);
  }
}

/**
 * Eigendecomposition of the symmetric n × n matrix at `v` (float64, row-major), in place: on return `v`'s columns
 * are the eigenvectors and `values` (n float64) their eigenvalues, in no particular order; `scratch` holds n
 * float64. The caller sorts them.
 */
export function symmetricEigen(v: usize, n: i32, values: usize, scratch: usize): void {
  if (n <= 0) return;
  tridiagonalize(v, values, scratch, n);
  diagonalizeTridiagonal(v, values, scratch, n);
}
