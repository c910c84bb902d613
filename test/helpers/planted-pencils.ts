// Data with planted structure for CCA, PLS and LDA: latent variables with known correlations (or class means),
// scaled per latent and mixed by orthogonal maps (two Householder reflections: dense, condition number that of the
// scales), then shifted far from zero.
//
// Two views: x-latents [z₁ … z_r, noise], y-latents [ρ₁z₁ + √(1 − ρ₁²)e₁, …, noise], each N(0, 1); X = (x-latents ∘ sx) Hx
// + offset, Y likewise. The population canonical correlations are the ρᵢ, and Cov(X, Y) = Hxᵀ diag(sx ∘ ρ ∘ sy) Hy has
// singular values ρᵢ sxᵢ syᵢ (PLS).

import { Rng } from '../../src/math/rng';

/** An orthogonal map of d coordinates: two Householder reflections (I − 2uuᵀ)(I − 2wwᵀ) with unit u and w. */
class Mixing {
  private readonly u: Float64Array;
  private readonly w: Float64Array;

  constructor(rng: Rng, private readonly d: number) {
    this.u = unit(Float64Array.from({ length: d }, () => rng.nextNormal()));
    this.w = unit(Float64Array.from({ length: d }, () => rng.nextNormal()));
  }

  /** x ← x (I − 2uuᵀ)(I − 2wwᵀ) in place (a row vector). */
  apply(x: Float64Array): void {
    for (const v of [this.u, this.w]) {
      let along = 0;
      for (let c = 0; c < this.d; c++) along += x[c] * v[c];
      for (let c = 0; c < this.d; c++) x[c] -= 2 * along * v[c];
    }
  }
}

function unit(v: Float64Array): Float64Array {
  const norm = Math.hypot(...v);
  return v.map((value) => value / norm);
}

/** Scales from `high` down to `low`, geometric: the mixed data's condition number is (high / low)². */
function scales(d: number, high: number, low: number): Float64Array {
  return Float64Array.from({ length: d }, (_, i) => (d === 1 ? high : high * (low / high) ** (i / (d - 1))));
}

export interface PlantedViews {
  n: number;
  dx: number;
  dy: number;
  x: Float64Array;
  y: Float64Array;
  X: { data: Float64Array; rows: number; cols: number };
  Y: { data: Float64Array; rows: number; cols: number };
  /** The population canonical correlations (the ρᵢ). */
  correlations: number[];
  /** The population singular values of Cov(X, Y): ρᵢ sxᵢ syᵢ. */
  singularValues: number[];
}

export function plantedViews(options: {
  n: number; dx: number; dy: number; correlations: number[]; seed: number; offset?: number; spread?: number;
}): PlantedViews {
  const { n, dx, dy, correlations, seed, offset = 100, spread = 2 } = options;
  const rng = Rng.fromSeed(seed);
  const mixX = new Mixing(rng, dx);
  const mixY = new Mixing(rng, dy);
  const sx = scales(dx, spread, 1);
  const sy = scales(dy, spread, 1);
  const x = new Float64Array(n * dx);
  const y = new Float64Array(n * dy);
  const rowX = new Float64Array(dx);
  const rowY = new Float64Array(dy);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < dx; c++) rowX[c] = rng.nextNormal();
    for (let c = 0; c < dy; c++) rowY[c] = rng.nextNormal();
    correlations.forEach((rho, i) => (rowY[i] = rho * rowX[i] + Math.sqrt(1 - rho * rho) * rowY[i]));
    for (let c = 0; c < dx; c++) rowX[c] *= sx[c];
    for (let c = 0; c < dy; c++) rowY[c] *= sy[c];
    mixX.apply(rowX);
    mixY.apply(rowY);
    for (let c = 0; c < dx; c++) x[r * dx + c] = rowX[c] + offset + c;
    for (let c = 0; c < dy; c++) y[r * dy + c] = rowY[c] - offset - c;
  }
  return {
    n, dx, dy, x, y, X: { data: x, rows: n, cols: dx }, Y: { data: y, rows: n, cols: dy }, correlations,
    singularValues: correlations.map((rho, i) => rho * sx[i] * sy[i]),
  };
}

export interface PlantedClasses {
  n: number;
  d: number;
  x: Float64Array;
  X: { data: Float64Array; rows: number; cols: number };
  labels: number[];
  classes: number;
}

/**
 * `classes` classes (labels 0 … classes − 1, in turn) whose means are normal with standard deviation `separation`,
 * around a common offset, with within-class noise N(0, Σ), Σ mixed from scales 2 … 1.
 */
export function plantedClasses(options: { n: number; d: number; classes: number; separation: number; seed: number; offset?: number }): PlantedClasses {
  const { n, d, classes, separation, seed, offset = 50 } = options;
  const rng = Rng.fromSeed(seed);
  const mix = new Mixing(rng, d);
  const s = scales(d, 2, 1);
  const means = Array.from({ length: classes }, () => Float64Array.from({ length: d }, () => separation * rng.nextNormal()));
  const x = new Float64Array(n * d);
  const labels: number[] = [];
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const label = r % classes;
    labels.push(label);
    for (let c = 0; c < d; c++) row[c] = rng.nextNormal() * s[c];
    mix.apply(row);
    for (let c = 0; c < d; c++) x[r * d + c] = row[c] + means[label][c] + offset;
  }
  return { n, d, x, X: { data: x, rows: n, cols: d }, labels, classes };
}
