//! k-nearest neighbours: the class shares among the k closest training points (Euclidean).
//! Nothing to train; prediction computes all query-to-training squared distances as one matrix
//! product on the device and takes the k smallest per row.

use super::{Classifier, Family, ModelSpec, ModelState, StepOutput, TrainData};
use burn::tensor::Device;
use crate::error::LabError;
use crate::params::{ParamKind, ParamSpec, Params};
use burn::tensor::Tensor;

const K: ParamSpec = ParamSpec {
    key: "k",
    label: "Neighbours (k)",
    doc: "How many nearest training points vote. k = 1 follows every point; large k smooths.",
    kind: ParamKind::Int { min: 1, max: 200, default: 5 },
};

pub static SPEC: ModelSpec = ModelSpec {
    name: "knn",
    label: "k-nearest neighbours",
    family: Family::InstanceBased,
    summary: "Each point takes the majority class of its k nearest training points; the \
              probability is the share of votes. Nothing is learned: the data is the model.",
    params: &[K],
    default_steps: 1,
    builder: build,
    restore,
};

fn build(params: &Params, data: &TrainData, _seed: u64) -> Result<Box<dyn Classifier>, LabError> {
    Ok(Box::new(Knn::new(data, params.usize("k"))))
}

/// The saved training points are the model.
fn restore(params: &Params, state: &ModelState, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
    let (x, onehot) = (state.tensor("points", device)?, state.tensor("labels", device)?);
    if x.dims()[0] != onehot.dims()[0] {
        return Err(LabError::Data("the saved points and labels differ in number".into()));
    }
    Ok(Box::new(Knn::from_tensors(x, onehot, params.usize("k"))))
}

/// Query rows per distance block: bounds the `[rows, n]` distance matrix (16 MB at n = 1000).
const CHUNK: usize = 4096;

pub struct Knn {
    /// `[n, d]` training points.
    x: Tensor<2>,
    /// `[1, n]` squared norms of the training points.
    x_sq: Tensor<2>,
    /// `[n, C]` one-hot training labels.
    onehot: Tensor<2>,
    k: usize,
}

impl Knn {
    pub fn new(data: &TrainData, k: usize) -> Self {
        Self::from_tensors(data.x.clone().without_autodiff(), data.y_onehot.clone().without_autodiff(), k)
    }

    /// `x` `[n, d]` points, `onehot` `[n, C]` labels.
    fn from_tensors(x: Tensor<2>, onehot: Tensor<2>, k: usize) -> Self {
        let x_sq = x.clone().powi_scalar(2).sum_dim(1).transpose();
        let n = x.dims()[0];
        Self { x, x_sq, onehot, k: k.clamp(1, n) }
    }

    /// `[m, C]` vote shares for one block of queries.
    fn block(&self, q: Tensor<2>) -> Tensor<2> {
        let m = q.dims()[0];
        let c = self.onehot.dims()[1];
        // ||q - x||^2 = ||q||^2 + ||x||^2 - 2 q.x  -> [m, n]
        let q_sq = q.clone().powi_scalar(2).sum_dim(1);
        let d2 = q_sq + self.x_sq.clone() - q.matmul(self.x.clone().transpose()).mul_scalar(2.0);
        // The k largest of -d2 are the k nearest: indices [m, k].
        let (_, idx) = d2.neg().topk_with_indices(self.k, 1);
        // Labels of the neighbours: [m*k, C] -> [m, k, C] -> sum over k -> [m, C].
        let votes = self.onehot.clone().select(0, idx.reshape([m * self.k]));
        votes.reshape([m, self.k, c]).sum_dim(1).reshape([m, c]).div_scalar(self.k as f64)
    }
}

impl Classifier for Knn {
    fn step(&mut self) -> Result<StepOutput, LabError> {
        Ok(StepOutput { loss: None, converged: true })
    }

    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2> {
        let x = x.without_autodiff();
        let m = x.dims()[0];
        if m <= CHUNK {
            return self.block(x);
        }
        let blocks = (0..m)
            .step_by(CHUNK)
            .map(|s| self.block(x.clone().slice(s..(s + CHUNK).min(m))))
            .collect();
        Tensor::cat(blocks, 0)
    }

    fn state(&self) -> Vec<(String, Tensor<2>)> {
        vec![("points".into(), self.x.clone()), ("labels".into(), self.onehot.clone())]
    }
}
