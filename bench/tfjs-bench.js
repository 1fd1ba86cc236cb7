// MLP 2 -> 32 -> 32 -> 2, ReLU, softmax cross-entropy (mean), Adam(lr, 0.9, 0.999, 1e-8), full
// batch. Initialisation as in Boundary Lab: He-uniform for hidden layers, Glorot-uniform for the
// output layer, zero biases. One read-back ends each timed block, as on our side.
tf.wasm.setWasmPaths('node_modules/@tensorflow/tfjs-backend-wasm/dist/');

const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));
// The benchmark script's call counters (see run.mjs): same phase names as Boundary Lab's.
const mark = (phase) => window.__benchMark?.(phase);

window.runTfjs = async function runTfjs(backend, data, gridPts, grid, steps, reps, lr) {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} unavailable`);
  await tf.ready();
  const n = data.y.length;
  const x = tf.tensor2d(data.x, [n, 2]);
  const y = tf.oneHot(tf.tensor1d(data.y, 'int32'), 2).toFloat();
  const uniform = (i, o, bound) => tf.variable(tf.randomUniform([i, o], -bound, bound));
  const W1 = uniform(2, 32, Math.sqrt(6 / 2)), b1 = tf.variable(tf.zeros([32]));
  const W2 = uniform(32, 32, Math.sqrt(6 / 32)), b2 = tf.variable(tf.zeros([32]));
  const W3 = uniform(32, 2, Math.sqrt(6 / 34)), b3 = tf.variable(tf.zeros([2]));
  const forward = (inp) => tf.relu(tf.relu(inp.matMul(W1).add(b1)).matMul(W2).add(b2)).matMul(W3).add(b3);
  const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), true);

  let t = performance.now();
  let l = step(); await l.data(); l.dispose();
  const firstStepMs = performance.now() - t;
  for (let i = 0; i < 5; i++) step().dispose();
  l = step(); await l.data(); l.dispose();
  const g = tf.tensor2d(gridPts, [grid * grid, 2]);
  let p = tf.tidy(() => tf.softmax(forward(g))); await p.data(); p.dispose();

  const rates = [], grids = [];
  for (let r = 0; r < reps; r++) {
    await nextFrame();
    mark('train');
    t = performance.now();
    for (let i = 0; i < steps - 1; i++) step().dispose();
    l = step(); await l.data(); l.dispose();
    rates.push(steps * 1000 / (performance.now() - t));
    mark('train-end');
    await nextFrame();
    mark('grid');
    t = performance.now();
    p = tf.tidy(() => tf.softmax(forward(g)));
    const probs = await p.data(); p.dispose();
    grids.push(performance.now() - t);
    mark('grid-end');
    if (probs.length !== grid * grid * 2) throw new Error('grid read-back has the wrong size');
  }
  const pred = tf.tidy(() => forward(x).argMax(1));
  const labels = await pred.data(); pred.dispose();
  let correct = 0; for (let i = 0; i < n; i++) correct += labels[i] === data.y[i] ? 1 : 0;
  [x, y, g, W1, b1, W2, b2, W3, b3].forEach((v) => v.dispose());
  return { backend, first_step_ms: firstStepMs, steps_per_sec: median(rates), steps_per_sec_reps: rates,
    grid_ms: median(grids), grid_ms_reps: grids, train_acc: correct / n };
};
