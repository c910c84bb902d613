// The players' utilities as the seed reports them (the α-EigenGame form):
// u_i = Σ_j w_ij ⟨X v_i, X v_j⟩² / ⟨X v_j, X v_j⟩ with w = 2I − 1 below and on the diagonal, 0 above,
// i.e. u_i = M_ii²/M_ii − Σ_{j<i} M_ij²/M_jj.

import { at64 } from './simd';

/** u (k doubles) from the Gram matrix M (k × k doubles). A player whose projection is all zero adds nothing. */
export function utilities(m: usize, k: i32, u: usize): void {
  for (let i = 0; i < k; i++) {
    let sum = 0.0;
    for (let j = 0; j <= i; j++) {
      const mjj = load<f64>(at64(m, j * k + j));
      if (mjj == 0) continue;
      const mij = load<f64>(at64(m, i * k + j));
      const reward = mij * mij / mjj;
      sum = j == i ? sum + reward : sum - reward;
    }
    store<f64>(at64(u, i), sum);
  }
}
