//! One trait for every classifier, and the registry that lists them.
//!
//! Adding a classifier is one file (or folder) here plus one line in [`REGISTRY`]; it then appears
//! in the page's model menu (its controls drawn from its [`ParamSpec`]s), in the share link, in the
//! registry-wide tests and in the benchmark. The view never names a classifier.

pub mod cbc;
pub mod encoder;
pub mod fold;
pub mod gaussian_nb;
pub mod knn;
pub mod logistic;
pub mod mlp;
pub mod ntk;
pub mod st_protopnet;
pub mod teen;
mod net;

use crate::data::Dataset;
use crate::error::LabError;
use crate::params::{ParamSpec, Params};
use burn::tensor::{Device, Tensor, TensorData};

/// What one bounded unit of work reports back. Nothing here forces a device read-back: the
/// driver decides when to read `loss`.
pub struct StepOutput {
    /// The training objective at this step, a one-element tensor on the device, if the model has one.
    pub loss: Option<Tensor<1>>,
    /// The model has nothing more to learn (closed-form and lazy learners finish in one step).
    pub converged: bool,
}

/// A trainable classifier living on one device.
///
/// The driver calls [`Classifier::step`] repeatedly inside an animation-frame budget, so a step
/// must be a bounded amount of work (one minibatch update, one rule, one EM iteration, ...).
pub trait Classifier {
    /// One bounded unit of training work.
    fn step(&mut self) -> Result<StepOutput, LabError>;

    /// Class probabilities for a batch of points: `x` is `[n, dim]`, the result `[n, n_classes]`,
    /// rows summing to 1, computed on the device without reading back.
    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2>;

    /// Extra things to draw on the view (prototypes, rules, arrows, per-point circles...).
    /// Coordinates are in input space and may stay on the device; the driver reads them back
    /// with the predictions. `eval` are the shown points, for overlays about them.
    fn overlays(&self, _eval: &EvalPoints) -> Vec<Overlay> {
        Vec::new()
    }

    /// Small figures beside the view (a reasoning table, a histogram, a feature-space panel, a
    /// session timeline), read back in the same transaction as the predictions.
    fn figures(&self, _eval: &EvalPoints) -> Vec<Figure> {
        Vec::new()
    }

    /// Moves point `index` of the draggable overlay `overlay` to input-space position `to`
    /// (`[dim]`), changing the model without retraining: the next prediction is the moved
    /// model's. An error for overlays that cannot move.
    fn drag(&mut self, overlay: &str, _index: usize, _to: &[f32]) -> Result<(), LabError> {
        Err(LabError::InvalidParam(format!("'{overlay}' cannot be moved")))
    }

    /// Class scores whose argmax is the prediction, differentiable in `x` (`[n, dim]`, which may
    /// carry autodiff; the model's own weights enter as constants), for gradient-based
    /// adversarial search. None for models without input gradients (trees of rules, neighbours).
    fn scores(&self, _x: Tensor<2>) -> Option<Tensor<2>> {
        None
    }

    /// Applies parameters that need no retraining (a calibration weight, which branch to show).
    /// Returns false when any other parameter changed, so the caller retrains.
    fn tune(&mut self, _params: &Params) -> bool {
        false
    }

    /// The numbers that make up the trained model, by name; with the registry name and the
    /// parameters, [`ModelSpec::restore`] rebuilds it from them (model files, exports). Device
    /// tensors: the caller reads them back.
    fn state(&self) -> Vec<(String, Tensor<2>)>;

    /// A rule learner's learned program (None for every other classifier).
    fn program(&self) -> Option<Program> {
        None
    }

    /// Why one point (`[dim]` input features) gets its class, as lines of text (a rule learner's
    /// proof: which rule fired and which exceptions were checked); None where a model has no
    /// such account.
    fn explain(&self, _x: &[f32]) -> Option<String> {
        None
    }

    /// For a rule learner: the top-level rule that decides this point (`[dim]` input features).
    fn deciding_rule(&self, _x: &[f32]) -> Option<usize> {
        None
    }
}

/// A learned rule program as text, with its size.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub text: String,
    /// Clauses (top-level rules and exception rules).
    pub rules: usize,
    pub literals: usize,
    /// The text's lines, each with the top-level rule it belongs to.
    pub lines: Vec<ProgramLine>,
    /// Per top-level rule: training rows it decides (the first rule that covers them) and how
    /// many of those it gets right.
    pub coverage: Vec<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProgramLine {
    pub text: String,
    /// Index of the top-level rule whose clause or exception this line is.
    pub rule: usize,
    /// The top-level rule's own clause (not an exception).
    pub head: bool,
}

/// A trained model's numbers read back to the host, by name (a model file's `state`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelState {
    pub tensors: std::collections::BTreeMap<String, StateTensor>,
}

/// One row-major `[rows, cols]` tensor.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateTensor {
    pub shape: [usize; 2],
    pub data: Vec<f32>,
}

impl ModelState {
    /// The named tensor on `device`; an error (never a panic) for a missing name, a shape that
    /// does not match its data, or a non-finite value: model files come from users.
    pub fn tensor(&self, name: &str, device: &Device) -> Result<Tensor<2>, LabError> {
        let t = self.checked(name)?;
        Ok(Tensor::from_data(TensorData::new(t.data.clone(), t.shape), device))
    }

    /// The named tensor's host data, with the same checks as [`ModelState::tensor`], for state
    /// that is read on the host (a rule list's tables).
    pub fn checked(&self, name: &str) -> Result<&StateTensor, LabError> {
        let t = self.tensors.get(name).ok_or_else(|| LabError::Data(format!("the model file has no '{name}'")))?;
        if t.shape[0].checked_mul(t.shape[1]) != Some(t.data.len()) || t.data.is_empty() {
            return Err(LabError::Data(format!("'{name}' in the model file has {} values for shape {:?}", t.data.len(), t.shape)));
        }
        if t.data.iter().any(|v| !v.is_finite()) {
            return Err(LabError::Data(format!("'{name}' in the model file holds a non-finite number")));
        }
        Ok(t)
    }

    /// Reads a model's state back (native: blocking).
    #[cfg(not(target_family = "wasm"))]
    pub fn read(model: &dyn Classifier) -> Result<ModelState, LabError> {
        let (names, tx) = Self::plan(model);
        Self::finish(names, tx.try_execute().map_err(|e| LabError::Device(format!("{e:?}")))?)
    }

    /// Reads a model's state back in one async transaction (the page).
    pub async fn read_async(model: &dyn Classifier) -> Result<ModelState, LabError> {
        let (names, tx) = Self::plan(model);
        Self::finish(names, tx.execute_async().await.map_err(|e| LabError::Device(format!("{e:?}")))?)
    }

    /// Plans the read now and returns a future that holds no borrow of the model (the page reads a
    /// model that its training loop may step meanwhile).
    pub fn read_deferred(model: &dyn Classifier) -> impl std::future::Future<Output = Result<ModelState, LabError>> + 'static {
        let (names, tx) = Self::plan(model);
        async move { Self::finish(names, tx.execute_async().await.map_err(|e| LabError::Device(format!("{e:?}")))?) }
    }

    fn plan(model: &dyn Classifier) -> (Vec<(String, [usize; 2])>, burn::tensor::Transaction) {
        let mut tx = burn::tensor::Transaction::default();
        let mut names = Vec::new();
        for (name, t) in model.state() {
            names.push((name, t.dims()));
            tx = tx.register(t.without_autodiff());
        }
        (names, tx)
    }

    fn finish(names: Vec<(String, [usize; 2])>, data: Vec<TensorData>) -> Result<ModelState, LabError> {
        let mut tensors = std::collections::BTreeMap::new();
        for ((name, shape), d) in names.into_iter().zip(data) {
            let data = d.convert::<f32>().try_to_vec::<f32>().map_err(|e| LabError::Device(format!("{e:?}")))?;
            tensors.insert(name, StateTensor { shape, data });
        }
        Ok(ModelState { tensors })
    }
}

/// Extra geometry a classifier asks the view to draw; generic, so the view never special-cases
/// a classifier.
pub struct Overlay {
    pub label: String,
    pub kind: OverlayKind,
    /// `[m, dim]` points for markers; `[m, 2 * dim]` (from, to) rows for arrows and
    /// (lower corner, upper corner) rows for boxes; `[m, dim + 1]` (centre, radius) for circles.
    pub coords: OverlayCoords,
    /// Class of each row (colour), if any.
    pub classes: Vec<u32>,
    /// How markers look (kinds of prototypes must be told apart).
    pub marker: Marker,
    /// The user may drag these markers ([`Classifier::drag`] with this overlay's label).
    pub draggable: bool,
    /// Drawn only for the row nearest the pointer (per-point circles would hide the view).
    pub on_hover: bool,
}

impl Overlay {
    /// An overlay of `kind` with default look: diamonds, fixed, always drawn.
    pub fn new(label: &str, kind: OverlayKind, coords: OverlayCoords, classes: Vec<u32>) -> Overlay {
        Overlay { label: label.into(), kind, coords, classes, marker: Marker::Diamond, draggable: false, on_hover: false }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlayKind {
    Markers,
    Arrows,
    Boxes,
    /// Boxes drawn hatched: regions carved out of another (a rule's exceptions).
    HatchedBoxes,
    /// Circles of a given radius in input units (a component's reach, a certified radius).
    Circles,
}

/// Marker shapes, filled in the row's class colour unless hollow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Marker {
    #[default]
    Diamond,
    HollowDiamond,
    Star,
    Dot,
    Ring,
    /// A small dot (data points in a feature-space panel).
    Small,
}

/// The points a refresh predicts on: the training rows, then the test rows.
pub struct EvalPoints<'a> {
    /// `[n_train + n_test, dim]` on the model's device (no autodiff).
    pub x: Tensor<2>,
    /// Classes of the rows of `x`.
    pub labels: &'a [u32],
    pub n_train: usize,
}

impl EvalPoints<'_> {
    /// The test rows if there are any, else the training rows: `([m, dim], labels)`.
    pub fn held_out(&self) -> (Tensor<2>, &[u32]) {
        let n = self.labels.len();
        let dim = self.x.dims()[1];
        if n > self.n_train {
            (self.x.clone().slice([self.n_train..n, 0..dim]), &self.labels[self.n_train..])
        } else {
            (self.x.clone(), self.labels)
        }
    }
}

/// A figure beside the view: device tensors to read back, and how to turn them (as row-major
/// host vectors, in order) into something to draw.
pub struct Figure {
    pub title: String,
    pub tensors: Vec<Tensor<2>>,
    pub render: Box<dyn FnOnce(Vec<Vec<f32>>) -> FigureView>,
}

/// A figure ready to draw, host data only (pure; the view draws it, tests read it).
#[derive(Clone, Debug, PartialEq)]
pub enum FigureView {
    /// A table whose cells may be shaded: `green` and `red` in [0, 1] (a reasoning matrix).
    Table { header: Vec<String>, rows: Vec<Vec<Cell>>, note: String },
    /// Counts per bin between `edges` (`counts.len() + 1` edges), e.g. certified radii.
    Histogram { edges: Vec<f32>, counts: Vec<usize>, x_label: String, note: String },
    /// A 2-D scatter (a learnt feature space): points, markers and arrows in the panel's own
    /// coordinates; `unit_circle` draws the circle of radius 1 (cosine geometry).
    Scatter { points: Vec<ScatterPoint>, arrows: Vec<ScatterArrow>, unit_circle: bool, note: String },
    /// Curves over a shared x axis (an activation, a kernel profile, learning curves); `log_x`
    /// spaces x by its logarithm.
    Lines { series: Vec<Series>, x_label: String, y_label: String, log_x: bool, note: String },
    /// One bar per label (coefficients by degree).
    Bars { labels: Vec<String>, values: Vec<f32>, note: String },
}

/// One curve of a [`FigureView::Lines`].
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<[f32; 2]>,
    /// Class colour, or the ink colour when None.
    pub colour: Option<u32>,
    pub dashed: bool,
}

impl FigureView {
    /// A histogram of non-negative `values` in 12 equal bins from 0 to the largest.
    pub fn histogram(values: &[f32], x_label: &str, note: String) -> FigureView {
        let bins = 12;
        let top = values.iter().fold(0.0f32, |a, &b| a.max(b)).max(1e-6);
        let mut counts = vec![0usize; bins];
        for v in values {
            counts[((v / top * bins as f32) as usize).min(bins - 1)] += 1;
        }
        let edges = (0..=bins).map(|i| top * i as f32 / bins as f32).collect();
        FigureView::Histogram { edges, counts, x_label: x_label.into(), note }
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    pub green: f32,
    pub red: f32,
    /// Colour swatch of this class before the text.
    pub class: Option<u32>,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Cell {
        Cell { text: t.into(), ..Cell::default() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScatterPoint {
    pub x: f32,
    pub y: f32,
    pub class: u32,
    pub marker: Marker,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScatterArrow {
    pub from: [f32; 2],
    pub to: [f32; 2],
    /// Line width factor in [0, 1] (a calibration weight).
    pub weight: f32,
    pub class: u32,
}

pub enum OverlayCoords {
    Host(Vec<f32>),
    Device(Tensor<2>),
}

/// The training split on the device, with host copies for classifiers that work on the host.
pub struct TrainData {
    /// `[n, dim]`
    pub x: Tensor<2>,
    /// `[n, C]` one-hot labels, built on the host: burn's `one_hot` validates its input with a
    /// synchronous read-back, which panics in the browser.
    pub y_onehot: Tensor<2>,
    pub host: Dataset,
    pub device: Device,
}

impl TrainData {
    pub fn new(host: &Dataset, device: &Device) -> Result<Self, LabError> {
        Self::from_owned(host.clone(), device)
    }

    /// As [`TrainData::new`], keeping `host` without copying it (large tables).
    pub fn from_owned(host: Dataset, device: &Device) -> Result<Self, LabError> {
        if host.len() < 2 {
            return Err(LabError::Data("fewer than two training points".into()));
        }
        let present = host.class_counts().iter().filter(|&&c| c > 0).count();
        if present < 2 {
            return Err(LabError::Data(
                "the training set holds one class only; add points of another class".into(),
            ));
        }
        Ok(Self {
            x: points_tensor(&host.x, host.dim, device),
            y_onehot: Tensor::from_data(TensorData::new(one_hot(&host.y, host.n_classes), [host.len(), host.n_classes]), device),
            host,
            device: device.clone(),
        })
    }

    pub fn n(&self) -> usize {
        self.host.len()
    }
    pub fn dim(&self) -> usize {
        self.host.dim
    }
    pub fn n_classes(&self) -> usize {
        self.host.n_classes
    }
}

/// Row-major `[labels.len(), n_classes]` one-hot rows.
pub fn one_hot(labels: &[u32], n_classes: usize) -> Vec<f32> {
    let mut out = vec![0.0; labels.len() * n_classes];
    for (i, &c) in labels.iter().enumerate() {
        out[i * n_classes + c as usize] = 1.0;
    }
    out
}

/// Rows per inference block on a CPU device (see [`predict_chunked`]).
pub const CPU_INFER_ROWS: usize = 8192;

/// Class probabilities for `x` (`[n, dim]` -> `[n, n_classes]`), inferred `rows` rows at a time
/// when `rows` is set. On a CPU device a 256x256 grid through an MLP is memory-bound: a `[65536,
/// 32]` activation is 8 MB and falls out of cache, while 8192-row blocks stay in it (measured 2.5x
/// faster natively, see docs/performance.md). On a GPU every block adds dispatches, so the entry
/// point leaves it unset there.
pub fn predict_chunked(model: &dyn Classifier, x: Tensor<2>, rows: Option<usize>) -> Tensor<2> {
    let n = x.dims()[0];
    match rows {
        Some(r) if r > 0 && n > r => {
            let parts = (0..n).step_by(r).map(|s| model.predict_proba(x.clone().slice(s..(s + r).min(n)))).collect();
            Tensor::cat(parts, 0)
        }
        _ => model.predict_proba(x),
    }
}

/// Rows scaled to unit length (`[n, D]` -> `[n, D]`): cosine-based prototype layers.
pub fn unit_rows(p: Tensor<2>) -> Tensor<2> {
    let norm = p.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    p / norm
}

/// Helpers of the classifiers' unit tests (CPU device).
#[cfg(test)]
pub(crate) mod test_util {
    use burn::tensor::{Device, Tensor, TensorData};

    pub fn device() -> Device {
        Device::flex()
    }

    /// A row-major `shape` tensor on the CPU.
    pub fn t2(v: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(v, shape), &device())
    }

    pub fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 data")
    }
}

/// Uploads row-major points as a `[n, dim]` tensor.
pub fn points_tensor(x: &[f32], dim: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(x.to_vec(), [x.len() / dim.max(1), dim]), device)
}

/// How a classifier family is described in menus and in `models` listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    NeuralNetwork,
    Linear,
    InstanceBased,
    Probabilistic,
    /// Learns a readable program ([`Classifier::program`]).
    RuleBased,
    /// Learns its last classes from a few points each, after the others (class-incremental).
    FewShot,
    /// A kernel machine on the training points (the limits of wide networks).
    Kernel,
}

impl Family {
    pub fn label(self) -> &'static str {
        match self {
            Family::NeuralNetwork => "neural network",
            Family::Linear => "linear model",
            Family::InstanceBased => "instance-based",
            Family::Probabilistic => "probabilistic",
            Family::RuleBased => "rule learner",
            Family::FewShot => "few-shot incremental",
            Family::Kernel => "kernel machine",
        }
    }
}

/// Everything the page, the link and the tests need to know about a classifier: the
/// `XConfig -> X` pair of burn, as data.
pub struct ModelSpec {
    /// Name in links (`model=mlp`) and on the command line.
    pub name: &'static str,
    pub label: &'static str,
    pub family: Family,
    /// One or two sentences for the page.
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
    /// Training steps when the link gives none.
    pub default_steps: usize,
    /// Builds a fresh model on `data.device`; `seed` fixes initialisation and minibatch order.
    pub builder: fn(&Params, &TrainData, u64) -> Result<Box<dyn Classifier>, LabError>,
    /// Rebuilds a trained model from its [`Classifier::state`], for prediction.
    pub restore: fn(&Params, &ModelState, &Device) -> Result<Box<dyn Classifier>, LabError>,
}

/// Classifiers are identified by their registry name.
impl PartialEq for ModelSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl std::fmt::Debug for ModelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModelSpec({})", self.name)
    }
}

impl ModelSpec {
    pub fn param(&self, key: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.key == key)
    }

    /// Every parameter of this classifier is present and valid.
    fn validate(&self, params: &Params) -> Result<(), LabError> {
        for spec in self.params {
            match params.get(spec.key) {
                Some(v) => spec.validate(v).map_err(LabError::InvalidParam)?,
                None => return Err(LabError::InvalidParam(format!("{} is missing", spec.key))),
            }
        }
        Ok(())
    }

    /// Validates `params` against this spec, then builds.
    pub fn build(&self, params: &Params, data: &TrainData, seed: u64) -> Result<Box<dyn Classifier>, LabError> {
        self.validate(params)?;
        (self.builder)(params, data, seed)
    }

    /// Validates `params`, then rebuilds a trained model from `state` on `device`.
    pub fn restore(&self, params: &Params, state: &ModelState, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
        self.validate(params)?;
        (self.restore)(params, state, device)
    }
}

/// Every classifier of the playground. One line per classifier.
pub static REGISTRY: &[&ModelSpec] = &[
    &mlp::SPEC,
    &logistic::SPEC,
    &knn::SPEC,
    &gaussian_nb::SPEC,
    &fold::SPEC,
    &cbc::SPEC,
    &st_protopnet::SPEC,
    &teen::SPEC,
    &ntk::SPEC,
];

pub fn find(name: &str) -> Option<&'static ModelSpec> {
    REGISTRY.iter().copied().find(|m| m.name == name)
}

/// A learnt feature space as a scatter: the first two principal components of the data
/// features (`[n, d]`, subsampled to 400 rows), with `prototypes` (`[P, d]`, one class and
/// marker each) and `arrows` (`(from, to, weight, class)` in feature space) projected onto them.
pub fn feature_scatter(features: &[f32], labels: &[u32], d: usize, prototypes: &[(&[f32], u32, Marker)], arrows: &[(&[f32], &[f32], f32, u32)], note: String) -> FigureView {
    let n = labels.len().min(features.len() / d.max(1));
    let stride = n.div_ceil(400).max(1);
    let rows: Vec<usize> = (0..n).step_by(stride).collect();
    let sample = Dataset {
        dim: d,
        x: rows.iter().flat_map(|&i| features[i * d..(i + 1) * d].iter().copied()).collect(),
        y: rows.iter().map(|&i| labels[i]).collect(),
        n_classes: 1,
        class_names: Vec::new(),
        feature_names: Vec::new(),
        sources: Vec::new(),
    };
    let plane = crate::data::plane::Plane::pca(&sample);
    let at = |v: &[f32]| plane.project(v);
    let mut points: Vec<ScatterPoint> = (0..sample.len())
        .map(|i| {
            let (x, y) = at(sample.row(i));
            ScatterPoint { x, y, class: sample.y[i], marker: Marker::Small }
        })
        .collect();
    points.extend(prototypes.iter().map(|(v, class, marker)| {
        let (x, y) = at(v);
        ScatterPoint { x, y, class: *class, marker: *marker }
    }));
    let arrows = arrows
        .iter()
        .map(|(a, b, w, class)| {
            let (pa, pb) = (at(a), at(b));
            ScatterArrow { from: [pa.0, pa.1], to: [pb.0, pb.1], weight: *w, class: *class }
        })
        .collect();
    FigureView::Scatter { points, arrows, unit_circle: false, note }
}
