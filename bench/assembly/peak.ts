// The machine's WebAssembly SIMD peak for multiplies and adds (no FMA): six independent f32x4 product chains and
// six independent sum chains, all in registers (no memory traffic), enough in flight to keep every SIMD port busy.
// 48 floating-point operations per iteration. Compiled by the bench (AssemblyScript, -O3, SIMD); not in the package.

export function peak(iterations: i32): f32 {
  const m = f32x4.splat(0.9999999);
  const c = f32x4.splat(1e-7);
  let a0 = f32x4.splat(1.0), a1 = f32x4.splat(1.1), a2 = f32x4.splat(1.2);
  let a3 = f32x4.splat(1.3), a4 = f32x4.splat(1.4), a5 = f32x4.splat(1.5);
  let b0 = f32x4.splat(0.0), b1 = f32x4.splat(0.1), b2 = f32x4.splat(0.2);
  let b3 = f32x4.splat(0.3), b4 = f32x4.splat(0.4), b5 = f32x4.splat(0.5);
  for (let i = 0; i < iterations; i++) {
    a0 = f32x4.mul(a0, m); b0 = f32x4.add(b0, c); a1 = f32x4.mul(a1, m); b1 = f32x4.add(b1, c);
    a2 = f32x4.mul(a2, m); b2 = f32x4.add(b2, c); a3 = f32x4.mul(a3, m); b3 = f32x4.add(b3, c);
    a4 = f32x4.mul(a4, m); b4 = f32x4.add(b4, c); a5 = f32x4.mul(a5, m); b5 = f32x4.add(b5, c);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
    f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(b0, b1)), f32x4.add(f32x4.add(b2, b3), f32x4.add(b4, b5))),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
