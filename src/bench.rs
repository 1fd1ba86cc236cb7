//! Speed measurements shared by the page's benchmark entry point and native runs: training steps
//! per second after a warm-up that excludes kernel compilation, the first (compiling) step, and
//! the time to infer class probabilities on a grid and read them back to the host.
//!
//! Every classifier of the registry can be measured the same way; the benchmark script (see
//! README) runs the MLP of the performance issue and then the whole registry.

use crate::classifiers::{ModelSpec, TrainData, points_tensor, predict_chunked};
use crate::data::{self, DatasetKind, ToyConfig};
use crate::error::LabError;
use crate::params::Params;
use crate::viz;
use burn::tensor::{Device, Tensor};

/// What to measure.
pub struct BenchConfig<'a> {
    pub spec: &'static ModelSpec,
    pub params: &'a Params,
    /// Training points (two moons, noise 0.1, seed 1).
    pub n: usize,
    pub warmup_steps: usize,
    /// Steps per timed repetition.
    pub steps: usize,
    pub reps: usize,
    /// Grid side for inference.
    pub grid: usize,
    /// Rows per inference block, as the page uses on this device (see `predict_chunked`).
    pub infer_chunk: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BenchResult {
    pub model: String,
    /// The first step plus its read-back (kernel compilation on GPUs), ms.
    pub first_step_ms: f64,
    /// Median over repetitions of steps per second (each repetition ends with a read-back).
    pub steps_per_sec: f64,
    pub steps_per_sec_reps: Vec<f64>,
    /// Median grid inference with read-back, ms.
    pub grid_ms: f64,
    pub grid_ms_reps: Vec<f64>,
    /// Training accuracy after all steps, as a sanity check that the same model was trained.
    pub train_acc: f64,
}

impl BenchResult {
    pub fn to_json(&self) -> String {
        let list = |v: &[f64]| v.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(",");
        format!(
            "{{\"model\":\"{}\",\"first_step_ms\":{:.3},\"steps_per_sec\":{:.4},\"steps_per_sec_reps\":[{}],\"grid_ms\":{:.3},\"grid_ms_reps\":[{}],\"train_acc\":{:.4}}}",
            self.model,
            self.first_step_ms,
            self.steps_per_sec,
            list(&self.steps_per_sec_reps),
            self.grid_ms,
            list(&self.grid_ms_reps),
            self.train_acc
        )
    }
}

/// The benchmark's dataset: two moons, 1000 points, noise 0.1, seed 1 (all of it trains).
pub fn bench_data(n: usize) -> data::Dataset {
    data::generate(&ToyConfig { kind: DatasetKind::Moons, n, noise: 0.1, seed: 1, classes: 2 })
}

pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    if s.is_empty() {
        return f64::NAN;
    }
    let m = s.len() / 2;
    if s.len() % 2 == 1 { s[m] } else { (s[m - 1] + s[m]) / 2.0 }
}

async fn read(t: Tensor<2>) -> Result<Vec<f32>, LabError> {
    t.into_data_async()
        .await
        .map_err(|e| LabError::Device(format!("{e:?}")))?
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| LabError::Device(format!("{e:?}")))
}

/// Runs the measurement. `now` is a millisecond clock; `pause` yields to the host between
/// repetitions (the browser's event loop; a no-op natively); `mark` names the phase about to
/// start or just ended (`train`, `train-end`, `grid`, `grid-end`, once per repetition), so an
/// outside observer can attribute work to one timed block: the browser benchmark counts WebGPU
/// dispatches, submissions and buffer mappings between marks.
pub async fn run<F, Fut>(
    cfg: &BenchConfig<'_>,
    device: &Device,
    now: impl Fn() -> f64,
    pause: F,
    mark: &dyn Fn(&str),
) -> Result<BenchResult, LabError>
where
    F: Fn() -> Fut,
    Fut: core::future::Future<Output = ()>,
{
    let data = bench_data(cfg.n);
    let train = TrainData::new(&data, device)?;
    let mut model = cfg.spec.build(cfg.params, &train, 1)?;
    // Something cheap that depends on the model's latest state, to force the step's work to finish.
    let sync = |m: &dyn crate::classifiers::Classifier, x: &Tensor<2>| m.predict_proba(x.clone().slice(0..1));
    let probe = train.x.clone().without_autodiff();

    let t = now();
    model.step()?;
    read(sync(model.as_ref(), &probe)).await?;
    let first_step_ms = now() - t;

    for _ in 0..cfg.warmup_steps {
        model.step()?;
    }
    read(sync(model.as_ref(), &probe)).await?;
    // Warm the grid kernels too.
    let grid_x = points_tensor(&viz::grid_points(data.view_bounds(0.1), cfg.grid, data.dim), data.dim, &device.clone().without_autodiff());
    read(predict_chunked(model.as_ref(), grid_x.clone(), cfg.infer_chunk)).await?;

    let mut rates = Vec::new();
    let mut grids = Vec::new();
    for _ in 0..cfg.reps {
        pause().await;
        mark("train");
        let t = now();
        for _ in 0..cfg.steps {
            model.step()?;
        }
        read(sync(model.as_ref(), &probe)).await?;
        rates.push(cfg.steps as f64 * 1000.0 / (now() - t).max(1e-6));
        mark("train-end");
        pause().await;
        mark("grid");
        let t = now();
        let probs = read(predict_chunked(model.as_ref(), grid_x.clone(), cfg.infer_chunk)).await?;
        grids.push(now() - t);
        mark("grid-end");
        if probs.len() != cfg.grid * cfg.grid * data.n_classes {
            return Err(LabError::Device("grid read-back has the wrong size".into()));
        }
    }
    let probs = read(model.predict_proba(probe)).await?;
    let pred: Vec<u32> = probs.chunks(data.n_classes).map(|r| viz::argmax(r) as u32).collect();
    Ok(BenchResult {
        model: cfg.spec.name.to_string(),
        first_step_ms,
        steps_per_sec: median(&rates),
        steps_per_sec_reps: rates,
        grid_ms: median(&grids),
        grid_ms_reps: grids,
        train_acc: crate::train::accuracy(&pred, &data.y).unwrap_or(0.0),
    })
}

/// What [`csv_throughput`] measured.
pub struct CsvBench {
    pub mb: f64,
    pub rows: usize,
    pub columns: usize,
    pub parse_ms: f64,
    pub encode_ms: f64,
}

/// A deterministic CSV of about `mb` megabytes (10 MB: ~72k rows, within the page's limit): 12
/// numeric columns, a categorical one and a label.
pub fn csv_bench_file(mb: usize) -> Vec<u8> {
    let mut rng = crate::rng::Rng::new(11);
    let mut out = String::from("a,b,c,d,e,f,g,h,i,j,k,l,colour,label\n");
    let colours = ["red", "green", "blue", "amber"];
    while out.len() < mb * 1_000_000 {
        for _ in 0..12 {
            out.push_str(&format!("{:.4},", rng.normal() * 100.0));
        }
        let c = (rng.uniform() * 4.0) as usize % 4;
        out.push_str(colours[c]);
        out.push_str(if rng.uniform() < 0.5 { ",yes\n" } else { ",no\n" });
    }
    out.into_bytes()
}

/// Parses and encodes [`csv_bench_file`] with the page's loader; `now` is a millisecond clock.
pub fn csv_throughput(mb: usize, now: &dyn Fn() -> f64) -> Result<CsvBench, LabError> {
    use crate::data::table;
    let bytes = csv_bench_file(mb);
    let t = now();
    let parsed = table::parse(&bytes).map_err(|e| LabError::Data(e.to_string()))?;
    let parse_ms = now() - t;
    let t = now();
    let enc = table::encode(&parsed, &table::Roles::guess(&parsed)).map_err(|e| LabError::Data(e.to_string()))?;
    let encode_ms = now() - t;
    Ok(CsvBench { mb: bytes.len() as f64 / 1e6, rows: enc.data.len(), columns: parsed.columns.len(), parse_ms, encode_ms })
}

/// FOLD's fit benchmark: `n` rows of 14 numeric columns and 6 categorical ones (2% empty cells),
/// labelled by a noisy linear score with one categorical effect, as the learner's columns.
pub fn fold_bench_data(n: usize) -> (Vec<crate::classifiers::fold::learn::RawColumn>, Vec<u32>) {
    use crate::classifiers::fold::learn::RawColumn;
    let (numeric, categorical) = (14, 6);
    let mut rng = crate::rng::Rng::new(7);
    let mut cols = Vec::new();
    let mut score = vec![0.0f64; n];
    for j in 0..numeric {
        let v: Vec<f64> = (0..n).map(|_| (rng.normal() * 1000.0).round() / 1000.0).collect();
        for (s, x) in score.iter_mut().zip(&v) {
            *s += x * if j % 3 == 0 { 1.0 } else { 0.1 };
        }
        cols.push(RawColumn::numeric(&format!("n{j}"), &v));
    }
    for j in 0..categorical {
        let texts: Vec<String> = (0..n)
            .map(|i| {
                let k = rng.below(5);
                if j == 0 && k == 4 {
                    score[i] += 1.5;
                }
                if rng.below(50) == 0 { String::new() } else { format!("level{k}") }
            })
            .collect();
        cols.push(RawColumn::from_texts(&format!("c{j}"), &texts));
    }
    let labels = score.iter().map(|s| (*s + 0.5 * rng.normal() > 0.0) as u32).collect();
    (cols, labels)
}

/// One FOLD fit on [`fold_bench_data`]: milliseconds, top-level rules, training accuracy.
pub fn fold_fit(cols: &[crate::classifiers::fold::learn::RawColumn], labels: &[u32], info_gain: bool, now: &dyn Fn() -> f64) -> (f64, usize, f64) {
    use crate::classifiers::fold::learn::{FoldConfig, Heuristic, Learner, RuleList};
    let n = labels.len();
    let heuristic = if info_gain { Heuristic::InfoGain } else { Heuristic::Gini };
    let start = now();
    let learner = Learner { cols, cfg: FoldConfig { heuristic, ..FoldConfig::default() }, n_train: n };
    let mut list = RuleList::new(n);
    while list.grow(&learner, labels) {}
    let ms = now() - start;
    let right = (0..n).filter(|&r| list.predict(cols, r) == Some(labels[r])).count();
    (ms, list.rules.len(), right as f64 / n.max(1) as f64)
}
