//! Multi-layer perceptron: hidden layers of chosen widths and activation, softmax output,
//! cross-entropy with optional L1/L2 penalties, SGD or Adam on minibatches.

use super::net::{Activation, Net, NetConfig, OptimizerKind};
use super::{Classifier, Family, ModelSpec, ModelState, TrainData};
use burn::tensor::Device;
use crate::error::LabError;
use crate::params::{ParamKind, ParamSpec, Params};

/// Parameters shared by every gradient-trained network in the registry.
pub(crate) const LR: ParamSpec = ParamSpec {
    key: "lr",
    label: "Learning rate",
    doc: "Step size of the optimiser. Too large and the loss diverges; too small and nothing moves.",
    kind: ParamKind::Float { min: 1e-5, max: 10.0, default: 0.03, log: true },
};
pub(crate) const OPTIMIZER: ParamSpec = ParamSpec {
    key: "opt",
    label: "Optimizer",
    doc: "Plain stochastic gradient descent, or Adam (adaptive per-weight step sizes).",
    kind: ParamKind::Choice { options: &["adam", "sgd"], default: "adam" },
};
pub(crate) const BATCH: ParamSpec = ParamSpec {
    key: "batch",
    label: "Batch size",
    doc: "Points per gradient step; at least the training-set size means full-batch descent.",
    kind: ParamKind::Int { min: 1, max: 100_000, default: 1_000 },
};
pub(crate) const L1: ParamSpec = ParamSpec {
    key: "l1",
    label: "L1 penalty",
    doc: "lambda * sum |w| added to the loss: drives weights to exactly zero.",
    kind: ParamKind::Float { min: 0.0, max: 1.0, default: 0.0, log: false },
};
pub(crate) const L2: ParamSpec = ParamSpec {
    key: "l2",
    label: "L2 penalty",
    doc: "lambda * sum w^2 added to the loss: shrinks weights, smooths the boundary.",
    kind: ParamKind::Float { min: 0.0, max: 1.0, default: 0.0, log: false },
};

const LAYERS: ParamSpec = ParamSpec {
    key: "layers",
    label: "Hidden layers",
    doc: "Widths of the hidden layers, comma-separated (e.g. 16,16). Empty gives a linear model.",
    kind: ParamKind::IntList { min_len: 0, max_len: 6, min: 1, max: 256, default: &[16, 16] },
};
const ACTIVATION: ParamSpec = ParamSpec {
    key: "act",
    label: "Activation",
    doc: "Non-linearity after each hidden layer.",
    kind: ParamKind::Choice { options: Activation::KEYS, default: "relu" },
};

pub static SPEC: ModelSpec = ModelSpec {
    name: "mlp",
    label: "Neural network (MLP)",
    family: Family::NeuralNetwork,
    summary: "Fully connected layers with a non-linearity, trained by backpropagation on the \
              cross-entropy loss. One step is one minibatch update.",
    params: &[LAYERS, ACTIVATION, LR, OPTIMIZER, BATCH, L1, L2],
    default_steps: 500,
    builder: build,
    restore,
};

/// The training half of a network's configuration, read from the shared keys above.
pub(crate) fn net_config(params: &Params, hidden: Vec<usize>, activation: Activation) -> NetConfig {
    NetConfig {
        hidden,
        activation,
        optimizer: match params.choice("opt") {
            "sgd" => OptimizerKind::Sgd,
            _ => OptimizerKind::Adam,
        },
        lr: params.f64("lr"),
        batch: params.usize("batch"),
        l1: params.f64("l1"),
        l2: params.f64("l2"),
    }
}

fn build(params: &Params, data: &TrainData, seed: u64) -> Result<Box<dyn Classifier>, LabError> {
    let cfg = net_config(params, params.list("layers"), Activation::from_key(params.choice("act")));
    Ok(Box::new(Net::new(cfg, data, seed)?))
}

fn restore(params: &Params, state: &ModelState, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
    let cfg = net_config(params, params.list("layers"), Activation::from_key(params.choice("act")));
    Ok(Box::new(Net::restore(cfg, state, device)?))
}
