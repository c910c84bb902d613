// The web demo: pca of the bundled MNIST sample or of a file the user drops, streamed from the File (only a
// minibatch in memory at a time) on Web Workers, with a live convergence chart, then the components as images
// and the rows on the first two components.
import { NpySource, init, openSource, pca } from '/dist/browser.js';

const $ = (id) => document.getElementById(id);
const LABEL_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const MAX_POINTS = 20000;

function describeHost(found) {
  const threads = found.threads
    ? `Web Workers on shared memory (${found.hardwareThreads} logical processors)`
    : `one thread (${found.threadsUnavailable})`;
  return `WebAssembly SIMD${found.relaxedSimd ? ' (relaxed SIMD available)' : ''}; ${threads}`;
}

/** The utilities chart: one line per player, redrawn on every report. */
class Chart {
  constructor(canvas) {
    this.canvas = canvas;
    this.series = [];
  }

  reset() {
    this.series = [];
    this.draw();
  }

  add(utilities) {
    this.series.push(Array.from(utilities));
    this.draw();
  }

  draw() {
    const { canvas, series } = this;
    const context = canvas.getContext('2d');
    const { width, height } = canvas;
    context.clearRect(0, 0, width, height);
    const margin = 36;
    context.strokeStyle = '#999';
    context.strokeRect(margin, 8, width - margin - 8, height - margin - 8);
    if (series.length === 0) return;
    const top = Math.max(...series.flat(), 1e-12);
    const x = (i) => margin + (i / Math.max(1, series.length - 1)) * (width - margin - 8);
    const y = (v) => height - margin - (Math.max(0, v) / top) * (height - margin - 16);
    const k = series[0].length;
    for (let player = 0; player < k; player++) {
      context.strokeStyle = `hsl(${(player * 360) / k}, 65%, 45%)`;
      context.beginPath();
      series.forEach((values, i) => (i === 0 ? context.moveTo(x(i), y(values[player])) : context.lineTo(x(i), y(values[player]))));
      context.stroke();
    }
    context.fillStyle = '#555';
    context.font = '12px sans-serif';
    context.fillText(top.toPrecision(3), 2, 18);
    context.fillText('0', 20, height - margin);
    context.fillText(`check ${series.length}`, width - 80, height - 12);
  }
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

async function drawScatter(model, source, labels) {
  const points = [];
  for await (const batch of source.batches(4096)) {
    const scores = model.transform({ data: batch.data, rows: batch.rows, cols: batch.cols });
    for (let r = 0; r < scores.rows && points.length < MAX_POINTS; r++) {
      points.push([scores.data[r * model.k], model.k > 1 ? scores.data[r * model.k + 1] : 0, labels ? labels[batch.firstRow + r] : 0]);
    }
    if (points.length >= MAX_POINTS) break;
  }
  const canvas = $('scatter');
  const context = canvas.getContext('2d');
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  context.globalAlpha = 0.6;
  for (const [px, py, label] of points) {
    context.fillStyle = LABEL_COLOURS[label % 10];
    context.fillRect(8 + ((px - minX) / (maxX - minX || 1)) * (width - 16), height - 8 - ((py - minY) / (maxY - minY || 1)) * (height - 16), 2, 2);
  }
  context.globalAlpha = 1;
  $('legend').innerHTML = labels ? LABEL_COLOURS.map((colour, digit) => `<span style="color:${colour}">● ${digit}</span>`).join('') : '';
  return points.length;
}

function showVariance(model) {
  let cumulative = 0;
  $('variance').tBodies[0].innerHTML = Array.from(model.explainedVariance, (variance, i) => {
    cumulative += model.explainedVarianceRatio[i];
    return `<tr><td>${i + 1}</td><td>${variance.toFixed(6)}</td><td>${model.explainedVarianceRatio[i].toFixed(4)}</td><td>${cumulative.toFixed(4)}</td></tr>`;
  }).join('');
}

const chart = new Chart($('chart'));

async function fit(source, labels) {
  const k = Number($('k').value);
  document.body.dataset.state = 'running';
  $('status').textContent = `fitting ${source.name}…`;
  chart.reset();
  const started = performance.now();
  try {
    const info = await source.info();
    const model = await pca(source, {
      k, devices: 'auto',
      onProgress: ({ utilities, epoch, step }) => {
        chart.add(utilities);
        $('status').textContent = `fitting ${source.name}: pass ${epoch}, step ${step}`;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const { backend } = model;
    $('status').textContent = `done in ${seconds.toFixed(2)} s: ${model.nSamples} rows × ${model.d} columns (${info.format}), k = ${model.k}, `
      + `on ${backend.devices} ${backend.kind === 'workers' ? 'worker devices' : 'in-thread device'}`;
    showVariance(model);
    drawComponents(model);
    const points = await drawScatter(model, source, labels);
    window.demoResult = { backend, seconds, rows: model.nSamples, points, explainedVariance: Array.from(model.explainedVariance) };
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
  await fit(new NpySource(blob, { name: 'the MNIST sample' }), labels);
}

function fitFile(file) {
  if (!file) return;
  try {
    return fit(openSource(file), null);
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
