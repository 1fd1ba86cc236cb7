//! Multinomial logistic regression: one linear layer and a softmax, fitted by gradient descent on
//! the (optionally L1/L2-penalised) cross-entropy. Its boundaries are straight lines, which is the
//! point of comparing it with the MLP.

use super::mlp::{BATCH, L1, L2, LR, OPTIMIZER, net_config};
use super::net::{Activation, Net};
use super::{Classifier, Family, ModelSpec, ModelState, TrainData};
use burn::tensor::Device;
use crate::error::LabError;
use crate::params::{ParamKind, ParamSpec, Params};

const LOGISTIC_LR: ParamSpec = ParamSpec {
    kind: ParamKind::Float { min: 1e-5, max: 10.0, default: 0.1, log: true },
    ..LR
};

pub static SPEC: ModelSpec = ModelSpec {
    name: "logreg",
    label: "Logistic regression",
    family: Family::Linear,
    summary: "A linear score per class turned into probabilities by a softmax: straight \
              boundaries, convex loss. One step is one minibatch update.",
    params: &[LOGISTIC_LR, OPTIMIZER, BATCH, L1, L2],
    default_steps: 300,
    builder: build,
    restore,
};

fn build(params: &Params, data: &TrainData, seed: u64) -> Result<Box<dyn Classifier>, LabError> {
    Ok(Box::new(Net::new(net_config(params, Vec::new(), Activation::Linear), data, seed)?))
}

fn restore(params: &Params, state: &ModelState, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
    Ok(Box::new(Net::restore(net_config(params, Vec::new(), Activation::Linear), state, device)?))
}
