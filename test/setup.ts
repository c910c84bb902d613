// Every test file runs on the Node host, as `import 'eigengame'` in Node would: files that import src/ modules
// directly (kernels, devices) need a host installed all the same.
import '../src/entries/node';
