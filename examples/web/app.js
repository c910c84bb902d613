// The web demo: pca of the bundled MNIST sample or of a file the user drops, streamed from the File (only a
// minibatch in memory at a time) on Web Workers, with a live convergence chart, then the explained variance (the
// same plot as `npm start`'s out/variance.svg), the components as images and the rows on the first two components.
// A sparse file (scipy's .npz, Matrix Market .mtx or .mtx.gz: TF-IDF, single-cell counts) is read as its entries
// and fitted without densifying; "transpose" reads a genes × cells file as cells × genes.
import { NpySource, init, openSource, pca, readSparse, sparseFormatOfName } from '/dist/browser.js';
import { formatShare, projectionSvg, varianceSvg } from './plots.js';
import { ConvergenceChart, describeProgress } from './progress.js';

const $ = (id) => document.getElementById(id);
const MAX_POINTS = 20000;

function describeHost(found) {
  const threads = found.threads
    ? `Web Workers on shared memory (${found.hardwareThreads} logical processors)`
    : `one thread (${found.threadsUnavailable})`;
  return `WebAssembly SIMD${found.relaxedSimd ? ' (relaxed SIMD available)' : ''}; ${threads}`;
}

function drawComponents(model) {
  const side = Math.round(Math.sqrt(model.d));
  const holder = $('components');
  holder.replaceChildren();
  $('components-figure').hidden = side * side !== model.d;
  if (side * side !== model.d) return;
  for (let i = 0; i < model.k; i++) {
    const values = model.components.subarray(i * model.d, (i + 1) * model.d);
    const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    const canvas = document.createElement('canvas');
    canvas.width = side;
    canvas.height = side;
    canvas.title = `component ${i + 1}`;
    const context = canvas.getContext('2d');
    const image = context.createImageData(side, side);
    values.forEach((value, p) => {
      const t = value / largest;
      const [r, g, b] = t < 0 ? [255 * (1 + t), 255 * (1 + 0.6 * t), 255] : [255, 255 * (1 - 0.6 * t), 255 * (1 - t)];
      image.data.set([r, g, b, 255], p * 4);
    });
    context.putImageData(image, 0, 0);
    holder.append(canvas);
  }
}

/** Blocks of projected rows: a source's batches, or a sparse matrix projected whole from its non-zeros. */
async function* projections(model, data) {
  if (data.sparse) {
    yield { projected: model.transform(data.sparse), firstRow: 0 };
    return;
  }
  for await (const batch of data.source.batches(4096)) {
    yield { projected: model.transform({ data: batch.data, rows: batch.rows, cols: batch.cols }), firstRow: batch.firstRow };
  }
}

/** The rows (the first MAX_POINTS) on components 1 and 2, as the SVG scatter `npm start` draws. */
async function drawScatter(model, data, labels) {
  $('scatter-figure').hidden = model.k < 2;
  if (model.k < 2) return 0;
  const scores = new Float64Array(Math.min(model.nSamples, MAX_POINTS) * 2);
  const shown = [];
  let points = 0;
  for await (const { projected, firstRow } of projections(model, data)) {
    for (let r = 0; r < projected.rows && points < scores.length / 2; r++, points++) {
      scores.set(projected.data.subarray(r * model.k, r * model.k + 2), points * 2);
      if (labels) shown.push(labels[firstRow + r]);
    }
    if (points * 2 >= scores.length) break;
  }
  $('scatter').innerHTML = projectionSvg(scores, points, 2, labels ? shown : null, { shares: model.explainedVarianceRatio, size: 480 });
  return points;
}

function showVariance(model) {
  let cumulative = 0;
  $('variance').tBodies[0].innerHTML = Array.from(model.explainedVariance, (variance, i) => {
    cumulative += model.explainedVarianceRatio[i];
    return `<tr><td>${i + 1}</td><td>${variance.toFixed(6)}</td><td>${model.explainedVarianceRatio[i].toFixed(4)}</td><td>${cumulative.toFixed(4)}</td></tr>`;
  }).join('');
  $('variance-plot').innerHTML = varianceSvg(model, {
    title: `${formatShare(cumulative)} of the variance in ${model.k} component${model.k === 1 ? '' : 's'}`,
  });
}

const chart = new ConvergenceChart($('chart'), { yLabel: 'variance' });

/**
 * Fits `data`: `{ source }` (a MatrixSource, streamed) or `{ file, format }` (a sparse file, read whole as its entries
 * first, then fitted without densifying).
 */
async function fit(data, labels) {
  const k = Number($('k').value);
  const name = data.source ? data.source.name : data.file.name;
  document.body.dataset.state = 'running';
  $('status').textContent = `${data.source ? 'fitting' : 'reading'} ${name}…`;
  chart.reset(k);
  for (const id of ['variance-plot', 'scatter']) $(id).replaceChildren();
  const started = performance.now();
  try {
    let described;
    if (data.source) {
      described = (await data.source.info()).format;
    } else {
      data.sparse = await readSparse(data.file, { transpose: $('transpose').checked });
      described = `${data.format}, ${data.sparse.data.length.toLocaleString('en-US')} stored entries${$('transpose').checked ? ', transposed' : ''}`;
    }
    const model = await pca(data.sparse ?? data.source, {
      k, devices: 'auto',
      onProgress: (progress) => {
        chart.add(progress);
        $('status').textContent = describeProgress(name, progress);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const { backend } = model;
    $('status').textContent = `done in ${seconds.toFixed(2)} s: ${model.nSamples} rows × ${model.d} columns (${described}), k = ${model.k}, `
      + `on ${backend.devices} ${backend.kind === 'workers' ? 'worker devices' : 'in-thread device'}, ${model.solver} route`;
    showVariance(model);
    drawComponents(model);
    const points = await drawScatter(model, data, labels);
    window.demoResult = {
      backend, seconds, rows: model.nSamples, points, reports: chart.steps.length, solver: model.solver,
      explainedVariance: Array.from(model.explainedVariance), components: Array.from(model.components),
    };
    document.body.dataset.state = 'done';
  } catch (error) {
    $('status').textContent = `failed: ${error.message}`;
    window.demoResult = { error: error.message };
    document.body.dataset.state = 'failed';
  }
}

async function runMnist() {
  $('status').textContent = 'loading the MNIST sample…';
  const [blob, labels] = await Promise.all([
    fetch('/data/mnist-10k.npy').then((response) => response.blob()),
    fetch('/data/mnist-10k-labels.json').then((response) => response.json()),
  ]);
  await fit({ source: new NpySource(blob, { name: 'the MNIST sample' }) }, labels);
}

function fitFile(file) {
  if (!file) return;
  try {
    const sparse = sparseFormatOfName(file.name);
    return fit(sparse ? { file, format: sparse } : { source: openSource(file) }, null);
  } catch (error) {
    $('status').textContent = `failed: ${error.message}`;
  }
}

$('run-mnist').addEventListener('click', runMnist);
$('file').addEventListener('change', (event) => fitFile(event.target.files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  fitFile(event.dataTransfer.files[0]);
});

$('host').textContent = describeHost(await init());
$('run-mnist').disabled = false;
document.body.dataset.state = 'ready';
