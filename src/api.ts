// The public API, the same from every package entry (src/entries/): only how kernels load and devices start differ.
export { capabilities, init } from './wasm';
export type { Capabilities, InitOptions, KernelSource } from './wasm';
export { EigenGame } from './game';
export type { EigenGameOptions, EigenGameState, RunOptions, RunProgress, StepResult } from './game';
export { DeviceError } from './pool';
export type { Backend } from './engine';
export { pca } from './pca';
export { NpySource } from './npy';
export { CsvSource } from './csv';
export { openSource } from './open-source';
export type { OpenSourceOptions } from './open-source';
export type { CsvOptions } from './csv';
export type { MatrixSource, RowBatch, SourceInfo } from './source';
export type { ByteInput } from './bytes';
export type { PCAOptions, PCAProgress } from './pca-core';
export { PCAModel } from './model';
export type { Float64Matrix, PCAModelJSON } from './model';
export { longestStreak, subspaceDistance } from './metrics';
export type { DenseMatrix, MatrixInput } from './data';
export type {
  AdamOptions, DeviceOptions, GameSettings, OptimizerOptions, Preset, Reduction, SgdOptions, Variant,
} from './options';
