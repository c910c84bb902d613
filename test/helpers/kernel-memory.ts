// A raw kernel instance for tests, with a bump allocator that can misalign every buffer on purpose.

import { createMemory, instantiate } from '../../src/kernels/load';
import type { BuildName, KernelExports } from '../../src/kernels/exports';

export interface KernelHarness {
  kernels: KernelExports;
  /** Puts float32 values in memory `misalign` bytes past a 16-byte boundary; returns the address. */
  f32(values: ArrayLike<number>, misalign?: number): number;
  f64(values: ArrayLike<number>, misalign?: number): number;
  zerosF32(length: number, misalign?: number): number;
  zerosF64(length: number, misalign?: number): number;
  readF32(address: number, length: number): Float32Array;
  readF64(address: number, length: number): Float64Array;
}

export async function kernelHarness(build: BuildName, pages = 64): Promise<KernelHarness> {
  const memory = createMemory(build, pages);
  const kernels = await instantiate(build, memory);
  let cursor = Math.ceil(kernels.heapBase() / 16) * 16;
  const take = (bytes: number, misalign: number) => {
    const at = cursor + misalign;
    cursor = Math.ceil((at + bytes) / 16) * 16 + 16;
    if (cursor > memory.buffer.byteLength) throw new Error('test harness out of memory');
    return at;
  };
  const harness: KernelHarness = {
    kernels,
    f32(values, misalign = 0) {
      const at = take(values.length * 4, misalign);
      new Float32Array(memory.buffer, at, values.length).set(values);
      return at;
    },
    f64(values, misalign = 0) {
      const at = take(values.length * 8, misalign === 0 ? 0 : 8);
      new Float64Array(memory.buffer, at, values.length).set(values);
      return at;
    },
    zerosF32: (length, misalign = 0) => harness.f32(new Float32Array(length), misalign),
    zerosF64: (length, misalign = 0) => harness.f64(new Float64Array(length), misalign),
    readF32: (address, length) => new Float32Array(memory.buffer, address, length).slice(),
    readF64: (address, length) => new Float64Array(memory.buffer, address, length).slice(),
  };
  return harness;
}
