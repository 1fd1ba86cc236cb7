//! TEEN (`shared/specs/teen.md`): few-shot class-incremental learning with training-free
//! prototype calibration. An encoder with a cosine head is trained on the base classes; then the
//! classifier becomes one prototype per class (base: the mean feature of its training points;
//! novel: the mean of its K shots), and every novel prototype is mixed with the
//! similarity-weighted mean of the base prototypes, with no gradient.
//!
//! Parameterisation as in the official code: `alpha` weighs the base-derived term,
//! `p_hat = (1 - alpha) p_bar + alpha delta_bar`.
//!
//! In the playground the last classes of the data are the novel ones (`novel`, at most half the
//! classes; the annulus-sectors toy puts them between base sectors), added `ways` per session from
//! `shots` training points each, drawn by seed; their other training points are never used. The
//! spec's toy schedule: encoder `in -> 64 -> 64 -> 16` with the final ReLU, cosine head with scale
//! 16, SGD lr 0.1 (momentum 0.9, weight decay 5e-4, cosine schedule), 3000 steps of 256. Choices
//! of ours: the last step's encoder is kept (the paper keeps the best base test checkpoint, which
//! would use the test set); momentum without dampening, as PyTorch's.

use super::encoder::{Batches, Layers};
use super::unit_rows as normalise;
use super::{Cell, Classifier, EvalPoints, Family, Figure, FigureView, Marker, ModelSpec, ModelState, Overlay, OverlayCoords, OverlayKind, StepOutput, TrainData};
use crate::error::LabError;
use crate::params::{ParamKind, ParamSpec, Params};
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Tensor, TensorData};

/// Calibrated novel prototypes: `novel` `[N, D]` (means of the K shots), `base` `[B, D]` ->
/// `[N, D]`. `a_nb = softmax_b(tau cos(p_n, p_b))` over base classes only,
/// `delta_n = normalise(sum_b a_nb p_bar_b)`, `p_hat_n = (1 - alpha) p_bar_n + alpha delta_n`.
pub fn calibrate(novel: Tensor<2>, base: Tensor<2>, alpha: f64, tau: f64) -> Tensor<2> {
    let (pn, pb) = (normalise(novel), normalise(base));
    let weights = softmax(pn.clone().matmul(pb.clone().transpose()).mul_scalar(tau), 1); // [N, B]
    let delta = normalise(weights.matmul(pb)); // [N, D]
    pn.mul_scalar(1.0 - alpha) + delta.mul_scalar(alpha)
}

/// The calibration weights `a_nb` (`[N, B]`), for the view's arrows.
pub fn weights(novel: Tensor<2>, base: Tensor<2>, tau: f64) -> Tensor<2> {
    softmax(normalise(novel).matmul(normalise(base).transpose()).mul_scalar(tau), 1)
}

/// Cosine logits `s cos(f, q_c)`: features `[n, D]`, prototypes `[C, D]` -> `[n, C]`.
pub fn cosine_logits(features: Tensor<2>, prototypes: Tensor<2>, scale: f64) -> Tensor<2> {
    normalise(features).matmul(normalise(prototypes).transpose()).mul_scalar(scale)
}


/// Encoder widths after the input (the spec's `in -> 64 -> 64 -> 16`, ReLU after each).
pub const ENCODER: [usize; 3] = [64, 64, 16];
/// Cosine scale `s` of the logits (CIFAR's and the toy's 16).
pub const SCALE: f64 = 16.0;
pub const BASE_STEPS: usize = 3000;
pub const BATCH: usize = 256;

const NOVEL: ParamSpec = ParamSpec {
    key: "novel",
    label: "Novel classes",
    doc: "The last this many classes (at most half of them) arrive after base training, a few shots each.",
    kind: ParamKind::Int { min: 1, max: 6, default: 4 },
};
const WAYS: ParamSpec = ParamSpec { key: "ways", label: "Classes per session", doc: "Novel classes added per incremental session.", kind: ParamKind::Int { min: 1, max: 6, default: 2 } };
const SHOTS: ParamSpec = ParamSpec { key: "shots", label: "Shots", doc: "Training points per novel class (K); the others are never used.", kind: ParamKind::Int { min: 1, max: 50, default: 5 } };
const ALPHA: ParamSpec = ParamSpec {
    key: "alpha",
    label: "Shift weight alpha",
    doc: "How far each novel prototype moves toward the base prototypes it resembles (0: plain few-shot means; 0.1 is the paper's CIFAR-100 setting, 0.5 its CUB and miniImageNet one). Training-free: changes at once.",
    kind: ParamKind::Float { min: 0.0, max: 1.0, default: 0.1, log: false },
};
const TAU: ParamSpec = ParamSpec {
    key: "tau",
    label: "Temperature tau",
    doc: "Sharpness of the similarity weights over base prototypes (0: all alike; large: only the nearest). Training-free: changes at once.",
    kind: ParamKind::Float { min: 0.0, max: 64.0, default: 16.0, log: false },
};

pub static SPEC: ModelSpec = ModelSpec {
    name: "teen",
    label: "TEEN (few-shot incremental prototypes)",
    family: Family::FewShot,
    summary: "Few-shot class-incremental learning: an encoder is trained on the base classes, then the last classes \
              arrive in sessions with a few shots each (ringed). Novel prototypes from few shots are poor, so their points \
              are mostly taken for base classes; TEEN shifts each novel prototype toward the base prototypes it resembles, \
              without training (alpha, tau change at once). Try the annulus-sectors data. One step is one SGD minibatch \
              of the base session; the last step builds the prototypes.",
    params: &[NOVEL, WAYS, SHOTS, ALPHA, TAU],
    default_steps: BASE_STEPS + 1,
    builder: build,
    restore,
};

#[derive(Module, Debug)]
pub struct TeenNet {
    pub encoder: Layers,
    /// `[B, 16]` cosine-head weights of the base classes.
    pub head: Param<Tensor<2>>,
}

impl TeenNet {
    /// `[n, dim]` -> `[n, 16]` non-negative features.
    pub fn features(&self, x: Tensor<2>) -> Tensor<2> {
        self.encoder.forward(x, true)
    }
}

struct Trainer {
    /// Base-class training rows `[nb, dim]` and their one-hot labels `[nb, B]`.
    x: Tensor<2>,
    onehot: Tensor<2>,
    batches: Batches,
    optim: ModuleOptimizer,
    step: usize,
}

/// The prototype classifier after base training.
#[derive(Clone)]
pub struct Prototypes {
    /// `[B, 16]` class means of the base training features.
    pub base: Tensor<2>,
    /// `[N, 16]` means of each novel class's shot features.
    pub novel: Tensor<2>,
}

pub struct Teen {
    pub net: TeenNet,
    trainer: Option<Trainer>,
    n_classes: usize,
    base: usize,
    ways: usize,
    alpha: f64,
    tau: f64,
    /// Row-major `[N * K, dim]` shot positions (class `base + i / K`), movable by drag.
    shots: Vec<f32>,
    shots_per: usize,
    dim: usize,
    pub prototypes: Option<Prototypes>,
    /// During base training: the current encoder's prototypes and the step they are from, so one
    /// read (predictions, figures, adversarial scores) builds them once.
    cache: std::cell::RefCell<Option<(usize, Prototypes)>>,
}

/// Novel classes actually used: at most half the classes, so a base session remains.
pub fn novel_count(params: &Params, n_classes: usize) -> usize {
    params.usize("novel").min(n_classes / 2).max(1)
}

fn build(params: &Params, data: &TrainData, seed: u64) -> Result<Box<dyn Classifier>, LabError> {
    Ok(Box::new(Teen::new(params, data, seed)?))
}

impl Teen {
    /// A fresh model on `data.device` (an autodiff device), as the registry builds it.
    pub fn new(params: &Params, data: &TrainData, seed: u64) -> Result<Teen, LabError> {
        let (c, host) = (data.n_classes(), &data.host);
        let novel = novel_count(params, c);
        let base = c - novel;
        let k = params.usize("shots");
        let dim = host.dim;
        let mut rng = Rng::derive(seed, 0x7EE4);
        let mut shots = Vec::new();
        for class in base..c {
            let mut rows: Vec<usize> = (0..host.len()).filter(|&i| host.y[i] as usize == class).collect();
            if rows.len() < k {
                return Err(LabError::Data(format!("novel class '{}' has {} training points; TEEN takes {k} shots", host.class_names.get(class).cloned().unwrap_or_default(), rows.len())));
            }
            rng.shuffle(&mut rows);
            for &i in &rows[..k] {
                shots.extend_from_slice(host.row(i));
            }
        }
        let base_rows: Vec<usize> = (0..host.len()).filter(|&i| (host.y[i] as usize) < base).collect();
        if base_rows.is_empty() {
            return Err(LabError::Data("TEEN needs training points of the base classes".into()));
        }
        let dev = &data.device;
        let idx: Vec<i64> = base_rows.iter().map(|&i| i as i64).collect();
        let idx = Tensor::<1, burn::tensor::Int>::from_data(TensorData::new(idx, [base_rows.len()]), dev);
        let y: Vec<u32> = base_rows.iter().map(|&i| host.y[i]).collect();
        let onehot = Tensor::from_data(TensorData::new(super::one_hot(&y, base), [y.len(), base]), dev);
        let mut widths = vec![dim];
        widths.extend(ENCODER);
        let b = (6.0 / ENCODER[2] as f64).sqrt();
        let head: Vec<f32> = (0..base * ENCODER[2]).map(|_| rng.range(-b, b) as f32).collect();
        let net = TeenNet { encoder: Layers::new(&widths, seed, dev), head: Param::from_tensor(Tensor::from_data(TensorData::new(head, [base, ENCODER[2]]), dev)) };
        let momentum = MomentumConfig { momentum: 0.9, dampening: 0.0, nesterov: false };
        let optim = SgdConfig::new().with_momentum(Some(momentum)).with_weight_decay(Some(WeightDecayConfig::new(5e-4))).init();
        let trainer = Trainer { x: data.x.clone().select(0, idx), onehot, batches: Batches::new(base_rows.len(), seed), optim, step: 0 };
        Ok(Teen { net, trainer: Some(trainer), n_classes: c, base, ways: params.usize("ways"), alpha: params.f64("alpha"), tau: params.f64("tau"), shots, shots_per: k, dim, prototypes: None, cache: Default::default() })
    }

    /// Base prototypes (class means of the base training features) and novel ones (shot means).
    fn build_prototypes(&self) -> Option<Prototypes> {
        let t = self.trainer.as_ref()?;
        let net = self.net.valid();
        let f = net.features(t.x.clone().without_autodiff()); // [nb, 16]
        let onehot = t.onehot.clone().without_autodiff(); // [nb, B]
        let counts = onehot.clone().sum_dim(0).transpose().clamp_min(1.0); // [B, 1]
        let device = f.device();
        let base = onehot.transpose().matmul(f) / counts;
        Some(Prototypes { base, novel: self.novel_means(&net, &device) })
    }

    /// `[N, 16]` means of each novel class's shot features.
    fn novel_means(&self, net: &TeenNet, device: &Device) -> Tensor<2> {
        let (n, k) = (self.n_classes - self.base, self.shots_per);
        let shots = Tensor::<2>::from_data(TensorData::new(self.shots.clone(), [n * k, self.dim]), device);
        net.features(shots).reshape([n, k, ENCODER[2]]).mean_dim(1).reshape([n, ENCODER[2]])
    }

    /// The prototypes: fixed once base training is over, else those of the current encoder.
    pub fn current(&self) -> Option<Prototypes> {
        if let Some(p) = &self.prototypes {
            return Some(p.clone());
        }
        let step = self.trainer.as_ref()?.step;
        if let Some((at, p)) = self.cache.borrow().as_ref()
            && *at == step
        {
            return Some(p.clone());
        }
        let p = self.build_prototypes()?;
        *self.cache.borrow_mut() = Some((step, p.clone()));
        Some(p)
    }

    /// All class prototypes `[C, 16]` with the novel ones calibrated by `alpha`, `tau`.
    pub fn classifier(&self, p: &Prototypes, alpha: f64) -> Tensor<2> {
        Tensor::cat(vec![normalise(p.base.clone()), calibrate(p.novel.clone(), p.base.clone(), alpha, self.tau)], 0)
    }
}

fn restore(params: &Params, state: &ModelState, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
    let w0 = state.checked("encoder0.weight")?;
    let dim = w0.shape[0];
    let mut widths = vec![dim];
    widths.extend(ENCODER);
    let encoder = Layers::restore("encoder", &widths, state, device)?;
    let head = state.tensor("head", device)?;
    let novel = state.tensor("novel_prototypes", device)?;
    let base = state.tensor("base_prototypes", device)?;
    let (b, n) = (base.dims()[0], novel.dims()[0]);
    if head.dims() != [b, ENCODER[2]] || base.dims()[1] != ENCODER[2] || novel.dims()[1] != ENCODER[2] {
        return Err(LabError::Data("the saved head and prototypes do not fit a 16-feature encoder".into()));
    }
    // A model saved mid-training holds the prototypes of its encoder at that step, which is what
    // it predicted with: restored, it predicts with them too.
    state.checked("finished")?;
    Ok(Box::new(Teen {
        net: TeenNet { encoder, head: Param::from_tensor(head) },
        trainer: None,
        n_classes: b + n,
        base: b,
        ways: params.usize("ways"),
        alpha: params.f64("alpha"),
        tau: params.f64("tau"),
        shots: Vec::new(),
        shots_per: 0,
        dim,
        prototypes: Some(Prototypes { base, novel }),
        cache: Default::default(),
    }))
}

impl Classifier for Teen {
    /// One SGD minibatch of the base session with the cosine learning-rate schedule; the step
    /// after the last builds the prototypes (base means, novel shot means).
    fn step(&mut self) -> Result<StepOutput, LabError> {
        let Some(t) = self.trainer.as_mut() else { return Ok(StepOutput { loss: None, converged: true }) };
        if self.prototypes.is_some() {
            return Ok(StepOutput { loss: None, converged: true });
        }
        if t.step >= BASE_STEPS {
            self.prototypes = self.build_prototypes();
            return Ok(StepOutput { loss: None, converged: true });
        }
        let lr = 0.1 * 0.5 * (1.0 + (std::f64::consts::PI * t.step as f64 / BASE_STEPS as f64).cos());
        t.step += 1;
        let (x, y) = match t.batches.next_tensor(BATCH, &t.x.device()) {
            None => (t.x.clone(), t.onehot.clone()),
            Some(idx) => (t.x.clone().select(0, idx.clone()), t.onehot.clone().select(0, idx)),
        };
        let n = y.dims()[0];
        let logits = cosine_logits(self.net.features(x), self.net.head.val(), SCALE);
        let loss = (log_softmax(logits, 1) * y).sum().div_scalar(n as f64).neg();
        let grads = GradientsParams::from_grads(loss.backward(), &self.net);
        self.net = t.optim.step(lr, self.net.clone(), grads);
        Ok(StepOutput { loss: Some(loss.detach().without_autodiff()), converged: false })
    }

    /// Cosine scores against every class prototype (novel ones calibrated). During base training
    /// the prototypes are those of the current encoder: the view shows the incremental classifier
    /// base training would leave if it stopped now.
    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2> {
        let net = self.net.valid();
        let f = net.features(x.without_autodiff());
        match &self.current() {
            Some(p) => softmax(cosine_logits(f, self.classifier(p, self.alpha), SCALE), 1),
            None => {
                let n = f.dims()[0];
                let base = softmax(cosine_logits(f.clone(), net.head.val(), SCALE), 1);
                Tensor::cat(vec![base, Tensor::zeros([n, self.n_classes - self.base], &f.device())], 1)
            }
        }
    }

    /// The cosine logits against every class prototype.
    fn scores(&self, x: Tensor<2>) -> Option<Tensor<2>> {
        let p = self.current()?;
        Some(cosine_logits(self.net.valid().features(x), self.classifier(&p, self.alpha), SCALE))
    }

    /// The novel classes' shots, ringed and draggable (a prototype is their mean feature).
    fn overlays(&self, _eval: &EvalPoints) -> Vec<Overlay> {
        if self.shots.is_empty() {
            return Vec::new();
        }
        let classes = (0..self.shots.len() / self.dim).map(|i| (self.base + i / self.shots_per) as u32).collect();
        vec![Overlay { marker: Marker::Ring, draggable: true, ..Overlay::new("shots", OverlayKind::Markers, OverlayCoords::Host(self.shots.clone()), classes) }]
    }

    /// The feature space (base prototypes, novel few-shot prototypes and their calibrated
    /// versions, arrows weighted by the calibration weights) and the session timeline.
    fn figures(&self, eval: &EvalPoints) -> Vec<Figure> {
        let net = self.net.valid();
        let Some(p) = &self.current() else {
            let labels = eval.labels.to_vec();
            return vec![Figure {
                title: "Feature space".into(),
                tensors: vec![normalise(net.features(eval.x.clone())), normalise(net.head.val())],
                render: Box::new(move |v: Vec<Vec<f32>>| {
                    let protos: Vec<(&[f32], u32, Marker)> = v[1].chunks(ENCODER[2]).enumerate().map(|(c, w)| (w, c as u32, Marker::Dot)).collect();
                    super::feature_scatter(&v[0], &labels, ENCODER[2], &protos, &[], "Base training: the cosine head's class weights (dots) among the unit features.".into())
                }),
            }];
        };
        let (b, c, alpha, tau) = (self.base, self.n_classes, self.alpha, self.tau);
        let labels = eval.labels.to_vec();
        let unit_base = normalise(p.base.clone());
        let scatter = Figure {
            title: "Feature space".into(),
            tensors: vec![normalise(net.features(eval.x.clone())), unit_base.clone(), normalise(p.novel.clone()), normalise(calibrate(p.novel.clone(), p.base.clone(), alpha, tau)), weights(p.novel.clone(), p.base.clone(), tau)],
            render: Box::new(move |v: Vec<Vec<f32>>| {
                let d = ENCODER[2];
                let mut protos: Vec<(&[f32], u32, Marker)> = v[1].chunks(d).enumerate().map(|(k, w)| (w, k as u32, Marker::Dot)).collect();
                protos.extend(v[2].chunks(d).enumerate().map(|(k, w)| (w, (b + k) as u32, Marker::Ring)));
                protos.extend(v[3].chunks(d).enumerate().map(|(k, w)| (w, (b + k) as u32, Marker::Diamond)));
                let mut arrows: Vec<(&[f32], &[f32], f32, u32)> = Vec::new();
                for (k, (raw, cal)) in v[2].chunks(d).zip(v[3].chunks(d)).enumerate() {
                    for (j, base) in v[1].chunks(d).enumerate() {
                        let a = v[4][k * b + j];
                        if a > 0.05 {
                            arrows.push((raw, base, a, j as u32));
                        }
                    }
                    arrows.push((raw, cal, 1.0, (b + k) as u32));
                }
                super::feature_scatter(&v[0], &labels, d, &protos, &arrows, "Dots: base prototypes; rings: novel prototypes from the shots; diamonds: calibrated. Thin lines: calibration weight toward each base prototype.".into())
            }),
        };
        let (x, held) = eval.held_out();
        let f = net.features(x);
        let before = cosine_logits(f.clone(), self.classifier(p, 0.0), SCALE);
        let after = cosine_logits(f, self.classifier(p, alpha), SCALE);
        let (held, ways) = (held.to_vec(), self.ways);
        let timeline = Figure {
            title: "Sessions".into(),
            tensors: vec![before, after],
            render: Box::new(move |v: Vec<Vec<f32>>| {
                let rows = sessions(&v[0], &v[1], &held, b, c, ways);
                let pct = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{:.0}", 100.0 * v));
                let cell = |before: Option<f64>, after: Option<f64>, good: bool| {
                    let a = after.unwrap_or(0.0) as f32;
                    Cell { text: format!("{}→{}", pct(before), pct(after)), green: if good { a } else { 0.0 }, red: if good { 0.0 } else { a }, class: None }
                };
                let body = rows
                    .iter()
                    .map(|(name, s0, s1)| vec![Cell::text(name.clone()), cell(s0.all, s1.all, true), cell(s0.base, s1.base, true), cell(s0.novel, s1.novel, true), cell(s0.novel_as_base, s1.novel_as_base, false)])
                    .collect();
                FigureView::Table {
                    header: ["session", "all", "base", "novel", "nov→base"].map(String::from).to_vec(),
                    rows: body,
                    note: format!("Percent of the held-out points of the classes seen so far; each cell: before calibration → after (alpha {alpha}, tau {tau}). 'nov→base': novel points taken for a base class."),
                }
            }),
        };
        vec![scatter, timeline]
    }

    /// Moves one shot; its class's prototype is rebuilt from the moved shots (no training).
    fn drag(&mut self, overlay: &str, index: usize, to: &[f32]) -> Result<(), LabError> {
        let n = if self.dim == 0 { 0 } else { self.shots.len() / self.dim };
        if overlay != "shots" || index >= n || to.len() != self.dim || to.iter().any(|v| !v.is_finite()) {
            return Err(LabError::InvalidParam(format!("no shot {index} at a {}-feature point", self.dim)));
        }
        self.shots[index * self.dim..(index + 1) * self.dim].copy_from_slice(to);
        self.cache.borrow_mut().take();
        if let Some(device) = self.prototypes.as_ref().map(|p| p.base.device()) {
            let novel = self.novel_means(&self.net.valid(), &device);
            if let Some(p) = self.prototypes.as_mut() {
                p.novel = novel;
            }
        }
        Ok(())
    }

    /// alpha and tau apply at once (calibration is training-free); anything else retrains.
    fn tune(&mut self, params: &Params) -> bool {
        if params.usize("ways") != self.ways || novel_count(params, self.n_classes) != self.n_classes - self.base || params.usize("shots") != self.shots_per {
            return false;
        }
        self.alpha = params.f64("alpha");
        self.tau = params.f64("tau");
        true
    }

    fn state(&self) -> Vec<(String, Tensor<2>)> {
        let mut out = self.net.encoder.state("encoder");
        let head = self.net.head.val();
        let device = head.device();
        out.push(("head".into(), head.clone()));
        let finished = if self.prototypes.is_some() { 1.0 } else { 0.0 };
        let (base, novel) = match self.current() {
            Some(p) => (p.base, p.novel),
            None => (head, Tensor::zeros([self.n_classes - self.base, ENCODER[2]], &device)),
        };
        out.push(("base_prototypes".into(), base));
        out.push(("novel_prototypes".into(), novel));
        out.push(("finished".into(), Tensor::from_data(TensorData::new(vec![finished as f32], [1, 1]), &device)));
        out
    }
}

/// Accuracy figures of one session over the held-out points of the classes seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SessionScores {
    pub all: Option<f64>,
    pub base: Option<f64>,
    pub novel: Option<f64>,
    /// Share of novel points predicted as any base class (the paper's diagnostic).
    pub novel_as_base: Option<f64>,
}

/// Per session (0 = base only, then `ways` novel classes more each): its name and the scores
/// before and after calibration, from `[m, C]` logits and the held-out labels. Classes not yet
/// seen are excluded from the argmax.
pub fn sessions(before: &[f32], after: &[f32], labels: &[u32], base: usize, n_classes: usize, ways: usize) -> Vec<(String, SessionScores, SessionScores)> {
    let novel = n_classes - base;
    let count = 1 + novel.div_ceil(ways.max(1));
    (0..count)
        .map(|s| {
            let seen = (base + s * ways).min(n_classes);
            let first = base + s.saturating_sub(1) * ways;
            let name = match s {
                0 => format!("0: {base} base"),
                _ if first + 1 == seen => format!("{s}: +{first}"),
                _ => format!("{s}: +{first}–{}", seen - 1),
            };
            (name, score(before, labels, base, seen, n_classes), score(after, labels, base, seen, n_classes))
        })
        .collect()
}

fn score(logits: &[f32], labels: &[u32], base: usize, seen: usize, n_classes: usize) -> SessionScores {
    let (mut all, mut base_n, mut base_ok, mut nov_n, mut nov_ok, mut nov_base, mut n) = (0, 0, 0, 0, 0, 0, 0);
    for (row, &y) in logits.chunks(n_classes).zip(labels) {
        let y = y as usize;
        if y >= seen {
            continue;
        }
        let pred = crate::viz::argmax(&row[..seen]);
        n += 1;
        all += (pred == y) as usize;
        if y < base {
            base_n += 1;
            base_ok += (pred == y) as usize;
        } else {
            nov_n += 1;
            nov_ok += (pred == y) as usize;
            nov_base += (pred < base) as usize;
        }
    }
    let frac = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
    SessionScores { all: frac(all, n), base: frac(base_ok, base_n), novel: frac(nov_ok, nov_n), novel_as_base: frac(nov_base, nov_n) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::classifiers::test_util::{floats, t2};

    fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn the_specs_closed_form_example() {
        // D = 2, base (1, 0) and (0, 1), novel (2, 1), tau 16, alpha 0.5.
        let base = t2(vec![1.0, 0.0, 0.0, 1.0], [2, 2]);
        let novel = t2(vec![2.0, 1.0], [1, 2]);
        assert!(close(&floats(normalise(novel.clone())), &[0.8944, 0.4472], 1e-4));
        assert!(close(&floats(weights(novel.clone(), base.clone(), 16.0)), &[0.99922, 0.00078], 1e-4));
        assert!(close(&floats(calibrate(novel.clone(), base.clone(), 1.0, 16.0)), &[1.0, 0.00078], 1e-4), "alpha 1 gives delta");
        assert!(close(&floats(calibrate(novel, base, 0.5, 16.0)), &[0.9472, 0.2240], 1e-4));
    }

    #[test]
    fn alpha_and_temperature_limits() {
        let mut rng = Rng::new(5);
        let (n, b, d) = (4, 6, 16);
        // Non-negative features, as after a final ReLU.
        let base = t2((0..b * d).map(|_| rng.uniform() as f32).collect(), [b, d]);
        let novel = t2((0..n * d).map(|_| rng.uniform() as f32).collect(), [n, d]);
        // alpha = 0: exactly the normalised novel means, so predictions equal the plain prototype classifier's.
        assert_eq!(floats(calibrate(novel.clone(), base.clone(), 0.0, 16.0)), floats(normalise(novel.clone())));
        // tau = 0: every delta is the normalised mean of the normalised base prototypes.
        let mean_base = normalise(normalise(base.clone()).mean_dim(0));
        let flat = floats(calibrate(novel.clone(), base.clone(), 1.0, 0.0));
        let want = floats(mean_base);
        for row in flat.chunks(d) {
            assert!(close(row, &want, 1e-6), "{row:?} vs {want:?}");
        }
        // tau = 1e4: delta is the single most similar base prototype.
        let sharp = floats(calibrate(novel.clone(), base.clone(), 1.0, 1e4));
        let cos = floats(normalise(novel).matmul(normalise(base.clone()).transpose()));
        let pb = floats(normalise(base));
        for (k, row) in sharp.chunks(d).enumerate() {
            let best = crate::viz::argmax(&cos[k * b..(k + 1) * b]);
            assert!(close(row, &pb[best * d..(best + 1) * d], 1e-5), "novel {k}");
        }
    }

    use crate::classifiers::test_util::device as dev;
    use crate::classifiers::{Classifier, ModelState, TrainData};
    use crate::params::{ParamValue, Params};
    use burn::tensor::Device;

    /// The spec's annulus toy: 12 sectors, 400 points each, 300 for training and 100 held out.
    fn annulus(seed: u64) -> crate::data::Split {
        let d = crate::data::generate(&crate::data::ToyConfig { kind: crate::data::DatasetKind::Sectors, n: 4800, noise: 0.05, seed, classes: 12 });
        crate::data::split(&d, 0.75, seed, &[], &[])
    }

    fn trained(split: &crate::data::Split, seed: u64) -> Teen {
        let ad = Device::flex().autodiff();
        let mut m = Teen::new(&Params::defaults(SPEC.params), &TrainData::new(&split.train, &ad).unwrap(), seed).unwrap();
        while !m.step().unwrap().converged {}
        m
    }

    fn with(alpha: f64, tau: f64) -> Params {
        let mut p = Params::defaults(SPEC.params);
        p.set(&ALPHA, ParamValue::Float(alpha)).unwrap();
        p.set(&TAU, ParamValue::Float(tau)).unwrap();
        p
    }

    /// Session-2 scores (all classes seen) on the held-out points at the model's alpha.
    fn final_scores(m: &Teen, test: &crate::data::Dataset) -> SessionScores {
        let x = t2(test.x.clone(), [test.len(), 2]);
        let p = m.prototypes.as_ref().unwrap();
        let logits = floats(cosine_logits(m.net.valid().features(x), m.classifier(p, m.alpha), SCALE));
        sessions(&logits, &logits, &test.y, m.base, m.n_classes, m.ways).last().unwrap().2
    }

    /// The spec's properties 1 and 3, asserted over 5 seeds on the annulus toy (8 base sectors, 2
    /// sessions of 2 novel sectors, 5 shots): alpha = 0 predicts exactly as the plain prototype
    /// classifier with normalised novel means, and the encoder and the base prototypes are
    /// bit-identical after every session and every alpha / tau.
    ///
    /// Property 5 (the paper's main effect, "soft, reported" in the spec) is measured and
    /// printed, not asserted: on this toy it does **not** reproduce. Over seeds 1-5 the novel ->
    /// base share rises with alpha (0.21 -> 0.26, 0.32 -> 0.36, ... at noise 0.05; also at noise
    /// 0.15 and 0.3), novel accuracy falls by 3 points on average and base accuracy by 3. In 2-D
    /// the five shots' mean already sits in its sector and the frozen features of a sector between
    /// two base sectors are a blend of theirs, so moving the prototype toward them adds confusion.
    /// The calibration itself is checked exactly (closed form, limits) above.
    #[test]
    fn calibration_is_training_free_and_its_effect_is_reported() {
        let (mut violations, mut novel_gain, mut base_drop) = (0, 0.0, 0.0);
        for seed in 1..=5u64 {
            let split = annulus(seed);
            let mut m = trained(&split, seed);
            let frozen = ModelState::read(&m).unwrap();
            let mut errors = Vec::new();
            let mut scores = Vec::new();
            for alpha in [0.0, 0.1, 0.3, 0.5] {
                assert!(m.tune(&with(alpha, 16.0)));
                let s = final_scores(&m, &split.test);
                errors.push(s.novel_as_base.unwrap());
                scores.push(s);
            }
            violations += errors.windows(2).filter(|w| w[1] > w[0]).count();
            novel_gain += (scores[3].novel.unwrap() - scores[0].novel.unwrap()) / 5.0;
            base_drop += (scores[0].base.unwrap() - scores[3].base.unwrap()) / 5.0;
            eprintln!("seed {seed}: novel->base {errors:.3?}, novel {:.3} -> {:.3}, base {:.3} -> {:.3}", scores[0].novel.unwrap(), scores[3].novel.unwrap(), scores[0].base.unwrap(), scores[3].base.unwrap());
            // alpha = 0 is the plain prototype classifier, bit for bit.
            m.tune(&with(0.0, 16.0));
            let x = t2(split.test.x.clone(), [split.test.len(), 2]);
            let p = m.prototypes.clone().unwrap();
            let f = m.net.valid().features(x.clone());
            let plain = softmax(cosine_logits(f, Tensor::cat(vec![normalise(p.base.clone()), normalise(p.novel.clone())], 0), SCALE), 1);
            assert_eq!(floats(m.predict_proba(x)), floats(plain), "seed {seed}: alpha 0");
            // Training-free: nothing but the novel calibration changes.
            m.tune(&with(1.0, 0.0));
            let after = ModelState::read(&m).unwrap();
            for (name, t) in &frozen.tensors {
                assert_eq!(&after.tensors[name], t, "seed {seed}: {name} changed");
            }
        }
        // Reported (see the doc comment): the spec expects violations <= 1, gain >= 0.05, drop <= 0.03.
        eprintln!("TEEN main effect on the annulus: {violations} rises of novel->base over 15 alpha steps, novel accuracy gain {novel_gain:.3}, base accuracy drop {base_drop:.3}");
    }

    #[test]
    fn dragging_a_shot_equals_inference_with_the_moved_shot() {
        let split = annulus(3);
        let ad = Device::flex().autodiff();
        let params = Params::defaults(SPEC.params);
        let mut m = Teen::new(&params, &TrainData::new(&split.train, &ad).unwrap(), 3).unwrap();
        for _ in 0..30 {
            m.step().unwrap();
        }
        // Finish early: build the prototypes now.
        m.prototypes = m.build_prototypes();
        let grid = t2(crate::viz::grid_points(split.train.view_bounds(0.1), 30, 2), [900, 2]);
        let before = floats(m.predict_proba(grid.clone()));
        let to = [0.2f32, 1.1];
        m.drag("shots", 7, &to).unwrap();
        let dragged = floats(m.predict_proba(grid.clone()));
        assert_ne!(before, dragged);
        // The same model restored with that class's prototype recomputed from the moved shots.
        let mut state = ModelState::read(&m).unwrap();
        let mut shots = m.shots.clone();
        shots[14..16].copy_from_slice(&to);
        let k = m.shots_per;
        let class = 7 / k;
        let feats = floats(m.net.valid().features(t2(shots[class * k * 2..(class + 1) * k * 2].to_vec(), [k, 2])));
        let mean: Vec<f32> = (0..16).map(|j| (0..k).map(|i| feats[i * 16 + j]).sum::<f32>() / k as f32).collect();
        let novel = &mut state.tensors.get_mut("novel_prototypes").unwrap().data;
        novel[class * 16..(class + 1) * 16].copy_from_slice(&mean);
        let rerun = floats(SPEC.restore(&params, &state, &dev()).unwrap().predict_proba(grid));
        let worst = dragged.iter().zip(&rerun).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst <= 1e-5, "drag vs rerun differ by {worst}");
        assert!(m.drag("shots", 999, &to).is_err());
        assert!(m.drag("prototypes", 0, &to).is_err());
    }

    #[test]
    fn sessions_count_novel_points_taken_for_base_classes() {
        // Two base classes, two novel ones in one session each; logits chosen by hand.
        let logits = [
            1.0, 0.0, 0.0, 0.0, // base 0 -> 0
            0.0, 1.0, 0.0, 0.0, // base 1 -> 1
            1.0, 0.0, 0.5, 0.0, // novel 2 -> 0 (base)
            0.0, 0.0, 0.2, 1.0, // novel 3 -> 3
        ];
        let s = sessions(&logits, &logits, &[0, 1, 2, 3], 2, 4, 1);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].1, SessionScores { all: Some(1.0), base: Some(1.0), novel: None, novel_as_base: None });
        assert_eq!(s[1].1, SessionScores { all: Some(2.0 / 3.0), base: Some(1.0), novel: Some(0.0), novel_as_base: Some(1.0) });
        assert_eq!(s[2].1, SessionScores { all: Some(0.75), base: Some(1.0), novel: Some(0.5), novel_as_base: Some(0.5) });
    }
}
