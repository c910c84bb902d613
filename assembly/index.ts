// The kernel module's exports. Every kernel works on pointers and sizes into memory that TypeScript plans
// (src/devices/memory.ts); none allocates, and the module has no mutable static data, so any number of instances can
// share one memory.

export { addF32, addF64, divideF32, divideF64 } from './accumulate';
export { adam } from './adam';
export { backproject } from './backproject';
export { packedTimes } from './backpack';
export { blockTimes } from './blocktimes';
export { cholesky } from './cholesky';
export { subtractMean } from './center';
export { combineRows } from './combine';
export { combineRows64 } from './combine64';
export { crossDots } from './crossdots';
export { dataTerm } from './dataterm';
export { stageDeviations } from './deviations';
export { direction } from './direction';
export { directionGram } from './directiongram';
export { symmetricEigen } from './eigen';
export { gammaDirections } from './gamma';
export { gram } from './gram';
export { columnSums, firstNonFinite } from './moments';
export { normalizeRows } from './normalize';
export { play, rayleighQuotients } from './play';
export { playerDots } from './playerdots';
export { project } from './project';
export { ritzResidualSums } from './ritzsums';
export { scatter } from './scatter';
export { sgd } from './sgd';
export { blockMoments, blockMoments32, packColumns, packPlain, packRows, packRows32 } from './stage';
export { symmetrize } from './symmetrize';
export { syrk } from './syrk';
export { transpose } from './transpose';
export { triangularMove } from './triangularmove';
export { choleskySolve } from './trisolve';
export { utilities } from './utilities';
export { sparseOuter } from './sparseouter';
export { sparseTimes } from './sparsetimes';
export { sparseTimes64 } from './sparsetimes64';

/** First byte above the module's static data: the memory plan starts here. */
export function heapBase(): usize {
  return __heap_base;
}
