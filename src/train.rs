//! The training session: data on the device, the model, the step counter, the loss history, and
//! the one batched read-back per refresh (predictions for train, test and the whole grid, the
//! pending losses and any overlay geometry, in a single transaction).
//!
//! The session is synchronous and bounded per call; the page's async driver (in `app`) decides how
//! many steps fit in a frame and when to read back, so the same session runs natively in tests.

use crate::classifiers::{Classifier, EvalPoints, Figure, FigureView, Marker, ModelSpec, Overlay, OverlayCoords, OverlayKind, TrainData, points_tensor, predict_chunked};
use crate::data::plane::Plane;
use crate::data::{Bounds, Dataset, Split};
use crate::error::LabError;
use crate::params::Params;
use crate::viz;
use burn::tensor::{Device, Tensor, TensorData, Transaction};

/// Everything a session is built from (the part of the page state that needs a rebuild).
pub struct SessionSetup<'a> {
    pub spec: &'static ModelSpec,
    pub params: &'a Params,
    pub split: &'a Split,
    pub seed: u64,
    pub max_steps: usize,
    /// Grid resolution per side for the decision boundary.
    pub grid: usize,
    pub bounds: Bounds,
    /// The plane of feature space the view shows; `None`: the first two features.
    pub plane: Option<&'a Plane>,
}

impl<'a> SessionSetup<'a> {
    /// Seed 1, the classifier's default step budget, a 16x16 grid over the training data's first
    /// two features; change fields with struct update syntax.
    pub fn new(spec: &'static ModelSpec, params: &'a Params, split: &'a Split) -> Self {
        Self { spec, params, split, seed: 1, max_steps: spec.default_steps, grid: 16, bounds: split.train.view_bounds(0.1), plane: None }
    }
}

/// One drag of a model's marker, replayed by a session: at training step `step`, row `row` of
/// the draggable overlay labelled `overlay`, moved to `to` (input space).
#[derive(Clone, Debug, PartialEq)]
pub struct DragEdit {
    pub step: usize,
    pub overlay: String,
    pub row: usize,
    pub to: Vec<f32>,
}

pub struct Session {
    pub spec: &'static ModelSpec,
    model: Box<dyn Classifier>,
    train: TrainData,
    test: Dataset,
    /// `[n_train + n_test + grid^2, dim]`: everything we predict on, uploaded once.
    eval_x: Tensor<2>,
    /// `[PROBE_GRID^2, dim]`: the coarse grid over the view that guides the adversarial search.
    probes: Tensor<2>,
    /// Classes of the first `n_train + n_test` rows of `eval_x`.
    eval_labels: Vec<u32>,
    pub grid: usize,
    pub bounds: Bounds,
    /// The plane of feature space the grid covers (the first two features by default).
    pub plane: Plane,
    pub step: usize,
    pub max_steps: usize,
    converged: bool,
    /// Rows per inference block (see [`crate::classifiers::predict_chunked`]); set by the entry
    /// point for the device it chose.
    infer_chunk: Option<usize>,
    /// Loss tensors of the steps since the last read-back, with their step numbers.
    pending: Vec<(usize, Tensor<1>)>,
    /// Read loss values, `(step, loss)`.
    pub history: Vec<(usize, f32)>,
    /// Search each shown point's minimal adversarial perturbation at every read.
    adversarial: bool,
    /// Drags to replay (sorted by step) and how many were applied.
    drags: Vec<DragEdit>,
    drags_done: usize,
    /// Why a replayed drag could not be applied (a link's drag that does not fit the model).
    pub drag_errors: Vec<String>,
}

/// What one read-back yields: everything the view draws.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub step: usize,
    pub train_acc: f64,
    pub test_acc: Option<f64>,
    /// Predicted class per training and per test point.
    pub train_pred: Vec<u32>,
    pub test_pred: Vec<u32>,
    /// `[grid * grid, n_classes]` probabilities, row 0 at the top of the view.
    pub grid_probs: Vec<f32>,
    /// `[n_train + n_test, n_classes]` probabilities of the training then the test points.
    pub point_probs: Vec<f32>,
    pub grid: usize,
    pub n_classes: usize,
    pub overlays: Vec<ResolvedOverlay>,
    /// The model's figures beside the view, by title.
    pub figures: Vec<(String, FigureView)>,
    /// A rule learner's program at this step (host data, nothing read back).
    pub program: Option<crate::classifiers::Program>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedOverlay {
    pub label: String,
    pub kind: OverlayKind,
    /// Row-major; row width as documented on [`crate::classifiers::Overlay::coords`].
    pub coords: Vec<f32>,
    pub width: usize,
    pub classes: Vec<u32>,
    pub marker: Marker,
    pub draggable: bool,
    pub on_hover: bool,
}

/// An overlay waiting for its read-back: its host coordinates, or `None` when they come from the
/// transaction.
pub struct PendingOverlay {
    overlay: Overlay,
    host: Option<Vec<f32>>,
}

/// A figure waiting for its `tensors` read-backs.
pub struct PendingFigure {
    title: String,
    tensors: usize,
    render: Box<dyn FnOnce(Vec<Vec<f32>>) -> FigureView>,
}

/// The tensors one refresh reads, in transaction order, and how to interpret them.
pub struct ReadPlan {
    transaction: Transaction,
    loss_steps: Vec<usize>,
    overlays: Vec<PendingOverlay>,
    figures: Vec<PendingFigure>,
    step: usize,
}

impl Session {
    pub fn new(setup: &SessionSetup, device: &Device) -> Result<Self, LabError> {
        Self::build(setup, device, None)
    }

    /// A session around a model that is already trained (a loaded model file): it predicts and
    /// draws like any other, and has nothing to train.
    pub fn with_model(setup: &SessionSetup, device: &Device, model: Box<dyn Classifier>) -> Result<Self, LabError> {
        Self::build(setup, device, Some(model))
    }

    fn build(setup: &SessionSetup, device: &Device, trained: Option<Box<dyn Classifier>>) -> Result<Self, LabError> {
        let train = TrainData::new(&setup.split.train, device)?;
        let done = trained.is_some();
        let model = match trained {
            Some(m) => m,
            None => setup.spec.build(setup.params, &train, setup.seed)?,
        };
        let test = setup.split.test.clone();
        let plane = setup.plane.cloned().unwrap_or_else(|| Plane::first_two(&train.host));
        let eval_x = eval_points(&train.host, &test, setup.grid, setup.bounds, &plane, device);
        let probes = probe_points(&plane, setup.bounds, train.dim(), device);
        let eval_labels = train.host.y.iter().chain(&test.y).copied().collect();
        Ok(Self {
            spec: setup.spec,
            model,
            train,
            test,
            eval_x,
            probes,
            eval_labels,
            grid: setup.grid,
            bounds: setup.bounds,
            plane,
            step: 0,
            max_steps: setup.max_steps,
            converged: done,
            infer_chunk: None,
            pending: Vec::new(),
            history: Vec::new(),
            adversarial: false,
            drags: Vec::new(),
            drags_done: 0,
            drag_errors: Vec::new(),
        })
    }

    /// Replays `drags` at their steps: a drag at step s happens after s steps, before step s + 1
    /// (and before the read at s), as it did when the user made it.
    pub fn schedule_drags(&mut self, mut drags: Vec<DragEdit>) {
        drags.sort_by_key(|d| d.step);
        self.drags = drags;
        self.drags_done = 0;
        self.apply_due_drags();
    }

    fn apply_due_drags(&mut self) {
        while let Some(d) = self.drags.get(self.drags_done).filter(|d| d.step <= self.step) {
            if let Err(e) = self.model.drag(&d.overlay, d.row, &d.to) {
                self.drag_errors.push(format!("drag of {} {} at step {}: {e}", d.overlay, d.row, d.step));
            }
            self.drags_done += 1;
        }
    }

    /// Changes the boundary grid (resolution or view) without touching the model: the next
    /// read-back uses it.
    pub fn set_view(&mut self, grid: usize, bounds: Bounds) {
        self.eval_x = eval_points(&self.train.host, &self.test, grid, bounds, &self.plane, &self.train.device);
        self.probes = probe_points(&self.plane, bounds, self.train.dim(), &self.train.device);
        self.grid = grid;
        self.bounds = bounds;
    }

    /// Shows another plane of feature space (a slice or principal components), again without
    /// retraining.
    pub fn set_plane(&mut self, plane: Plane, bounds: Bounds) {
        self.plane = plane;
        self.set_view(self.grid, bounds);
    }

    /// Infers in blocks of `rows` rows (None: all at once). Changes no result, only speed.
    pub fn set_infer_chunk(&mut self, rows: Option<usize>) {
        self.infer_chunk = rows;
    }

    /// Training is over: the step budget is spent or the model has converged.
    pub fn is_done(&self) -> bool {
        self.converged || self.step >= self.max_steps
    }

    /// One bounded unit of work. Queues device work; reads nothing back.
    pub fn step(&mut self) -> Result<(), LabError> {
        self.apply_due_drags();
        if self.is_done() {
            return Ok(());
        }
        let out = self.model.step()?;
        self.step += 1;
        self.converged = out.converged;
        if let Some(loss) = out.loss {
            self.pending.push((self.step, loss));
        }
        Ok(())
    }

    /// Collects the tensors for one read-back: one forward pass over train, test and grid, the
    /// pending losses (concatenated into one tensor) and device-side overlay coordinates.
    pub fn plan_read(&mut self) -> ReadPlan {
        self.apply_due_drags();
        let probs = predict_chunked(self.model.as_ref(), self.eval_x.clone(), self.infer_chunk);
        let mut tx = Transaction::default().register(probs);
        let pending = std::mem::take(&mut self.pending);
        let loss_steps: Vec<usize> = pending.iter().map(|(s, _)| *s).collect();
        if !pending.is_empty() {
            tx = tx.register(Tensor::cat(pending.into_iter().map(|(_, l)| l.reshape([1])).collect(), 0));
        }
        let shown = self.eval_labels.len();
        let dim = self.train.dim();
        let eval = EvalPoints { x: self.eval_x.clone().slice([0..shown, 0..dim]), labels: &self.eval_labels, n_train: self.train.n() };
        let (adv_overlays, adv_figure) = if self.adversarial { adversarial_view(self.model.as_ref(), &eval, self.probes.clone()) } else { (Vec::new(), None) };
        let mut overlays = Vec::new();
        for mut o in self.model.overlays(&eval).into_iter().chain(adv_overlays) {
            let coords = std::mem::replace(&mut o.coords, OverlayCoords::Host(Vec::new()));
            let host = match coords {
                OverlayCoords::Host(v) => Some(v),
                OverlayCoords::Device(t) => {
                    tx = tx.register(t.without_autodiff());
                    None
                }
            };
            overlays.push(PendingOverlay { overlay: o, host });
        }
        let mut figures = Vec::new();
        for f in adv_figure.into_iter().chain(self.model.figures(&eval)) {
            let tensors = f.tensors.len();
            for t in f.tensors {
                tx = tx.register(t.without_autodiff());
            }
            figures.push(PendingFigure { title: f.title, tensors, render: f.render });
        }
        ReadPlan { transaction: tx, loss_steps, overlays, figures, step: self.step }
    }

    /// Adds (or drops) the adversarial view: arrows to each shown point's minimal adversarial
    /// perturbation and the histogram of their lengths, recomputed at every read.
    pub fn set_adversarial(&mut self, on: bool) {
        self.adversarial = on;
    }

    /// Moves a draggable overlay's point (see [`Classifier::drag`]); the next read shows the
    /// moved model. No training happens.
    pub fn drag(&mut self, overlay: &str, index: usize, to: &[f32]) -> Result<(), LabError> {
        self.model.drag(overlay, index, to)
    }

    /// Applies parameters that need no retraining; false: the caller must rebuild.
    pub fn tune(&mut self, params: &Params) -> bool {
        self.model.tune(params)
    }

    /// Reads a plan back synchronously (native only; the page uses [`ReadPlan::execute_async`]).
    #[cfg(not(target_family = "wasm"))]
    pub fn read_blocking(&mut self) -> Result<Snapshot, LabError> {
        let plan = self.plan_read();
        let data = plan.transaction.try_execute().map_err(|e| LabError::Device(format!("{e:?}")))?;
        self.finish_read(plan.loss_steps, plan.overlays, plan.figures, plan.step, data)
    }

    /// Turns read data into a snapshot; records losses and detects divergence.
    pub fn finish_read(
        &mut self,
        loss_steps: Vec<usize>,
        overlays: Vec<PendingOverlay>,
        figures: Vec<PendingFigure>,
        step: usize,
        data: Vec<TensorData>,
    ) -> Result<Snapshot, LabError> {
        let mut data = data.into_iter();
        let floats = |d: Option<TensorData>| -> Result<Vec<f32>, LabError> {
            d.ok_or_else(|| LabError::Device("missing read-back".into()))?
                .convert::<f32>()
                .try_to_vec::<f32>()
                .map_err(|e| LabError::Device(format!("{e:?}")))
        };
        let probs = floats(data.next())?;
        if !loss_steps.is_empty() {
            let losses = floats(data.next())?;
            for (s, l) in loss_steps.into_iter().zip(losses) {
                if !l.is_finite() {
                    return Err(LabError::Diverged { step: s });
                }
                self.history.push((s, l));
            }
        }
        let c = self.train.n_classes();
        if probs.iter().any(|p| !p.is_finite()) {
            return Err(LabError::Diverged { step });
        }
        let n_train = self.train.n();
        let n_test = self.test.len();
        let argmax = |row: &[f32]| viz::argmax(row) as u32;
        let rows: Vec<u32> = probs.chunks(c).take(n_train + n_test).map(argmax).collect();
        let (train_pred, test_pred) = rows.split_at(n_train);
        let mut resolved = Vec::new();
        for PendingOverlay { overlay: o, host } in overlays {
            let coords = match host {
                Some(v) => v,
                None => floats(data.next())?,
            };
            let width = coords.len() / o.classes.len().max(1);
            resolved.push(ResolvedOverlay { label: o.label, kind: o.kind, coords, width, classes: o.classes, marker: o.marker, draggable: o.draggable, on_hover: o.on_hover });
        }
        let mut views = Vec::new();
        for f in figures {
            let parts = (0..f.tensors).map(|_| floats(data.next())).collect::<Result<Vec<_>, _>>()?;
            views.push((f.title, (f.render)(parts)));
        }
        Ok(Snapshot {
            step,
            train_acc: accuracy(train_pred, &self.train.host.y).unwrap_or(0.0),
            test_acc: accuracy(test_pred, &self.test.y),
            train_pred: train_pred.to_vec(),
            test_pred: test_pred.to_vec(),
            grid_probs: probs[(n_train + n_test) * c..].to_vec(),
            point_probs: probs[..(n_train + n_test) * c].to_vec(),
            grid: self.grid,
            n_classes: c,
            overlays: resolved,
            figures: views,
            program: self.model.program(),
        })
    }

    pub fn train_set(&self) -> &Dataset {
        &self.train.host
    }
    pub fn test_set(&self) -> &Dataset {
        &self.test
    }
    pub fn model(&self) -> &dyn Classifier {
        self.model.as_ref()
    }
}

impl ReadPlan {
    /// Reads everything in one async transaction (the only kind of read-back allowed on wasm).
    pub async fn execute_async(self, session: &std::cell::RefCell<Session>) -> Result<Snapshot, LabError> {
        let data = self.transaction.execute_async().await.map_err(|e| LabError::Device(format!("{e:?}")))?;
        session.borrow_mut().finish_read(self.loss_steps, self.overlays, self.figures, self.step, data)
    }
}

/// Shown points searched for adversarial perturbations per refresh (the first ones, train then test).
pub const ADVERSARIAL_POINTS: usize = 1000;
/// Side of the grid over the view whose classes guide the adversarial search where DeepFool
/// fails (its crossings are then within one cell of the nearest boundary in the view's plane).
pub const PROBE_GRID: usize = 48;

/// The adversarial view of the shown points: arrows from each point to its minimal adversarial
/// perturbation, and the histogram of their lengths with the mean; for a model without input
/// gradients, a figure that says so.
fn adversarial_view(model: &dyn Classifier, eval: &EvalPoints, probes: Tensor<2>) -> (Vec<Overlay>, Option<Figure>) {
    let [n, dim] = eval.x.dims();
    let n = n.min(ADVERSARIAL_POINTS);
    let x = eval.x.clone().slice([0..n, 0..dim]);
    let title = "Adversarial distance".to_string();
    let Some((adv, found, bound)) = crate::adversarial::minimal_perturbations(model, x.clone(), Some(probes)) else {
        let note = "This classifier has no input gradients (rules, neighbours or class densities): the gradient search for adversarial examples does not apply.".to_string();
        let render = Box::new(move |_: Vec<Vec<f32>>| FigureView::Histogram { edges: Vec::new(), counts: Vec::new(), x_label: "adversarial distance".into(), note });
        return (Vec::new(), Some(Figure { title, tensors: Vec::new(), render }));
    };
    // Two sets of arrows: DeepFool's (near-minimal) and the fallback's (upper bounds, drawn
    // dashed); a row of the other set points nowhere (from = to), which the view skips.
    let bound2 = bound.clone().reshape([n, 1]).expand([n, dim]);
    let minimal_to = adv.clone().mask_where(bound2.clone(), x.clone());
    let bound_to = x.clone().mask_where(bound2, adv.clone());
    let classes = eval.labels[..n].to_vec();
    let minimal = Overlay::new("adversarial", OverlayKind::Arrows, OverlayCoords::Device(Tensor::cat(vec![x.clone(), minimal_to], 1)), classes.clone());
    let upper = Overlay { marker: Marker::Ring, ..Overlay::new("adversarial (upper bound)", OverlayKind::Arrows, OverlayCoords::Device(Tensor::cat(vec![x.clone(), bound_to], 1)), classes) };
    let d = crate::adversarial::distances(x, adv).reshape([n, 1]);
    let found = found.float().reshape([n, 1]);
    let bound = bound.float().reshape([n, 1]);
    let render = Box::new(move |v: Vec<Vec<f32>>| adversarial_histogram(&v[0], &v[1], &v[2]));
    (vec![minimal, upper], Some(Figure { title, tensors: vec![d, found, bound], render }))
}

/// Histogram of the lengths of the perturbations found, with their mean, how many searches
/// crossed a boundary and how many of those are upper bounds.
pub fn adversarial_histogram(distances: &[f32], found: &[f32], bound: &[f32]) -> FigureView {
    let d: Vec<f32> = distances.iter().zip(found).filter(|(_, f)| **f > 0.5).map(|(d, _)| *d).collect();
    let upper = found.iter().zip(bound).filter(|(f, b)| **f > 0.5 && **b > 0.5).count();
    let mean = d.iter().map(|v| *v as f64).sum::<f64>() / d.len().max(1) as f64;
    let mut note = format!(
        "Mean distance to the nearest other class: {mean:.3} (input units), over {} of {} points: the nearer of DeepFool's crossing and the crossing toward the nearest point of another class on a 48×48 grid over the view (within a grid cell of the boundary).",
        d.len(),
        distances.len()
    );
    if upper > 0 {
        note.push_str(&format!(" For {upper} of them only the segment toward the nearest shown point of another class crossed: an upper bound, not the minimum (dashed arrows)."));
    }
    FigureView::histogram(&d, "adversarial distance", note)
}

/// `[n_train + n_test + grid^2, dim]`: everything a refresh predicts on, uploaded once; the grid
/// is points of the view plane in feature space.
fn eval_points(train: &Dataset, test: &Dataset, grid: usize, bounds: Bounds, plane: &Plane, device: &Device) -> Tensor<2> {
    let dim = train.dim;
    let mut all = Vec::with_capacity((train.len() + test.len() + grid * grid) * dim);
    all.extend_from_slice(&train.x);
    all.extend_from_slice(&test.x);
    all.extend(plane.grid_points(bounds, grid));
    points_tensor(&all, dim, &device.clone().without_autodiff())
}

/// `[PROBE_GRID^2, dim]`: points of the view plane in feature space, for the adversarial search.
fn probe_points(plane: &Plane, bounds: Bounds, dim: usize, device: &Device) -> Tensor<2> {
    points_tensor(&plane.grid_points(bounds, PROBE_GRID), dim, &device.clone().without_autodiff())
}

/// Fraction of `pred` equal to `truth`; `None` for an empty set.
pub fn accuracy(pred: &[u32], truth: &[u32]) -> Option<f64> {
    if truth.is_empty() {
        return None;
    }
    Some(pred.iter().zip(truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64)
}
