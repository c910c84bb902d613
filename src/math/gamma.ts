// γ-EigenGame's direction in float64 (the host's finish; assembly/gamma.ts is the devices' float32 kernel, and
// its tests' reference): for players vᵢ (rows of V) on a pencil A v = λ B v, with AV and BV their images,
// Δᵢ = ⟨vᵢ,Bvᵢ⟩Avᵢ − ⟨vᵢ,Avᵢ⟩Bvᵢ − Σ_{j<i} (⟨vᵢ,Avⱼ⟩/max(⟨vⱼ,Bvⱼ⟩, 1e-6))(⟨vᵢ,Bvᵢ⟩Bvⱼ − ⟨vᵢ,Bvⱼ⟩Bvᵢ)
// (google-deepmind/eigengame, eg_gradients.py, with exact products as its auxiliary variables).

import { dot } from './linalg';

/** The repository's floor on the parents' ⟨vⱼ, Bvⱼ⟩ (b_diag_min). */
const PARENT_FLOOR = 1e-6;

/** The directions of the p players (rows of d values) into `out` (p × d). */
export function gammaDirections64(v: Float64Array, av: Float64Array, bv: Float64Array, p: number, d: number, out: Float64Array): void {
  const row = (x: Float64Array, i: number) => x.subarray(i * d, (i + 1) * d);
  for (let i = 0; i < p; i++) {
    const vi = row(v, i);
    const bvi = row(bv, i);
    const bii = dot(vi, bvi);
    let own = dot(vi, row(av, i));
    const target = row(out, i);
    const avi = row(av, i);
    for (let c = 0; c < d; c++) target[c] = bii * avi[c];
    for (let j = 0; j < i; j++) {
      const bvj = row(bv, j);
      const cij = dot(vi, row(av, j)) / Math.max(dot(row(v, j), bvj), PARENT_FLOOR);
      for (let c = 0; c < d; c++) target[c] -= cij * bii * bvj[c];
      own -= cij * dot(vi, bvj);
    }
    for (let c = 0; c < d; c++) target[c] -= own * bvi[c];
  }
}
