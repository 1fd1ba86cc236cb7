//! A fully connected network trained by minibatch gradient descent: the engine behind the MLP and
//! logistic regression (a network without hidden layers), so both share one tested code path.

use super::{Classifier, StepOutput, TrainData};
use crate::error::LabError;
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::activation::{gelu, log_softmax, relu, sigmoid, softmax, tanh};
use burn::tensor::{Int, Tensor, TensorData};

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
    optim: ModuleOptimizer,
    cfg: NetConfig,
    x: Tensor<2>,
    /// `[n, C]`
    y: Tensor<2>,
    n: usize,
    rng: Rng,
    /// Epoch permutation and the position of the next minibatch in it.
    order: Vec<usize>,
    cursor: usize,
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
        Ok(Self {
            layers: Layers { layers },
            activation: cfg.activation,
            optim,
            x: data.x.clone(),
            y: data.y_onehot.clone(),
            n: data.n(),
            rng: Rng::derive(seed, 0xBA7C),
            order: (0..data.n()).collect(),
            cursor: usize::MAX,
            cfg,
        })
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
    fn batch(&mut self) -> (Tensor<2>, Tensor<2>) {
        if self.cfg.batch >= self.n {
            return (self.x.clone(), self.y.clone());
        }
        if self.cursor >= self.n {
            self.rng.shuffle(&mut self.order);
            self.cursor = 0;
        }
        let end = (self.cursor + self.cfg.batch).min(self.n);
        let idx: Vec<i64> = self.order[self.cursor..end].iter().map(|&i| i as i64).collect();
        self.cursor = end;
        let idx = Tensor::<1, Int>::from_data(TensorData::new(idx.clone(), [idx.len()]), &self.x.device());
        (self.x.clone().select(0, idx.clone()), self.y.clone().select(0, idx))
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
        let (x, y) = self.batch();
        let loss = self.loss(x, y);
        let grads = GradientsParams::from_grads(loss.backward(), &self.layers);
        let layers = self.layers.clone();
        self.layers = self.optim.step(self.cfg.lr, layers, grads);
        Ok(StepOutput { loss: Some(loss.detach().without_autodiff()), converged: false })
    }

    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2> {
        // `valid()` drops autodiff so inference records no graph.
        let layers = self.layers.valid();
        softmax(Self::logits(&layers, self.activation, x.without_autodiff()), 1)
    }
}
