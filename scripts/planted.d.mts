export interface PlantedData {
  data: Float64Array;
  rows: number;
  cols: number;
  eigenvectors: Float64Array;
  mean: Float64Array;
}
export function plantedData(options: {
  n: number;
  d: number;
  spectrum: ArrayLike<number>;
  seed?: number;
  offset?: number;
}): PlantedData;
export function gappedSpectrum(d: number, k: number, gap: number, tail?: number): Float64Array;
