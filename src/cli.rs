//! The command-line twin of the page: the same registry, parameters, CSV loader and share links,
//! natively and at scale. This is the native entry point, so (like `app::backend` in the page) it
//! is the one place that names a backend.
//!
//! `eval` cross-validates, `fit` writes a model file, `predict` reads one, `rules` prints a rule
//! learner's program, `models` lists the registry. Errors go to stderr with the page's messages;
//! the exit code is 2 for a wrong command line and 1 for anything else that fails.

use crate::classifiers::{self, Classifier, ModelSpec, ModelState, TrainData, predict_chunked};
use crate::data::table::{self, ColumnType, Encoding, Limits, MissingPolicy, Roles, Table};
use crate::data::{self, Dataset};
use crate::error::LabError;
use crate::eval::{self, Folds};
use crate::model_file::ModelFile;
use crate::params::Params;
use crate::state::AppState;
use crate::train::accuracy;
use burn::tensor::{Device, Tensor, TensorData};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "boundary-lab", version, about = "Boundary Lab's classifiers on any CSV: cross-validation, model files, predictions.")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Cross-validate a classifier: per-fold and mean accuracy and macro-F1, fit and predict time.
    Eval(EvalArgs),
    /// Train on every usable row and write a model file.
    Fit(FitArgs),
    /// Class probabilities (CSV) for every row of a file, from a model file.
    Predict(PredictArgs),
    /// Train a rule learner and print its program.
    Rules(FitArgs),
    /// List the classifiers: names (as in links and --model), families and parameters.
    Models {
        #[arg(long)]
        json: bool,
    },
    /// Print the README's table of share-link keys.
    #[command(hide = true)]
    LinkKeys,
}

#[derive(Args)]
struct DataArgs {
    /// CSV file ('-' for standard input). May be left out with a --link that carries its data
    /// (a toy dataset, or a small file embedded in the link).
    #[arg(long, value_name = "FILE.csv")]
    data: Option<PathBuf>,
    /// Label column, by name or 1-based number [default: the link's, else a column named
    /// label/class/target/y, else the last].
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
    /// How a column is used, overriding the inferred type (repeatable).
    #[arg(long = "type", value_name = "COLUMN=numeric|categorical|ignored")]
    types: Vec<String>,
    /// Rows with a missing feature value are imputed (median / most frequent) or dropped.
    #[arg(long, value_name = "impute|drop")]
    missing: Option<String>,
}

#[derive(Args)]
struct ModelArgs {
    /// Classifier, by its registry name (see `models`).
    #[arg(long, value_name = "NAME", conflicts_with = "link", required_unless_present = "link")]
    model: Option<String>,
    /// A parameter of the classifier, as in a share link (repeatable; overrides the link's).
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// A share link (the URL or its '#...' part): its classifier, parameters, seed, steps and
    /// column choices, and its data when --data is left out.
    #[arg(long, value_name = "URL")]
    link: Option<String>,
    /// Training steps [default: the link's, else the classifier's].
    #[arg(long)]
    steps: Option<usize>,
    /// Seed of initialisation, minibatch order and folds [default: the link's, else 1].
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    /// Where tensors live: the CPU, or a GPU through wgpu (Vulkan, Metal or DX12; falls back to
    /// the CPU, saying so, where there is none).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DeviceArg {
    Cpu,
    Wgpu,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Stratified k-fold cross-validation with this many folds.
    #[arg(long, default_value_t = 5, conflicts_with = "folds")]
    cv: usize,
    /// One fold id per data row, in row order (one integer a line; -1: always train), for
    /// splits identical to another tool's.
    #[arg(long, value_name = "FILE")]
    folds: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Write every row's out-of-fold probabilities here (CSV).
    #[arg(long, value_name = "FILE.csv")]
    predictions: Option<PathBuf>,
}

#[derive(Args)]
struct FitArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Model file to write (JSON).
    #[arg(long, value_name = "FILE.json")]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct PredictArgs {
    /// A model file written by `fit`.
    #[arg(long, value_name = "FILE.json")]
    model: PathBuf,
    /// CSV file with the model's feature columns ('-' for standard input).
    #[arg(long, value_name = "FILE.csv")]
    data: PathBuf,
    /// Write the probabilities here instead of standard output.
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
}

/// A failure and its exit code.
struct Failure {
    code: i32,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { code: 2, message: message.into() }
}

impl From<LabError> for Failure {
    fn from(e: LabError) -> Self {
        let code = if matches!(e, LabError::InvalidParam(_) | LabError::UnknownModel(_)) { 2 } else { 1 };
        Failure { code, message: e.to_string() }
    }
}

impl From<table::TableError> for Failure {
    fn from(e: table::TableError) -> Self {
        Failure { code: 1, message: e.to_string() }
    }
}

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure { code: 1, message: format!("{}: {e}", path.display()) }
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let quiet = cli.quiet;
    let result = match cli.cmd {
        Cmd::Eval(a) => eval_cmd(a, quiet),
        Cmd::Fit(a) => fit_cmd(a, false, quiet),
        Cmd::Rules(a) => fit_cmd(a, true, quiet),
        Cmd::Predict(a) => predict_cmd(a, quiet),
        Cmd::Models { json } => models_cmd(json),
        Cmd::LinkKeys => {
            print!("{}", crate::state::markdown_key_table());
            Ok(())
        }
    };
    match result {
        Ok(()) => 0,
        Err(f) => {
            eprintln!("error: {}", f.message);
            f.code
        }
    }
}

// ---------------------------------------------------------------- device

/// The device, a line saying what it is, and rows per inference block.
struct Backend {
    device: Device,
    description: String,
    infer_chunk: Option<usize>,
}

fn backend(arg: DeviceArg) -> Backend {
    let cpu = || Backend { device: Device::flex().autodiff(), description: "CPU (burn Flex)".into(), infer_chunk: Some(classifiers::CPU_INFER_ROWS) };
    if arg == DeviceArg::Cpu {
        return cpu();
    }
    match Device::wgpu_options().init_with_setup() {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu;
            if software {
                eprintln!("note: the only wgpu adapter is a software renderer ({}); training on it as asked, though --device cpu is faster", info.name);
            }
            // A GPU infers in large blocks: every block costs dispatches.
            Backend { device: device.autodiff(), description: format!("wgpu: {} ({:?})", info.name, info.backend), infer_chunk: Some(1 << 16) }
        }
        Err(e) => {
            eprintln!("note: no GPU adapter for wgpu (Vulkan, Metal or DX12) was found ({e}); using the CPU");
            cpu()
        }
    }
}

// ---------------------------------------------------------------- data

/// Where the rows come from: a table (encoded per training set), or points that are numbers
/// already (a link's toy dataset).
enum Source {
    Table { table: Table, roles: Roles, name: String },
    Points { data: Dataset, name: String },
}

/// Rows that can be used, their classes, and the class names.
struct Usable {
    rows: Vec<usize>,
    labels: Vec<u32>,
    classes: Vec<String>,
}

impl Source {
    fn name(&self) -> &str {
        match self {
            Source::Table { name, .. } | Source::Points { name, .. } => name,
        }
    }

    fn usable(&self) -> Result<Usable, Failure> {
        match self {
            Source::Table { table, roles, .. } => {
                let (rows, _) = table::usable_rows(table, roles)?;
                let (labels, classes) = table::class_labels(table, roles, &rows)?;
                Ok(Usable { rows, labels, classes })
            }
            Source::Points { data, .. } => Ok(Usable { rows: (0..data.len()).collect(), labels: data.y.clone(), classes: data.class_names.clone() }),
        }
    }

    /// The encoding fitted on `train` (tables only) and the datasets of `train` and `test`.
    fn datasets(&self, train: &[usize], test: &[usize]) -> Result<(Option<Encoding>, Dataset, Dataset), Failure> {
        match self {
            Source::Table { table, roles, .. } => {
                let enc = Encoding::fit(table, roles, train)?;
                let (tr, _) = enc.dataset(table, train)?;
                let (te, _) = enc.dataset(table, test)?;
                Ok((Some(enc), tr, te))
            }
            Source::Points { data, .. } => Ok((None, data.subset(train), data.subset(test))),
        }
    }
}

/// Counts bytes read (for the progress bar) and hashes them (to check a link's file).
struct Tap<R> {
    inner: R,
    bar: ProgressBar,
    hash: Option<table::ContentHasher>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        if let Some(h) = &mut self.hash {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

fn bar(len: u64, what: &str, quiet: bool, bytes: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pos = if bytes { "{bytes}/{total_bytes}" } else { "{pos}/{len}" };
    let style = ProgressStyle::with_template(&format!("{{msg:>18}} [{{bar:30}}] {pos} ({{elapsed}}, eta {{eta}})"))
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(len).with_style(style).with_message(what.to_string())
}

/// Reads a CSV stream into a table (no size limit but memory), hashing it when `want_hash`.
fn read_table(path: &Path, quiet: bool, want_hash: bool) -> Result<(Table, Option<String>), Failure> {
    let (input, len): (Box<dyn Read>, u64) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let f = std::fs::File::open(path).map_err(|e| io_failure(path, e))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(std::io::BufReader::with_capacity(1 << 20, f)), len)
    };
    let pb = bar(len, "reading", quiet, true);
    let mut tap = Tap { inner: input, bar: pb.clone(), hash: want_hash.then(table::ContentHasher::default) };
    let table = table::read(&mut tap, Limits::LARGE);
    pb.finish_and_clear();
    let hash = tap.hash.map(table::ContentHasher::finish);
    Ok((table?, hash))
}

/// A column by name or 1-based number.
fn column(table: &Table, key: &str) -> Result<usize, Failure> {
    if let Some(i) = table.column_index(key) {
        return Ok(i);
    }
    match key.parse::<usize>() {
        Ok(n) if n >= 1 && n <= table.columns.len() => Ok(n - 1),
        _ => {
            let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            Err(usage(format!("There is no column '{key}'. The columns are: {}.", names.join(", "))))
        }
    }
}

/// The model, its parameters and the run's settings, from --model/--param or a link.
struct Setup {
    spec: &'static ModelSpec,
    params: Params,
    steps: usize,
    seed: u64,
    link: Option<AppState>,
}

fn setup(m: &ModelArgs) -> Result<Setup, Failure> {
    let (spec, mut params, link) = match (&m.model, &m.link) {
        (Some(name), _) => {
            let spec = classifiers::find(name).ok_or_else(|| {
                let names: Vec<&str> = classifiers::REGISTRY.iter().map(|m| m.name).collect();
                usage(format!("Unknown classifier '{name}'. Known: {}.", names.join(", ")))
            })?;
            (spec, Params::defaults(spec.params), None)
        }
        (None, Some(url)) => {
            let hash = url.split_once('#').map(|(_, h)| h).unwrap_or(url);
            let (state, notes) = AppState::from_hash(hash);
            for n in notes {
                eprintln!("note: from the link: {n}");
            }
            (state.model, state.params.clone(), Some(state))
        }
        (None, None) => return Err(usage("Give a classifier with --model NAME (see `boundary-lab models`) or a share link with --link.")),
    };
    for kv in &m.params {
        let (k, v) = kv.split_once('=').ok_or_else(|| usage(format!("--param takes KEY=VALUE, not '{kv}'")))?;
        let p = spec.param(k.trim()).ok_or_else(|| {
            let keys: Vec<&str> = spec.params.iter().map(|p| p.key).collect();
            usage(format!("'{}' has no parameter '{k}'. Its parameters: {}.", spec.name, keys.join(", ")))
        })?;
        let value = p.parse(v.trim()).map_err(|e| usage(format!("Invalid parameter: {e}")))?;
        params.set(p, value).map_err(|e| usage(format!("Invalid parameter: {e}")))?;
    }
    let steps = m.steps.or(link.as_ref().map(|l| l.steps)).unwrap_or(spec.default_steps);
    if steps == 0 {
        return Err(usage("--steps must be at least 1"));
    }
    let seed = m.seed.or(link.as_ref().map(|l| l.data.seed)).unwrap_or(1);
    Ok(Setup { spec, params, steps, seed, link })
}

/// The data: --data, else the link's embedded file or toy dataset; with the label, column types
/// and missing-value policy from the flags, else the link, else guessed.
fn source(d: &DataArgs, link: Option<&AppState>, quiet: bool) -> Result<Source, Failure> {
    let choice = link.and_then(|l| l.csv.as_ref());
    let (table, name) = match (&d.data, choice) {
        (Some(path), _) => {
            let want_hash = choice.is_some_and(|c| !c.hash.is_empty());
            let (table, hash) = read_table(path, quiet, want_hash)?;
            if let (Some(c), Some(h)) = (choice, hash) {
                if !c.hash.is_empty() && c.hash != h {
                    eprintln!("note: {} is not the file the link was made with ('{}'); its column choices are applied by position", path.display(), c.name);
                }
            }
            (table, path.display().to_string())
        }
        (None, Some(c)) => match &c.data {
            Some(packed) => {
                let bytes = table::unpack_from_link(packed).map_err(|e| Failure { code: 1, message: format!("The link's file cannot be read: {e}") })?;
                (table::read(bytes.as_slice(), Limits::LARGE)?, format!("{} (from the link)", c.name))
            }
            None => return Err(usage(format!("The link names the file '{}' but does not carry it: give it with --data.", c.name))),
        },
        (None, None) => match link {
            Some(l) => {
                if !(d.label.is_none() && d.types.is_empty() && d.missing.is_none()) {
                    return Err(usage("--label, --type and --missing apply to CSV files; the link's data is a toy dataset"));
                }
                // The page's edits: erased points leave, drawn points join (in row order, so a folds
                // file lines up with the generated points).
                let all = data::edited(&data::generate(&l.data), &l.removed, &l.added);
                return Ok(Source::Points { data: all, name: format!("{} (toy dataset from the link)", l.data.kind.key()) });
            }
            None => return Err(usage("Give the data with --data FILE.csv.")),
        },
    };
    for n in &table.notes {
        eprintln!("note: {n}");
    }
    let mut roles = Roles::guess(&table);
    if let Some(c) = choice {
        if let Some(l) = c.label.filter(|&l| l < table.columns.len()) {
            roles.label = l;
        }
        for &(i, t) in &c.types {
            if let Some(slot) = roles.types.get_mut(i) {
                *slot = t;
            }
        }
        roles.missing = c.missing;
    }
    if let Some(l) = &d.label {
        roles.label = column(&table, l)?;
    }
    for kv in &d.types {
        let (k, v) = kv.rsplit_once('=').ok_or_else(|| usage(format!("--type takes COLUMN=TYPE, not '{kv}'")))?;
        let t = ColumnType::from_key(v.trim()).ok_or_else(|| usage(format!("'{v}' is not a column type: numeric, categorical or ignored")))?;
        roles.types[column(&table, k.trim())?] = t;
    }
    if let Some(m) = &d.missing {
        roles.missing = MissingPolicy::from_key(m).ok_or_else(|| usage(format!("--missing takes impute or drop, not '{m}'")))?;
    }
    Ok(Source::Table { table, roles, name })
}

// ---------------------------------------------------------------- training

/// Builds and trains a model for at most `steps` steps, checking the loss for divergence.
fn train(s: &Setup, data: TrainData, pb: &ProgressBar) -> Result<Box<dyn Classifier>, LabError> {
    let mut model = s.spec.build(&s.params, &data, s.seed)?;
    let mut last = None;
    let check = |loss: &Option<(usize, Tensor<1>)>| -> Result<(), LabError> {
        if let Some((step, l)) = loss {
            // One read-back: also waits for the device, so timings are honest.
            let v = l.clone().into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
            if v.iter().any(|x| !x.is_finite()) {
                return Err(LabError::Diverged { step: *step });
            }
        }
        Ok(())
    };
    for step in 1..=s.steps {
        let out = model.step()?;
        if let Some(l) = out.loss {
            last = Some((step, l));
        }
        pb.inc(1);
        if step % 100 == 0 {
            check(&last)?;
        }
        if out.converged {
            break;
        }
    }
    check(&last)?;
    Ok(model)
}

/// `[rows, C]` probabilities of `x` (row-major, `dim` columns), read back.
fn predict(model: &dyn Classifier, x: Vec<f32>, dim: usize, b: &Backend) -> Result<Vec<f32>, LabError> {
    let n = x.len() / dim.max(1);
    let device = b.device.clone().without_autodiff();
    // Upload and infer a block at a time, so memory stays a bounded multiple of one block.
    let block = b.infer_chunk.unwrap_or(n.max(1)).max(1) * 8;
    let mut out = Vec::new();
    for start in (0..n).step_by(block) {
        let end = (start + block).min(n);
        let t = Tensor::<2>::from_data(TensorData::new(x[start * dim..end * dim].to_vec(), [end - start, dim]), &device);
        let probs = predict_chunked(model, t, b.infer_chunk);
        out.extend(probs.into_data().convert::<f32>().try_to_vec::<f32>().map_err(|e| LabError::Device(format!("{e:?}")))?);
    }
    if out.iter().any(|p| !p.is_finite()) {
        return Err(LabError::Data("the model predicts non-finite probabilities (did training diverge?)".into()));
    }
    Ok(out)
}

fn argmax_rows(probs: &[f32], c: usize) -> Vec<u32> {
    probs.chunks(c.max(1)).map(|r| crate::viz::argmax(r) as u32).collect()
}

/// Peak resident memory of this process, where the OS says (Linux).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn params_line(s: &Setup) -> String {
    let p: Vec<String> = s.params.iter().map(|(k, v)| format!("{k}={}", crate::params::ParamSpec::format(v))).collect();
    format!("{} ({})", s.spec.name, p.join(" "))
}

// ---------------------------------------------------------------- eval

#[derive(serde::Serialize)]
struct EvalReport {
    model: String,
    params: std::collections::BTreeMap<String, String>,
    data: String,
    device: String,
    rows: usize,
    features: usize,
    classes: Vec<String>,
    folds: usize,
    seed: u64,
    steps: usize,
    fold_accuracy: Vec<f64>,
    mean_accuracy: f64,
    std_accuracy: f64,
    fold_macro_f1: Vec<f64>,
    macro_f1: f64,
    /// Mean over folds.
    fit_seconds: f64,
    predict_seconds: f64,
    fold_fit_seconds: Vec<f64>,
    fold_predict_seconds: Vec<f64>,
    /// Rows trained on per second of fitting, over all folds.
    train_rows_per_second: f64,
    /// Mean over folds, for rule learners.
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    literals: Option<f64>,
    peak_memory_bytes: Option<u64>,
}

fn read_folds(path: &Path, rows: usize) -> Result<Folds, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| io_failure(path, e))?;
    let mut ids = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim().trim_matches('"');
        if t.is_empty() {
            continue;
        }
        match t.parse::<i64>() {
            Ok(v) => ids.push(v),
            // A header line such as "fold" is allowed.
            Err(_) if ids.is_empty() && i == 0 => {}
            Err(_) => return Err(Failure { code: 1, message: format!("{} line {}: '{t}' is not a fold number", path.display(), i + 1) }),
        }
    }
    if ids.len() != rows {
        return Err(Failure { code: 1, message: format!("{} has {} fold ids; the data has {rows} rows (one id per data row, in row order)", path.display(), ids.len()) });
    }
    Folds::from_ids(&ids).map_err(|m| Failure { code: 1, message: m })
}

fn eval_cmd(a: EvalArgs, quiet: bool) -> Result<(), Failure> {
    let s = setup(&a.model)?;
    let src = source(&a.data, s.link.as_ref(), quiet)?;
    let b = backend(a.model.run.device);
    let usable = src.usable()?;
    // Folds over the usable rows; a folds file indexes every data row of the file.
    let folds = match &a.folds {
        Some(path) => {
            let total = match &src {
                Source::Table { table, .. } => table.rows,
                Source::Points { data, .. } => data.len(),
            };
            let all = read_folds(path, total)?;
            let of_row: Vec<Option<usize>> = usable.rows.iter().map(|&r| all.of_row[r]).collect();
            Folds { of_row, count: all.count }
        }
        None => Folds::stratified(&usable.labels, usable.classes.len(), a.cv, s.seed).map_err(usage)?,
    };
    let c = usable.classes.len();
    let mut report = EvalReport {
        model: s.spec.name.into(),
        params: s.params.iter().map(|(k, v)| (k.to_string(), crate::params::ParamSpec::format(v))).collect(),
        data: src.name().into(),
        device: b.description.clone(),
        rows: usable.rows.len(),
        features: 0,
        classes: usable.classes.clone(),
        folds: folds.count,
        seed: s.seed,
        steps: s.steps,
        fold_accuracy: vec![],
        mean_accuracy: 0.0,
        std_accuracy: 0.0,
        fold_macro_f1: vec![],
        macro_f1: 0.0,
        fit_seconds: 0.0,
        predict_seconds: 0.0,
        fold_fit_seconds: vec![],
        fold_predict_seconds: vec![],
        train_rows_per_second: 0.0,
        rules: None,
        literals: None,
        peak_memory_bytes: None,
    };
    // Out-of-fold probabilities per usable row, for --predictions.
    let mut oof: Vec<Option<(usize, Vec<f32>)>> = if a.predictions.is_some() { vec![None; usable.rows.len()] } else { Vec::new() };
    let (mut program_sizes, mut trained_rows) = (Vec::new(), 0usize);
    if !a.json {
        println!("{} on {}, {} folds, seed {}, {} steps, {}", params_line(&s), src.name(), folds.count, s.seed, s.steps, b.description);
        println!("{:>5} {:>9} {:>8} {:>9} {:>9} {:>8} {:>10}", "fold", "train", "test", "accuracy", "macro-F1", "fit s", "predict s");
    }
    for f in 0..folds.count {
        let (train_idx, test_idx) = folds.split(f);
        if test_idx.is_empty() {
            eprintln!("note: fold {} has no usable rows to test; skipped", f + 1);
            continue;
        }
        let pick = |idx: &[usize]| idx.iter().map(|&i| usable.rows[i]).collect::<Vec<usize>>();
        let t0 = Instant::now();
        let (_, train_set, test_set) = src.datasets(&pick(&train_idx), &pick(&test_idx))?;
        report.features = train_set.dim;
        let n_train = train_set.len();
        let pb = bar(s.steps as u64, &format!("fold {}/{}", f + 1, folds.count), quiet, false);
        let data = TrainData::from_owned(train_set, &b.device)?;
        let model = train(&s, data, &pb)?;
        pb.finish_and_clear();
        let fit_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let probs = predict(model.as_ref(), test_set.x, test_set.dim, &b)?;
        let predict_s = t1.elapsed().as_secs_f64();
        let pred = argmax_rows(&probs, c);
        let (acc, f1) = (accuracy(&pred, &test_set.y).unwrap_or(0.0), eval::macro_f1(&pred, &test_set.y, c));
        if let Some(p) = model.program() {
            program_sizes.push((p.rules as f64, p.literals as f64));
        }
        if !oof.is_empty() {
            for (k, &i) in test_idx.iter().enumerate() {
                oof[i] = Some((f, probs[k * c..(k + 1) * c].to_vec()));
            }
        }
        trained_rows += n_train;
        if !a.json {
            println!("{:>5} {:>9} {:>8} {:>9.4} {:>9.4} {:>8.3} {:>10.3}", f + 1, n_train, test_idx.len(), acc, f1, fit_s, predict_s);
        }
        report.fold_accuracy.push(acc);
        report.fold_macro_f1.push(f1);
        report.fold_fit_seconds.push(fit_s);
        report.fold_predict_seconds.push(predict_s);
    }
    let (acc, acc_sd) = eval::mean_std(&report.fold_accuracy);
    let (f1, f1_sd) = eval::mean_std(&report.fold_macro_f1);
    report.mean_accuracy = acc;
    report.std_accuracy = acc_sd;
    report.macro_f1 = f1;
    report.fit_seconds = eval::mean_std(&report.fold_fit_seconds).0;
    report.predict_seconds = eval::mean_std(&report.fold_predict_seconds).0;
    report.train_rows_per_second = trained_rows as f64 / report.fold_fit_seconds.iter().sum::<f64>().max(1e-9);
    if !program_sizes.is_empty() {
        let n = program_sizes.len() as f64;
        report.rules = Some(program_sizes.iter().map(|p| p.0).sum::<f64>() / n);
        report.literals = Some(program_sizes.iter().map(|p| p.1).sum::<f64>() / n);
    }
    report.peak_memory_bytes = peak_memory();
    if let Some(path) = &a.predictions {
        write_predictions(path, &usable, &oof, c)?;
    }
    if a.json {
        println!("{}", serde_json::to_string(&report).expect("a report always serialises"));
    } else {
        println!("{:>5} {:>9} {:>8} {:>9.4} {:>9.4} {:>8.3} {:>10.3}", "mean", "", "", acc, f1, report.fit_seconds, report.predict_seconds);
        println!("{:>5} {:>9} {:>8} {:>9.4} {:>9.4}", "sd", "", "", acc_sd, f1_sd);
        if let (Some(r), Some(l)) = (report.rules, report.literals) {
            println!("rules {r:.1}, literals {l:.1} (mean over folds)");
        }
        let mem = report.peak_memory_bytes.map(|m| format!(", peak memory {:.0} MB", m as f64 / 1e6)).unwrap_or_default();
        println!("{} rows, {} features, {} classes; trained {:.0} rows/s{mem}", report.rows, report.features, c, report.train_rows_per_second);
    }
    Ok(())
}

/// `row,fold,label,predicted,p(class)...` for each usable row, in row order.
fn write_predictions(path: &Path, usable: &Usable, oof: &[Option<(usize, Vec<f32>)>], c: usize) -> Result<(), Failure> {
    let mut w = csv::Writer::from_path(path).map_err(|e| Failure { code: 1, message: format!("{}: {e}", path.display()) })?;
    let mut header = vec!["row".to_string(), "fold".into(), "label".into(), "predicted".into()];
    header.extend(usable.classes.iter().map(|k| format!("p({k})")));
    let fail = |e: csv::Error| Failure { code: 1, message: format!("{}: {e}", path.display()) };
    w.write_record(&header).map_err(fail)?;
    for (i, entry) in oof.iter().enumerate() {
        let Some((fold, probs)) = entry else { continue };
        let mut rec = vec![(usable.rows[i] + 1).to_string(), (fold + 1).to_string(), usable.classes[usable.labels[i] as usize].clone()];
        rec.push(usable.classes[crate::viz::argmax(probs) as usize].clone());
        rec.extend(probs.iter().take(c).map(|p| p.to_string()));
        w.write_record(&rec).map_err(fail)?;
    }
    w.flush().map_err(|e| io_failure(path, e))
}

// ---------------------------------------------------------------- fit, rules, predict

fn fit_cmd(a: FitArgs, rules: bool, quiet: bool) -> Result<(), Failure> {
    let s = setup(&a.model)?;
    if !rules && a.out.is_none() {
        return Err(usage("fit needs --out FILE.json, the model file to write"));
    }
    if rules && s.spec.family != classifiers::Family::RuleBased {
        return Err(not_a_rule_learner(s.spec));
    }
    let src = source(&a.data, s.link.as_ref(), quiet)?;
    let b = backend(a.model.run.device);
    let usable = src.usable()?;
    let t0 = Instant::now();
    let (encoding, train_set, _) = src.datasets(&usable.rows, &[])?;
    let (classes, features, n) = (train_set.class_names.clone(), train_set.feature_names.clone(), train_set.len());
    let pb = bar(s.steps as u64, "training", quiet, false);
    let data = TrainData::from_owned(train_set, &b.device)?;
    let model = train(&s, data, &pb)?;
    pb.finish_and_clear();
    if rules {
        let program = model.program().ok_or_else(|| not_a_rule_learner(s.spec))?;
        println!("{}", program.text.trim_end());
        eprintln!("{} rules, {} literals", program.rules, program.literals);
    }
    if let Some(out) = &a.out {
        let state = ModelState::read(model.as_ref())?;
        let file = ModelFile::new(s.spec, &s.params, s.seed, s.steps, encoding, classes, features, state);
        std::fs::write(out, file.to_json()).map_err(|e| io_failure(out, e))?;
        eprintln!("trained {} on {n} rows in {:.2} s ({}); wrote {}", params_line(&s), t0.elapsed().as_secs_f64(), b.description, out.display());
    }
    Ok(())
}

fn not_a_rule_learner(spec: &ModelSpec) -> Failure {
    let learners: Vec<&str> = classifiers::REGISTRY.iter().filter(|m| m.family == classifiers::Family::RuleBased).map(|m| m.name).collect();
    let known = if learners.is_empty() { "none in this build yet".to_string() } else { learners.join(", ") };
    usage(format!("'{}' is not a rule learner: it has no program to print. Rule learners: {known}.", spec.name))
}

fn predict_cmd(a: PredictArgs, quiet: bool) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&a.model).map_err(|e| io_failure(&a.model, e))?;
    let file = ModelFile::from_json(&text).map_err(|e| Failure { code: 1, message: format!("{}: {e}", a.model.display()) })?;
    let b = backend(a.run.device);
    let model = file.restore(&b.device)?;
    let (table, _) = read_table(&a.data, quiet, false)?;
    let rows: Vec<usize> = (0..table.rows).collect();
    let (x, labels) = match &file.encoding {
        Some(enc) => {
            let (x, imputed) = enc.features(&table, &rows)?;
            if imputed > 0 {
                eprintln!("note: {imputed} missing cell(s) were filled with the training data's median / most frequent value");
            }
            (x, enc.labels(&table, &rows))
        }
        // A model trained on numbers (a toy dataset): the columns named like its features.
        None => {
            let cols = file.features.iter().map(|f| column(&table, f)).collect::<Result<Vec<_>, _>>()?;
            let mut x = Vec::with_capacity(rows.len() * cols.len());
            for &r in &rows {
                for &c in &cols {
                    let v = table.columns[c].value(r).ok_or_else(|| Failure { code: 1, message: format!("Row {} has no number in column '{}'.", r + 1, table.columns[c].name) })?;
                    x.push(v as f32);
                }
            }
            (x, None)
        }
    };
    let c = file.classes.len();
    let probs = predict(model.as_ref(), x, file.features.len(), &b)?;
    if probs.len() != rows.len() * c {
        return Err(Failure { code: 1, message: "the model's output does not match its classes".into() });
    }
    let pred = argmax_rows(&probs, c);
    let sink: Box<dyn Write> = match &a.out {
        Some(p) => Box::new(std::fs::File::create(p).map_err(|e| io_failure(p, e))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(sink);
    let fail = |e: csv::Error| Failure { code: 1, message: format!("writing predictions: {e}") };
    let mut header = vec!["row".to_string(), "predicted".into()];
    header.extend(file.classes.iter().map(|k| format!("p({k})")));
    w.write_record(&header).map_err(fail)?;
    for (r, p) in pred.iter().enumerate() {
        let mut rec = vec![(r + 1).to_string(), file.classes[*p as usize].clone()];
        rec.extend(probs[r * c..(r + 1) * c].iter().map(|v| v.to_string()));
        w.write_record(&rec).map_err(fail)?;
    }
    w.flush().map_err(|e| Failure { code: 1, message: format!("writing predictions: {e}") })?;
    if let Some(labels) = labels {
        let known: Vec<(u32, u32)> = pred.iter().zip(&labels).filter_map(|(&p, l)| l.map(|l| (p, l))).collect();
        if !known.is_empty() {
            let (p, t): (Vec<u32>, Vec<u32>) = known.into_iter().unzip();
            eprintln!("accuracy on the {} labelled rows: {:.4}", t.len(), accuracy(&p, &t).unwrap_or(0.0));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- models

fn models_cmd(json: bool) -> Result<(), Failure> {
    if json {
        let list: Vec<serde_json::Value> = classifiers::REGISTRY
            .iter()
            .map(|m| {
                serde_json::json!({
                    "name": m.name,
                    "label": m.label,
                    "family": m.family.label(),
                    "default_steps": m.default_steps,
                    "params": m.params.iter().map(|p| serde_json::json!({
                        "key": p.key, "label": p.label, "default": crate::params::ParamSpec::format(&p.default_value()), "doc": p.doc,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return Ok(());
    }
    for m in classifiers::REGISTRY {
        println!("{:<8} {} ({}; {} steps by default)", m.name, m.label, m.family.label(), m.default_steps);
        for p in m.params {
            println!("    {:<8} default {:<10} {}", p.key, crate::params::ParamSpec::format(&p.default_value()), p.doc);
        }
    }
    Ok(())
}
