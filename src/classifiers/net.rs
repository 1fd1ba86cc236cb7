//! A fully connected network trained by minibatch gradient descent: the engine behind the MLP and
//! logistic regression (a network without hidden layers), so both share one tested code path.

use super::{Classifier, ModelState, StepOutput, TrainData};
use crate::error::LabError;
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::activation::{gelu, log_softmax, relu, sigmoid, softmax, tanh};
use burn::tensor::{Device, Tensor, TensorData};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
    Linear,
}

impl Activation {
    pub const KEYS: &'static [&'static str] = &["relu", "tanh", "sigmoid", "gelu", "linear"];

    pub fn from_key(key: &str) -> Self {
        match key {
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "gelu" => Activation::Gelu,
            "linear" => Activation::Linear,
            _ => Activation::Relu,
        }
    }

    fn apply(self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Activation::Relu => relu(x),
            Activation::Tanh => tanh(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::Gelu => gelu(x),
            Activation::Linear => x,
        }
    }

    /// He initialisation suits the rectifiers, Glorot the saturating and linear units.
    fn init_bound(self, fan_in: usize, fan_out: usize) -> f64 {
        match self {
            Activation::Relu | Activation::Gelu => (6.0 / fan_in as f64).sqrt(),
            _ => (6.0 / (fan_in + fan_out) as f64).sqrt(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    Sgd,
    Adam,
}

pub struct NetConfig {
    /// Hidden widths; empty gives multinomial logistic regression.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    /// Minibatch size; at least the training-set size means full batch.
    pub batch: usize,
    pub l1: f64,
    pub l2: f64,
}

#[derive(Module, Debug)]
struct Layers {
    layers: Vec<Linear>,
}

pub struct Net {
    layers: Layers,
    activation: Activation,
    cfg: NetConfig,
    /// `None` for a network restored from a model file: it predicts, and has nothing to train on.
    trainer: Option<Trainer>,
}

/// What training needs beyond the weights.
struct Trainer {
    optim: ModuleOptimizer,
    x: Tensor<2>,
    /// `[n, C]`
    y: Tensor<2>,
    batches: super::encoder::Batches,
}

impl Net {
    pub fn new(cfg: NetConfig, data: &TrainData, seed: u64) -> Result<Self, LabError> {
        if !(cfg.lr.is_finite() && cfg.lr > 0.0) {
            return Err(LabError::InvalidParam("the learning rate must be positive".into()));
        }
        let mut widths = vec![data.dim()];
        widths.extend(&cfg.hidden);
        widths.push(data.n_classes());
        let mut init = Rng::derive(seed, 0x1417);
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let (fan_in, fan_out) = (w[0], w[1]);
                // The output layer feeds a softmax: Glorot keeps initial logits small.
                let act = if i + 2 == widths.len() { Activation::Linear } else { cfg.activation };
                let b = act.init_bound(fan_in, fan_out);
                let weights: Vec<f32> =
                    (0..fan_in * fan_out).map(|_| init.range(-b, b) as f32).collect();
                // burn's row layout: weight is [d_in, d_out].
                let weight = Tensor::<2>::from_data(TensorData::new(weights, [fan_in, fan_out]), &data.device);
                let bias = Tensor::<1>::zeros([fan_out], &data.device);
                Linear { weight: Param::from_tensor(weight), bias: Some(Param::from_tensor(bias)) }
            })
            .collect();
        let optim = match cfg.optimizer {
            OptimizerKind::Sgd => SgdConfig::new().init(),
            OptimizerKind::Adam => AdamConfig::new().with_epsilon(1e-8).init(),
        };
        let trainer = Trainer {
            optim,
            x: data.x.clone(),
            y: data.y_onehot.clone(),
            batches: super::encoder::Batches::new(data.n(), seed),
        };
        Ok(Self { layers: Layers { layers }, activation: cfg.activation, cfg, trainer: Some(trainer) })
    }

    /// A trained network from its saved weights (`layer{i}.weight` `[d_in, d_out]`,
    /// `layer{i}.bias` `[1, d_out]`), for prediction only.
    pub fn restore(cfg: NetConfig, state: &ModelState, device: &Device) -> Result<Self, LabError> {
        let mut layers = Vec::new();
        for i in 0..=cfg.hidden.len() {
            let weight = state.tensor(&format!("layer{i}.weight"), device)?;
            let bias = state.tensor(&format!("layer{i}.bias"), device)?;
            let [d_in, d_out] = weight.dims();
            if bias.dims() != [1, d_out] || (i < cfg.hidden.len() && d_out != cfg.hidden[i]) || layers.last().is_some_and(|l: &Linear| l.weight.dims()[1] != d_in) {
                return Err(LabError::Data(format!("the saved layer {i} does not fit the network's shape")));
            }
            layers.push(Linear { weight: Param::from_tensor(weight), bias: Some(Param::from_tensor(bias.reshape([d_out]))) });
        }
        Ok(Self { layers: Layers { layers }, activation: cfg.activation, cfg, trainer: None })
    }

    /// Logits `[n, n_classes]`.
    fn logits(layers: &Layers, activation: Activation, mut x: Tensor<2>) -> Tensor<2> {
        let last = layers.layers.len() - 1;
        for (i, layer) in layers.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = activation.apply(x);
            }
        }
        x
    }

    /// The next minibatch: the whole set, or the next slice of a seeded per-epoch permutation.
    fn batch(t: &mut Trainer, batch: usize) -> (Tensor<2>, Tensor<2>) {
        match t.batches.next_tensor(batch, &t.x.device()) {
            None => (t.x.clone(), t.y.clone()),
            Some(idx) => (t.x.clone().select(0, idx.clone()), t.y.clone().select(0, idx)),
        }
    }

    /// Mean cross-entropy plus the L1/L2 penalties on the weights (not the biases).
    fn loss(&self, x: Tensor<2>, onehot: Tensor<2>) -> Tensor<1> {
        let b = onehot.dims()[0];
        let logp = log_softmax(Self::logits(&self.layers, self.activation, x), 1);
        let mut loss = (logp * onehot).sum().div_scalar(b as f64).neg();
        if self.cfg.l2 > 0.0 {
            for l in &self.layers.layers {
                loss = loss + l.weight.val().powi_scalar(2).sum().mul_scalar(self.cfg.l2);
            }
        }
        if self.cfg.l1 > 0.0 {
            for l in &self.layers.layers {
                loss = loss + l.weight.val().abs().sum().mul_scalar(self.cfg.l1);
            }
        }
        loss
    }
}

impl Classifier for Net {
    /// One optimiser update on one minibatch.
    fn step(&mut self) -> Result<StepOutput, LabError> {
        let batch = self.cfg.batch;
        let Some(t) = self.trainer.as_mut() else { return Ok(StepOutput { loss: None, converged: true }) };
        let (x, y) = Self::batch(t, batch);
        let loss = self.loss(x, y);
        let grads = GradientsParams::from_grads(loss.backward(), &self.layers);
        let layers = self.layers.clone();
        let t = self.trainer.as_mut().expect("checked above");
        self.layers = t.optim.step(self.cfg.lr, layers, grads);
        Ok(StepOutput { loss: Some(loss.detach().without_autodiff()), converged: false })
    }

    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2> {
        // `valid()` drops autodiff so inference records no graph.
        let layers = self.layers.valid();
        softmax(Self::logits(&layers, self.activation, x.without_autodiff()), 1)
    }

    /// The logits.
    fn scores(&self, x: Tensor<2>) -> Option<Tensor<2>> {
        Some(Self::logits(&self.layers.valid(), self.activation, x))
    }

    fn state(&self) -> Vec<(String, Tensor<2>)> {
        let mut out = Vec::new();
        for (i, l) in self.layers.layers.iter().enumerate() {
            out.push((format!("layer{i}.weight"), l.weight.val()));
            if let Some(b) = &l.bias {
                out.push((format!("layer{i}.bias"), b.val().unsqueeze::<2>()));
            }
        }
        out
    }
}
