//! ST-ProtoPNet (`shared/specs/st-protopnet.md`): support prototypes pulled together across
//! classes (toward the boundary), trivial ones pushed apart, each branch with its own add-on
//! layers, cosine-similarity layer and linear head on a shared encoder; prediction adds the two
//! branches' logits.
//!
//! The spec's toy version: encoder `in -> 64 -> 64 -> 16` (ReLU), add-ons `16 -> 8 -> 8` (no
//! activation) then L2-normalised, M prototypes per class per branch; Adam with minibatches of
//! 128; 300 warm-up steps (encoder frozen, add-ons and prototypes lr 3e-3), 2700 joint steps
//! (encoder 1e-3), one push step, 300 last-layer steps (lr 1e-3). Even steps optimise the trivial
//! branch's loss, odd steps the support branch's. Choices of ours where the spec is silent: the
//! heads stay at their +1 / -0.5 initialisation until the last-layer stage (ProtoPNet's warm and
//! joint stages do not train the last layer); weight decay 1e-3 on encoder and add-ons only; no
//! learning-rate decay in the toy's short schedule; a single push (the paper pushes every 10
//! epochs from epoch 100).
//!
//! Layout: `P = C * M` prototypes per branch as rows, class by class (prototype `j` belongs to
//! class `j / M`); features and prototypes are unit vectors.

pub use super::unit_rows as renormalise;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

/// `s_j(x) = relu(z . p_j)`: unit features `[n, d]`, unit prototypes `[P, d]` -> `[n, P]`.
pub fn similarity(z: Tensor<2>, prototypes: Tensor<2>) -> Tensor<2> {
    z.matmul(prototypes.transpose()).clamp_min(0.0)
}

/// The last layer's initial weights `[P, C]`: +1 to the prototype's own class, -0.5 elsewhere
/// (logits are `s W`).
pub fn head_init(n_classes: usize, per_class: usize, device: &Device) -> Tensor<2> {
    let p = n_classes * per_class;
    let w: Vec<f32> = (0..p)
        .flat_map(|j| (0..n_classes).map(move |c| if j / per_class == c { 1.0 } else { -0.5 }))
        .collect();
    Tensor::from_data(TensorData::new(w, [p, n_classes]), device)
}

/// `[n, P]` mask of each row's own-class prototypes.
pub fn own_class(
    labels: &[u32],
    n_classes: usize,
    per_class: usize,
    device: &Device,
) -> Tensor<2, Bool> {
    let p = n_classes * per_class;
    let m: Vec<bool> = labels
        .iter()
        .flat_map(|&y| (0..p).map(move |j| j / per_class == y as usize))
        .collect();
    Tensor::from_data(TensorData::new(m, [labels.len(), p]), device)
}

/// `Clst = mean_i max_{j in P_y} s_j(x_i)` (similarities are >= 0, so masked entries use -1).
pub fn cluster(s: Tensor<2>, own: Tensor<2, Bool>) -> Tensor<1> {
    s.mask_fill(own.bool_not(), -1.0).max_dim(1).mean()
}

/// `Sep = mean_i max_{j not in P_y} s_j(x_i)`.
pub fn separation(s: Tensor<2>, own: Tensor<2, Bool>) -> Tensor<1> {
    s.mask_fill(own, -1.0).max_dim(1).mean()
}

/// `Orth = sum_c ||P_c P_c^T - I_M||_1`: `[C * M, d]`.
pub fn orthogonality(prototypes: Tensor<2>, n_classes: usize, per_class: usize) -> Tensor<1> {
    let d = prototypes.dims()[1];
    let p = prototypes.reshape([n_classes, per_class, d]);
    let gram = p.clone().matmul(p.swap_dims(1, 2)); // [C, M, M]
    let eye = Tensor::<2>::eye(per_class, &gram.device()).reshape([1, per_class, per_class]);
    (gram - eye).abs().sum()
}

/// Cross-class cosines of prototype pairs, reduced per ordered class pair `(c, c')` by `reduce`
/// over the `M x M` pairs: `[C * M, d]` -> `[C, C]`.
fn class_pair_cosines(
    prototypes: Tensor<2>,
    n_classes: usize,
    per_class: usize,
    max: bool,
) -> Tensor<2> {
    let gram = prototypes.clone().matmul(prototypes.transpose()); // [P, P]
    let g = gram.reshape([n_classes, per_class, n_classes, per_class]);
    let r = if max {
        g.max_dim(3).max_dim(1)
    } else {
        g.min_dim(3).min_dim(1)
    }; // [C, 1, C, 1]
    r.reshape([n_classes, n_classes])
}

/// The mean over ordered pairs of different classes of a `[C, C]` table.
fn off_diagonal_mean(t: Tensor<2>) -> Tensor<1> {
    let c = t.dims()[0];
    let off = Tensor::<2>::eye(c, &t.device()).neg().add_scalar(1.0);
    (t * off).sum().div_scalar((c * (c - 1)).max(1) as f64)
}

/// `Discr = mean_{c != c'} max_{p in T_c, q in T_c'} p . q`: pushes the closest cross-class
/// trivial pair apart.
pub fn discrimination(trivial: Tensor<2>, n_classes: usize, per_class: usize) -> Tensor<1> {
    off_diagonal_mean(class_pair_cosines(trivial, n_classes, per_class, true))
}

/// `Close = -mean_{c != c'} min_{p in S_c, q in S_c'} p . q`: pulls even the farthest
/// cross-class support pair together.
pub fn closeness(support: Tensor<2>, n_classes: usize, per_class: usize) -> Tensor<1> {
    off_diagonal_mean(class_pair_cosines(support, n_classes, per_class, false)).neg()
}

/// `sum |W|` over the entries linking a prototype to another class.
pub fn off_class_l1(w: Tensor<2>, per_class: usize) -> Tensor<1> {
    let [p, c] = w.dims();
    let mask: Vec<f32> = (0..p)
        .flat_map(|j| (0..c).map(move |k| if j / per_class == k { 0.0 } else { 1.0 }))
        .collect();
    let mask = Tensor::<2>::from_data(TensorData::new(mask, [p, c]), &w.device());
    (w.abs() * mask).sum()
}

/// Push on the device: for each prototype, the own-class row of unit `features` `[n, d]` most
/// similar to it. `prototypes` `[P, d]`, `own` `[P, n]` (row j: the points of prototype j's
/// class) -> (`[P]` row indices, `[P, d]` the pushed prototypes, exactly those feature rows).
/// A class without points would pick an arbitrary row; the builder refuses empty classes.
pub fn push(
    prototypes: Tensor<2>,
    features: Tensor<2>,
    own: Tensor<2, Bool>,
) -> (Tensor<1, Int>, Tensor<2>) {
    let p = prototypes.dims()[0];
    let sim = prototypes
        .matmul(features.clone().transpose())
        .mask_fill(own.bool_not(), -2.0); // [P, n]
    let idx = sim.argmax(1).reshape([p]);
    (idx.clone(), features.select(0, idx))
}

use super::encoder::{Batches, Layers, edit_param};
use super::{
    Classifier, EvalPoints, Family, Figure, FigureView, Marker, ModelSpec, ModelState, Overlay,
    OverlayCoords, OverlayKind, StepOutput, TrainData,
};
use crate::error::LabError;
use crate::params::{ParamKind, ParamSpec, Params};
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, decay::WeightDecayConfig};
use burn::tensor::activation::{log_softmax, softmax};

/// Encoder widths after the input: the spec's `in -> 64 -> 64 -> 16`.
pub const ENCODER: [usize; 3] = [64, 64, 16];
/// Add-on widths after the encoder: `16 -> 8 -> 8`; prototypes live on the unit sphere of R^8.
pub const ADD_ON: [usize; 2] = [8, 8];
pub const WARM: usize = 300;
pub const JOINT: usize = 2700;
pub const LAST: usize = 300;
pub const BATCH: usize = 128;

/// One branch: add-on layers, unit prototypes `[P, 8]`, head `[P, C]`.
#[derive(Module, Debug)]
pub struct Branch {
    pub add: Layers,
    pub prototypes: Param<Tensor<2>>,
    pub head: Param<Tensor<2>>,
}

#[derive(Module, Debug)]
pub struct StNet {
    pub encoder: Layers,
    pub trivial: Branch,
    pub support: Branch,
}

/// Which branch a loss or a prediction uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Trivial,
    Support,
    Both,
}

impl StNet {
    fn new(dim: usize, n_classes: usize, per_class: usize, seed: u64, device: &Device) -> StNet {
        let mut widths = vec![dim];
        widths.extend(ENCODER);
        let mut rng = Rng::derive(seed, 0x5770);
        let p = n_classes * per_class;
        let mut branch = |salt: u64| {
            let mut add_w = vec![ENCODER[2]];
            add_w.extend(ADD_ON);
            // ProtoPNet draws prototypes U(0, 1); we normalise them at once.
            let protos: Vec<f32> = (0..p * ADD_ON[1]).map(|_| rng.uniform() as f32).collect();
            Branch {
                add: Layers::new(&add_w, seed ^ salt, device),
                prototypes: Param::from_tensor(renormalise(Tensor::from_data(
                    TensorData::new(protos, [p, ADD_ON[1]]),
                    device,
                ))),
                head: Param::from_tensor(head_init(n_classes, per_class, device)),
            }
        };
        let trivial = branch(0x7);
        let support = branch(0x5);
        StNet {
            encoder: Layers::new(&widths, seed, device),
            trivial,
            support,
        }
    }

    /// Replaces a branch's prototypes by `f(prototypes)` in place (push, drag), keeping them
    /// trainable parameters (see [`edit_param`]).
    fn edit_prototypes(&mut self, which: Which, f: impl FnOnce(Tensor<2>) -> Tensor<2>) {
        let b = if which == Which::Support { &mut self.support } else { &mut self.trivial };
        let placeholder = Param::from_tensor(Tensor::zeros([1, 1], &b.head.device()));
        let protos = std::mem::replace(&mut b.prototypes, placeholder);
        b.prototypes = edit_param(protos, f);
    }

    pub fn branch(&self, which: Which) -> &Branch {
        if which == Which::Support {
            &self.support
        } else {
            &self.trivial
        }
    }

    /// Unit features of a branch: `[n, dim]` -> `[n, 8]`.
    pub fn features(&self, x: Tensor<2>, which: Which) -> Tensor<2> {
        renormalise(
            self.branch(which)
                .add
                .forward(self.encoder.forward(x, true), false),
        )
    }

    /// A branch's logits `s W`, or the sum of both: `[n, dim]` -> `[n, C]`.
    pub fn logits(&self, x: Tensor<2>, which: Which) -> Tensor<2> {
        let h = self.encoder.forward(x, true);
        let one = |b: &Branch| {
            similarity(
                renormalise(b.add.forward(h.clone(), false)),
                b.prototypes.val(),
            )
            .matmul(b.head.val())
        };
        match which {
            Which::Both => one(&self.trivial) + one(&self.support),
            w => one(self.branch(w)),
        }
    }
}

/// The spec's coefficients: cluster 0.8 (subtracted), separation 0.08 (trivial) / 0.48
/// (support), orthogonality 1e-3, Discr / Close 1.0, off-class L1 1e-4.
pub fn branch_loss(
    net: &StNet,
    x: Tensor<2>,
    onehot: Tensor<2>,
    own: Tensor<2, Bool>,
    which: Which,
    n_classes: usize,
    per_class: usize,
) -> Tensor<1> {
    let b = net.branch(which);
    let z = net.features(x, which);
    let s = similarity(z, b.prototypes.val());
    let n = onehot.dims()[0];
    let ce = (log_softmax(s.clone().matmul(b.head.val()), 1) * onehot)
        .sum()
        .div_scalar(n as f64)
        .neg();
    let (sep, pair) = match which {
        Which::Support => (0.48, closeness(b.prototypes.val(), n_classes, per_class)),
        _ => (
            0.08,
            discrimination(b.prototypes.val(), n_classes, per_class),
        ),
    };
    ce - cluster(s.clone(), own.clone()).mul_scalar(0.8)
        + separation(s, own).mul_scalar(sep)
        + orthogonality(b.prototypes.val(), n_classes, per_class).mul_scalar(1e-3)
        + pair
        + off_class_l1(b.head.val(), per_class).mul_scalar(1e-4)
}

/// The stage a step belongs to (0-based step index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Warm,
    Joint,
    Push,
    Last,
    Done,
}

pub fn stage(step: usize) -> Stage {
    match step {
        s if s < WARM => Stage::Warm,
        s if s < WARM + JOINT => Stage::Joint,
        s if s == WARM + JOINT => Stage::Push,
        s if s <= WARM + JOINT + LAST => Stage::Last,
        _ => Stage::Done,
    }
}

struct Trainer {
    x: Tensor<2>,
    onehot: Tensor<2>,
    labels: Vec<u32>,
    batches: Batches,
    encoder: ModuleOptimizer,
    add: ModuleOptimizer,
    prototypes: ModuleOptimizer,
    head: ModuleOptimizer,
    step: usize,
}

pub struct StProtoPNet {
    pub net: StNet,
    trainer: Option<Trainer>,
    n_classes: usize,
    per_class: usize,
    show: Which,
    /// Input-space points whose features the prototypes are (after push or a drag), per
    /// branch `[P, dim]`; `None` while training moves them (then the view shows each prototype
    /// at its most similar own-class training point).
    anchors: [Option<Tensor<2>>; 2],
}

const PROTOTYPES: ParamSpec = ParamSpec {
    key: "prototypes",
    label: "Prototypes per class",
    doc: "Prototypes per class in each branch (trivial and support).",
    kind: ParamKind::Int {
        min: 1,
        max: 5,
        default: 3,
    },
};
const SHOW: ParamSpec = ParamSpec {
    key: "branches",
    label: "Predict with",
    doc: "Both: the model's prediction (trivial + support logits). Trivial or support alone shows what each branch decides (no retraining).",
    kind: ParamKind::Choice {
        options: &["both", "trivial", "support"],
        default: "both",
    },
};

pub static SPEC: ModelSpec = ModelSpec {
    name: "st-protopnet",
    label: "ST-ProtoPNet (support & trivial prototypes)",
    family: Family::NeuralNetwork,
    summary: "Two prototype branches on one encoder: trivial prototypes (stars) are pushed apart across classes and \
              settle in class interiors; support prototypes (hollow diamonds) are pulled together and settle near the \
              boundary, like support vectors. 300 warm-up steps, 2700 joint steps, a push of every prototype onto \
              a training point's feature, then 300 steps of the last layers. One step is one minibatch of 128. \
              Drag a prototype: it becomes the feature of the point you drop it on.",
    params: &[PROTOTYPES, SHOW],
    default_steps: WARM + JOINT + 1 + LAST,
    builder: build,
    restore,
};

fn which(params: &Params) -> Which {
    match params.choice("branches") {
        "trivial" => Which::Trivial,
        "support" => Which::Support,
        _ => Which::Both,
    }
}

fn build(params: &Params, data: &TrainData, seed: u64) -> Result<Box<dyn Classifier>, LabError> {
    Ok(Box::new(StProtoPNet::new(params, data, seed)?))
}

impl StProtoPNet {
    /// A fresh model on `data.device` (an autodiff device), as the registry builds it.
    pub fn new(params: &Params, data: &TrainData, seed: u64) -> Result<StProtoPNet, LabError> {
        let (c, m) = (data.n_classes(), params.usize("prototypes"));
        if data.host.class_counts().contains(&0) {
            return Err(LabError::Data("ST-ProtoPNet needs training points of every class (each class's prototypes are pushed onto its points)".into()));
        }
        let net = StNet::new(data.dim(), c, m, seed, &data.device);
        let adam = |wd: Option<f64>| {
            AdamConfig::new()
                .with_weight_decay(wd.map(|w| WeightDecayConfig::new(w as f32 as _)))
                .init()
        };
        let trainer = Trainer {
            x: data.x.clone(),
            onehot: data.y_onehot.clone(),
            labels: data.host.y.clone(),
            batches: Batches::new(data.n(), seed),
            encoder: adam(Some(1e-3)),
            add: adam(Some(1e-3)),
            prototypes: adam(None),
            head: adam(None),
            step: 0,
        };
        Ok(StProtoPNet {
            net,
            trainer: Some(trainer),
            n_classes: c,
            per_class: m,
            show: which(params),
            anchors: [None, None],
        })
    }
}

fn restore(
    params: &Params,
    state: &ModelState,
    device: &Device,
) -> Result<Box<dyn Classifier>, LabError> {
    let m = params.usize("prototypes");
    let w0 = state.checked("encoder0.weight")?;
    let dim = w0.shape[0];
    let mut widths = vec![dim];
    widths.extend(ENCODER);
    let encoder = Layers::restore("encoder", &widths, state, device)?;
    let mut add_w = vec![ENCODER[2]];
    add_w.extend(ADD_ON);
    let branch = |name: &str| -> Result<Branch, LabError> {
        let prototypes = state.tensor(&format!("{name}.prototypes"), device)?;
        let head = state.tensor(&format!("{name}.head"), device)?;
        let [p, d] = prototypes.dims();
        if d != ADD_ON[1] || head.dims()[0] != p || p % m != 0 || head.dims()[1] != p / m {
            return Err(LabError::Data(format!(
                "the saved {name} prototypes and head do not fit {m} prototypes per class"
            )));
        }
        Ok(Branch {
            add: Layers::restore(&format!("{name}.add"), &add_w, state, device)?,
            prototypes: Param::from_tensor(prototypes),
            head: Param::from_tensor(head),
        })
    };
    let (trivial, support) = (branch("trivial")?, branch("support")?);
    let n_classes = trivial.head.dims()[1];
    if support.head.dims() != trivial.head.dims() {
        return Err(LabError::Data(
            "the saved branches disagree on the classes".into(),
        ));
    }
    let anchors = [
        state.tensor("trivial.anchors", device).ok(),
        state.tensor("support.anchors", device).ok(),
    ];
    Ok(Box::new(StProtoPNet {
        net: StNet {
            encoder,
            trivial,
            support,
        },
        trainer: None,
        n_classes,
        per_class: m,
        show: which(params),
        anchors,
    }))
}

impl StProtoPNet {
    /// `[P, n]`: row j marks the points of prototype j's class.
    fn own_rows(&self, labels: &[u32], device: &Device) -> Tensor<2, Bool> {
        own_class(labels, self.n_classes, self.per_class, device).transpose()
    }

    /// Input-space positions of a branch's prototypes `[P, dim]`: their anchors, or each one's
    /// most similar own-class training point (`x` `[n, dim]` with `labels`).
    fn positions(&self, net: &StNet, which: Which, x: Tensor<2>, labels: &[u32]) -> Tensor<2> {
        let slot = if which == Which::Support { 1 } else { 0 };
        if let Some(a) = &self.anchors[slot] {
            return a.clone();
        }
        let (idx, _) = push(
            net.branch(which).prototypes.val(),
            net.features(x.clone(), which),
            self.own_rows(labels, &x.device()),
        );
        x.select(0, idx)
    }

    /// Replaces both branches' prototypes by their push targets and records the source points.
    fn push_all(&mut self) {
        let Some(t) = self.trainer.as_ref() else {
            return;
        };
        let own = self.own_rows(&t.labels, &t.x.device());
        for (slot, which) in [(0, Which::Trivial), (1, Which::Support)] {
            let net = self.net.valid();
            let (idx, pushed) = push(
                net.branch(which).prototypes.val(),
                net.features(t.x.clone().without_autodiff(), which),
                own.clone(),
            );
            self.anchors[slot] = Some(t.x.clone().without_autodiff().select(0, idx));
            self.net.edit_prototypes(which, |_| pushed);
        }
    }
}

impl Classifier for StProtoPNet {
    fn step(&mut self) -> Result<StepOutput, LabError> {
        let Some(t) = self.trainer.as_mut() else {
            return Ok(StepOutput {
                loss: None,
                converged: true,
            });
        };
        let st = stage(t.step);
        t.step += 1;
        match st {
            Stage::Done => {
                return Ok(StepOutput {
                    loss: None,
                    converged: true,
                });
            }
            Stage::Push => {
                self.push_all();
                return Ok(StepOutput {
                    loss: None,
                    converged: false,
                });
            }
            _ => {}
        }
        let which = if (t.step - 1) % 2 == 0 {
            Which::Trivial
        } else {
            Which::Support
        };
        let (x, onehot, labels) = match t.batches.next(BATCH) {
            None => (t.x.clone(), t.onehot.clone(), t.labels.clone()),
            Some(rows) => {
                let idx: Vec<i64> = rows.iter().map(|&i| i as i64).collect();
                let idx =
                    Tensor::<1, Int>::from_data(TensorData::new(idx, [rows.len()]), &t.x.device());
                (
                    t.x.clone().select(0, idx.clone()),
                    t.onehot.clone().select(0, idx),
                    rows.iter().map(|&i| t.labels[i]).collect(),
                )
            }
        };
        let own = own_class(&labels, self.n_classes, self.per_class, &x.device());
        let loss = branch_loss(
            &self.net,
            x,
            onehot,
            own,
            which,
            self.n_classes,
            self.per_class,
        );
        let mut grads = loss.backward();
        let net = self.net.clone();
        let StNet {
            mut encoder,
            mut trivial,
            mut support,
        } = net;
        let b = if which == Which::Support {
            &mut support
        } else {
            &mut trivial
        };
        if st == Stage::Last {
            let g = GradientsParams::from_module(&mut grads, &b.head);
            b.head = t.head.step(1e-3, b.head.clone(), g);
        } else {
            if st == Stage::Joint {
                let g = GradientsParams::from_module(&mut grads, &encoder);
                encoder = t.encoder.step(1e-3, encoder, g);
            }
            let g = GradientsParams::from_module(&mut grads, &b.add);
            b.add = t.add.step(3e-3, b.add.clone(), g);
            let g = GradientsParams::from_module(&mut grads, &b.prototypes);
            let moved = t.prototypes.step(3e-3, b.prototypes.clone(), g);
            // Prototypes are unit vectors after every step.
            b.prototypes = edit_param(moved, renormalise);
            self.anchors = [None, None];
        }
        self.net = StNet {
            encoder,
            trivial,
            support,
        };
        Ok(StepOutput {
            loss: Some(loss.detach().without_autodiff()),
            converged: false,
        })
    }

    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2> {
        softmax(self.net.valid().logits(x.without_autodiff(), self.show), 1)
    }

    /// The logits of the shown branches.
    fn scores(&self, x: Tensor<2>) -> Option<Tensor<2>> {
        Some(self.net.valid().logits(x, self.show))
    }

    /// Prototypes at their input-space points: trivial as stars, support as hollow diamonds;
    /// both draggable.
    fn overlays(&self, eval: &EvalPoints) -> Vec<Overlay> {
        let net = self.net.valid();
        let dim = eval.x.dims()[1];
        let train = eval.x.clone().slice([0..eval.n_train, 0..dim]);
        let labels = &eval.labels[..eval.n_train];
        let classes: Vec<u32> = (0..self.n_classes * self.per_class)
            .map(|j| (j / self.per_class) as u32)
            .collect();
        let mut out = Vec::new();
        for (label, which, marker) in [
            ("trivial prototypes", Which::Trivial, Marker::Star),
            ("support prototypes", Which::Support, Marker::HollowDiamond),
        ] {
            if labels.is_empty() && self.anchors[(which == Which::Support) as usize].is_none() {
                continue;
            }
            let at = self.positions(&net, which, train.clone(), labels);
            out.push(Overlay {
                marker,
                draggable: true,
                ..Overlay::new(
                    label,
                    OverlayKind::Markers,
                    OverlayCoords::Device(at),
                    classes.clone(),
                )
            });
        }
        out
    }

    /// Each branch's feature space (PCA of the unit features of the shown points, with the
    /// prototypes), and the geometry the method is about: cross-class cosines of each branch's
    /// prototypes.
    fn figures(&self, eval: &EvalPoints) -> Vec<Figure> {
        let net = self.net.valid();
        let (c, m) = (self.n_classes, self.per_class);
        let mut out = Vec::new();
        for (title, which, marker) in [
            ("Trivial feature space", Which::Trivial, Marker::Star),
            (
                "Support feature space",
                Which::Support,
                Marker::HollowDiamond,
            ),
        ] {
            let labels = eval.labels.to_vec();
            out.push(Figure {
                title: title.into(),
                tensors: vec![net.features(eval.x.clone(), which), net.branch(which).prototypes.val()],
                render: Box::new(move |v: Vec<Vec<f32>>| {
                    let d = ADD_ON[1];
                    let protos: Vec<(&[f32], u32, Marker)> = v[1].chunks(d).enumerate().map(|(j, p)| (p, (j / m) as u32, marker)).collect();
                    super::feature_scatter(&v[0], &labels, d, &protos, &[], "First two principal components of the unit features; prototypes drawn large.".into())
                }),
            });
        }
        let gram = |w: Which| {
            let p = net.branch(w).prototypes.val();
            p.clone().matmul(p.transpose())
        };
        out.push(Figure {
            title: "Prototype geometry".into(),
            tensors: vec![gram(Which::Trivial), gram(Which::Support)],
            render: Box::new(move |v: Vec<Vec<f32>>| {
                use super::Cell;
                let row = |name: &str, g: &[f32]| {
                    let cos = cross_class_cosine(g, c, m);
                    vec![Cell::text(name), Cell { text: format!("{cos:+.2}"), green: cos.max(0.0), red: (-cos).max(0.0), class: None }]
                };
                FigureView::Table {
                    header: vec!["branch".into(), "mean cross-class cosine".into()],
                    rows: vec![row("trivial", &v[0]), row("support", &v[1])],
                    note: "Support prototypes of different classes should be close (high cosine, near the boundary); trivial ones far apart.".into(),
                }
            }),
        });
        out
    }

    /// Prototype `index` of a branch becomes the unit branch feature of the input point `to`.
    fn drag(&mut self, overlay: &str, index: usize, to: &[f32]) -> Result<(), LabError> {
        let which = match overlay {
            "trivial prototypes" => Which::Trivial,
            "support prototypes" => Which::Support,
            _ => {
                return Err(LabError::InvalidParam(format!(
                    "'{overlay}' cannot be moved"
                )));
            }
        };
        let p = self.n_classes * self.per_class;
        let dim = self.net.encoder.layers[0].weight.dims()[0];
        if index >= p || to.len() != dim || to.iter().any(|v| !v.is_finite()) {
            return Err(LabError::InvalidParam(format!(
                "no prototype {index} at a {dim}-feature point"
            )));
        }
        let device = self.net.trivial.head.device().without_autodiff();
        let point = Tensor::<2>::from_data(TensorData::new(to.to_vec(), [1, dim]), &device);
        let feature = self.net.valid().features(point.clone(), which);
        let slot = (which == Which::Support) as usize;
        // Keep every other prototype where the view shows it.
        if self.anchors[slot].is_none()
            && let Some(t) = self.trainer.as_ref()
        {
            let x = t.x.clone().without_autodiff();
            self.anchors[slot] = Some(self.positions(&self.net.valid(), which, x, &t.labels));
        }
        if let Some(a) = self.anchors[slot].take() {
            self.anchors[slot] = Some(a.slice_assign([index..index + 1, 0..dim], point));
        }
        self.net.edit_prototypes(which, |t| t.slice_assign([index..index + 1, 0..ADD_ON[1]], feature));
        Ok(())
    }

    fn tune(&mut self, params: &Params) -> bool {
        if params.usize("prototypes") != self.per_class {
            return false;
        }
        self.show = which(params);
        true
    }

    fn state(&self) -> Vec<(String, Tensor<2>)> {
        let mut out = self.net.encoder.state("encoder");
        for (name, b) in [
            ("trivial", &self.net.trivial),
            ("support", &self.net.support),
        ] {
            out.extend(b.add.state(&format!("{name}.add")));
            out.push((format!("{name}.prototypes"), b.prototypes.val()));
            out.push((format!("{name}.head"), b.head.val()));
        }
        for (name, a) in [("trivial", &self.anchors[0]), ("support", &self.anchors[1])] {
            if let Some(a) = a {
                out.push((format!("{name}.anchors"), a.clone()));
            }
        }
        out
    }
}

/// Mean over ordered pairs of different classes of the mean cosine between their prototypes,
/// from the `[P, P]` Gram matrix.
pub fn cross_class_cosine(gram: &[f32], n_classes: usize, per_class: usize) -> f32 {
    let p = n_classes * per_class;
    let (mut sum, mut n) = (0.0f64, 0usize);
    for i in 0..p {
        for j in 0..p {
            if i / per_class != j / per_class {
                sum += gram[i * p + j] as f64;
                n += 1;
            }
        }
    }
    (sum / n.max(1) as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifiers::test_util::{device as dev, floats, t2};
    use crate::rng::Rng;

    fn random(rng: &mut Rng, n: usize, d: usize) -> Tensor<2> {
        renormalise(t2(
            (0..n * d).map(|_| rng.normal() as f32).collect(),
            [n, d],
        ))
    }

    #[test]
    fn invariants_unit_prototypes_head_pattern_and_push() {
        let mut rng = Rng::new(1);
        let p = random(&mut rng, 12, 8);
        for row in floats(p.clone()).chunks(8) {
            assert!((row.iter().map(|v| v * v).sum::<f32>().sqrt() - 1.0).abs() <= 1e-6);
        }
        let w = floats(head_init(4, 3, &dev()));
        for j in 0..12 {
            for c in 0..4 {
                assert_eq!(w[j * 4 + c], if j / 3 == c { 1.0 } else { -0.5 });
            }
        }
        // Push: each prototype is exactly the feature row of a training point of its own class,
        // the most similar one.
        let features = random(&mut rng, 40, 8);
        let labels: Vec<u32> = (0..40).map(|i| (i % 4) as u32).collect();
        let own = own_class(&labels, 4, 3, &dev()).transpose();
        let (idx, pushed) = push(p.clone(), features.clone(), own);
        let (idx, pushed, f, pv) = (
            idx.into_data().convert::<i64>().try_to_vec::<i64>().unwrap(),
            floats(pushed),
            floats(features),
            floats(p),
        );
        for (j, &i) in idx.iter().enumerate() {
            let i = i as usize;
            assert_eq!(labels[i] as usize, j / 3);
            assert_eq!(&pushed[j * 8..(j + 1) * 8], &f[i * 8..(i + 1) * 8]);
            let cos = |k: usize| (0..8).map(|m| f[k * 8 + m] * pv[j * 8 + m]).sum::<f32>();
            assert!(
                (0..40)
                    .filter(|&k| labels[k] as usize == j / 3)
                    .all(|k| cos(k) <= cos(i))
            );
        }
    }

    #[test]
    fn loss_signs_at_their_extremes() {
        // Two classes, one prototype each: identical support prototypes give Close = -1; antipodal
        // trivial ones give Discr = -1.
        let same = t2(vec![0.6, 0.8, 0.6, 0.8], [2, 2]);
        assert!((floats(closeness(same, 2, 1))[0] + 1.0).abs() < 1e-6);
        let opposite = t2(vec![0.6, 0.8, -0.6, -0.8], [2, 2]);
        assert!((floats(discrimination(opposite, 2, 1))[0] + 1.0).abs() < 1e-6);
        // Orthogonal prototypes within a class have no orthogonality cost; cluster and separation
        // pick the own / other class's best similarity.
        let p = t2(vec![1.0, 0.0, 0.0, 1.0], [2, 2]);
        assert!(floats(orthogonality(p.clone(), 1, 2))[0].abs() < 1e-6);
        let z = t2(vec![1.0, 0.0], [1, 2]);
        let s = similarity(z, p);
        let own = own_class(&[0], 2, 1, &dev());
        assert_eq!(
            (
                floats(cluster(s.clone(), own.clone()))[0],
                floats(separation(s, own))[0]
            ),
            (1.0, 0.0)
        );
    }

    #[test]
    fn descending_close_alone_brings_support_prototypes_together() {
        let ad = Device::flex().autodiff();
        let mut rng = Rng::new(4);
        let mut s = floats(random(&mut rng, 2, 8));
        let mut last = f32::NEG_INFINITY;
        for step in 0..60 {
            let t = Tensor::<2>::from_data(TensorData::new(s.clone(), [2, 8]), &ad).require_grad();
            let loss = closeness(t.clone(), 2, 1);
            let cosine = -floats(loss.clone())[0];
            assert!(
                cosine >= last - 1e-6,
                "step {step}: cosine {cosine} after {last}"
            );
            last = cosine;
            let g = floats(t.grad(&loss.backward()).expect("gradient"));
            let moved: Vec<f32> = s.iter().zip(&g).map(|(a, b)| a - 0.05 * b).collect();
            s = floats(renormalise(t2(moved, [2, 8])));
        }
        assert!(
            last > 0.9,
            "the two support prototypes end close: cosine {last}"
        );
    }

    /// Trains the registry model on `data` for the full schedule.
    fn trained(data: &crate::data::Dataset, seed: u64) -> StProtoPNet {
        let ad = Device::flex().autodiff();
        let td = TrainData::new(data, &ad).unwrap();
        let mut model = StProtoPNet::new(&Params::defaults(SPEC.params), &td, seed).unwrap();
        while !model.step().unwrap().converged {}
        model
    }

    /// Distance from each `[k, 2]` point to the nearest grid cell predicted differently from the
    /// point's own prediction (a 300 x 300 grid over the data's bounds).
    fn boundary_distances(
        model: &dyn Classifier,
        data: &crate::data::Dataset,
        points: &[f32],
    ) -> Vec<f32> {
        let b = data.view_bounds(0.1);
        let res = 300;
        let grid = crate::viz::grid_points(b, res, 2);
        let c = data.n_classes;
        let cls = |x: &[f32]| -> Vec<usize> {
            floats(model.predict_proba(t2(x.to_vec(), [x.len() / 2, 2])))
                .chunks(c)
                .map(crate::viz::argmax)
                .collect()
        };
        let grid_cls = cls(&grid);
        let own = cls(points);
        points
            .chunks(2)
            .zip(own)
            .map(|(p, k)| {
                grid.chunks(2)
                    .zip(&grid_cls)
                    .filter(|(_, g)| **g != k)
                    .map(|(g, _)| ((g[0] - p[0]).powi(2) + (g[1] - p[1]).powi(2)).sqrt())
                    .fold(f32::INFINITY, f32::min)
            })
            .collect()
    }

    fn median(mut v: Vec<f32>) -> f32 {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    }

    #[test]
    fn support_prototypes_sit_near_the_boundary_and_trivial_ones_inside() {
        // The spec's properties 1, 3 and 4 on moons (n = 1000, noise 0.15) and 3 blobs, 5 seeds
        // each: after training, prototypes are unit vectors equal to their source points'
        // features; support sources lie at <= 0.6x the trivial sources' median distance to the
        // boundary; support prototypes' cross-class cosine exceeds the trivial ones' by >= 0.3;
        // the combined model is at least as accurate as either branch alone (-0.01), >= 0.97 on
        // moons.
        use crate::data::{DatasetKind, ToyConfig, generate};
        for (kind, classes, noise) in [(DatasetKind::Moons, 2, 0.15), (DatasetKind::Blobs, 3, 0.15)]
        {
            let (mut d_support, mut d_trivial, mut gap) = (Vec::new(), Vec::new(), 0.0);
            for seed in 1..=5u64 {
                let data = generate(&ToyConfig {
                    kind,
                    n: 1000,
                    noise,
                    seed,
                    classes,
                });
                let test = generate(&ToyConfig {
                    kind,
                    n: 1000,
                    noise,
                    seed: seed + 100,
                    classes,
                });
                let mut model = trained(&data, seed);
                let state = ModelState::read(&model).unwrap();
                let (c, m) = (classes, 3);
                for name in ["trivial", "support"] {
                    let protos = &state.tensors[&format!("{name}.prototypes")].data;
                    for row in protos.chunks(ADD_ON[1]) {
                        assert!(
                            (row.iter().map(|v| v * v).sum::<f32>().sqrt() - 1.0).abs() <= 1e-6
                        );
                    }
                    let anchors = &state.tensors[&format!("{name}.anchors")].data;
                    let which = if name == "support" {
                        Which::Support
                    } else {
                        Which::Trivial
                    };
                    let net = model.net.valid();
                    let f = floats(net.features(t2(anchors.clone(), [c * m, 2]), which));
                    for (j, (a, p)) in anchors.chunks(2).zip(protos.chunks(ADD_ON[1])).enumerate() {
                        let i = (0..data.len())
                            .find(|&i| data.row(i) == a)
                            .expect("an anchor is a training point");
                        assert_eq!(
                            data.y[i] as usize,
                            j / m,
                            "{name} prototype {j} sits on a point of its own class"
                        );
                        let fj = &f[j * ADD_ON[1]..(j + 1) * ADD_ON[1]];
                        assert!(
                            fj.iter().zip(p).all(|(x, y)| (x - y).abs() <= 1e-6),
                            "{name} prototype {j} is its source's feature"
                        );
                    }
                    let dist = boundary_distances(&model, &data, anchors);
                    if name == "support" {
                        d_support.extend(dist)
                    } else {
                        d_trivial.extend(dist)
                    }
                    let g = |nm: &str| {
                        let p = &state.tensors[&format!("{nm}.prototypes")].data;
                        let t = t2(p.clone(), [c * m, ADD_ON[1]]);
                        cross_class_cosine(&floats(t.clone().matmul(t.transpose())), c, m)
                    };
                    if name == "support" {
                        gap += (g("support") - g("trivial")) / 5.0
                    }
                }
                let acc = |model: &dyn Classifier| {
                    let p = floats(model.predict_proba(t2(test.x.clone(), [test.len(), 2])));
                    p.chunks(c)
                        .zip(&test.y)
                        .filter(|(r, y)| crate::viz::argmax(r) as u32 == **y)
                        .count() as f64
                        / test.len() as f64
                };
                let both = acc(&model);
                let mut only = Vec::new();
                for show in ["trivial", "support"] {
                    let mut params = Params::defaults(SPEC.params);
                    params
                        .set(&SHOW, crate::params::ParamValue::Choice(show.into()))
                        .unwrap();
                    assert!(model.tune(&params));
                    only.push(acc(&model));
                }
                eprintln!(
                    "{kind:?} seed {seed}: accuracy both {both:.3}, trivial {:.3}, support {:.3}",
                    only[0], only[1]
                );
                assert!(
                    both >= only[0].max(only[1]) - 0.01,
                    "{kind:?} seed {seed}: combined {both} vs branches {only:?}"
                );
                if kind == DatasetKind::Moons {
                    assert!(both >= 0.97, "moons seed {seed}: accuracy {both}");
                }
            }
            let (ms, mt) = (median(d_support), median(d_trivial));
            eprintln!(
                "{kind:?}: median distance to the boundary support {ms:.3} vs trivial {mt:.3}; cosine gap {gap:.3}"
            );
            assert!(ms <= 0.6 * mt, "{kind:?}: support {ms} vs trivial {mt}");
            assert!(gap >= 0.3, "{kind:?}: cross-class cosine gap {gap}");
        }
    }

    #[test]
    fn dragging_a_prototype_equals_inference_with_the_moved_prototype() {
        // A dragged prototype becomes the branch feature of the drop point; a model restored
        // from the same numbers with that prototype row set to that feature predicts the same.
        use crate::data::{DatasetKind, ToyConfig, generate};
        let data = generate(&ToyConfig { kind: DatasetKind::Moons, n: 200, noise: 0.1, seed: 2, classes: 2 });
        let ad = Device::flex().autodiff();
        let params = Params::defaults(SPEC.params);
        let mut model = StProtoPNet::new(&params, &TrainData::new(&data, &ad).unwrap(), 1).unwrap();
        for _ in 0..40 {
            model.step().unwrap();
        }
        let grid = t2(crate::viz::grid_points(data.view_bounds(0.1), 30, 2), [900, 2]);
        let before = floats(model.predict_proba(grid.clone()));
        let to = [0.3f32, 0.1];
        for (overlay, name, which) in [("support prototypes", "support", Which::Support), ("trivial prototypes", "trivial", Which::Trivial)] {
            let mut state = ModelState::read(&model).unwrap();
            let feature = floats(model.net.valid().features(t2(to.to_vec(), [1, 2]), which));
            model.drag(overlay, 1, &to).unwrap();
            let dragged = floats(model.predict_proba(grid.clone()));
            state.tensors.get_mut(&format!("{name}.prototypes")).unwrap().data[ADD_ON[1]..2 * ADD_ON[1]].copy_from_slice(&feature);
            let rerun = floats(SPEC.restore(&params, &state, &dev()).unwrap().predict_proba(grid.clone()));
            let worst = dragged.iter().zip(&rerun).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst <= 1e-6, "{overlay}: drag vs rerun differ by {worst}");
            // The view now shows the prototype at the drop point.
            let eval = EvalPoints { x: t2(data.x.clone(), [200, 2]), labels: &data.y, n_train: 200 };
            let o = model.overlays(&eval).into_iter().find(|o| o.label == overlay).unwrap();
            let OverlayCoords::Device(at) = o.coords else { panic!("device coordinates") };
            assert_eq!(&floats(at)[2..4], &to);
        }
        assert_ne!(before, floats(model.predict_proba(grid)), "moving prototypes changes the boundary");
        // Training carries on after a drag.
        model.step().unwrap();
        assert!(model.drag("support prototypes", 99, &to).is_err());
        assert!(model.drag("nothing", 0, &to).is_err());
    }
}
