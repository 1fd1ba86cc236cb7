//! One trait for every classifier, and the registry that lists them.
//!
//! Adding a classifier is one file (or folder) here plus one line in [`REGISTRY`]; it then appears
//! in the page's model menu (its controls drawn from its [`ParamSpec`]s), in the share link, in the
//! registry-wide tests and in the benchmark. The view never names a classifier.

pub mod cbc;
pub mod fold;
pub mod gaussian_nb;
pub mod knn;
pub mod logistic;
pub mod mlp;
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

    /// Extra things to draw on the view (prototypes, rules, arrows...). Coordinates are in input
    /// space and may stay on the device; the driver reads them back with the predictions.
    fn overlays(&self) -> Vec<Overlay> {
        Vec::new()
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
    /// (lower corner, upper corner) rows for boxes.
    pub coords: OverlayCoords,
    /// Class of each row (colour), if any.
    pub classes: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlayKind {
    Markers,
    Arrows,
    Boxes,
    /// Boxes drawn hatched: regions carved out of another (a rule's exceptions).
    HatchedBoxes,
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
}

impl Family {
    pub fn label(self) -> &'static str {
        match self {
            Family::NeuralNetwork => "neural network",
            Family::Linear => "linear model",
            Family::InstanceBased => "instance-based",
            Family::Probabilistic => "probabilistic",
            Family::RuleBased => "rule learner",
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
];

pub fn find(name: &str) -> Option<&'static ModelSpec> {
    REGISTRY.iter().copied().find(|m| m.name == name)
}
