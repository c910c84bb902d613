// The fused data pass of one step over a block of centred rows: P = X Vᵀ and G = Pᵀ X.
//
// Each group of four rows is projected and immediately back-projected while it is still in cache, so every row
// of X is read from memory once per step. The results are bit-identical to `project` followed by `backproject`
// because both call the same inlined row kernels in the same order.

import { backprojectRow, backprojectRows4 } from './backproject';
import { projectRow, projectRows4 } from './project';

/**
 * P (rows × players, row stride `ldp`: a device writes its players' columns of a shared P) and G (players × d,
 * overwritten) for `rows` rows of X.
 */
export function dataTerm(x: usize, rows: i32, d: i32, v: usize, players: i32, p: usize, ldp: i32, g: usize): void {
  memory.fill(g, 0, (<usize>players * <usize>d) << 2);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    projectRows4(x, r, d, v, players, p, ldp);
    backprojectRows4(x, r, d, p, ldp, players, g);
  }
  for (; r < rows; r++) {
    projectRow(x, r, d, v, players, p, ldp);
    backprojectRow(x, r, d, p, ldp, players, g);
  }
}
