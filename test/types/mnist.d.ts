// The `mnist` package ships no types: each digit's set has `length` and `get(i)` (784 values in [0, 1]).
declare module 'mnist' {
  interface DigitSet {
    length: number;
    get(index: number): number[];
  }
  const mnist: DigitSet[];
  export default mnist;
}
