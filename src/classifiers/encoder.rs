//! Building blocks shared by the classifiers that learn a feature space (ST-ProtoPNet, TEEN): a
//! stack of linear layers, a seeded minibatch sampler, and editing a trainable parameter in place.

use super::ModelState;
use crate::error::LabError;
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Linear layers `widths[0] -> widths[1] -> ...`; ReLU after the layers listed by `relu_after`
/// (ST-ProtoPNet's add-ons have none, the encoders have one after every layer).
#[derive(Module, Debug)]
pub struct Layers {
    pub layers: Vec<Linear>,
}

impl Layers {
    /// He-uniform weights (the layers feed ReLUs), zero biases, drawn from `seed`.
    pub fn new(widths: &[usize], seed: u64, device: &Device) -> Layers {
        let mut rng = Rng::derive(seed, 0xE7C0);
        let layers = widths
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let b = (6.0 / fan_in as f64).sqrt();
                let weights: Vec<f32> = (0..fan_in * fan_out)
                    .map(|_| rng.range(-b, b) as f32)
                    .collect();
                // burn's layout: weight is [d_in, d_out].
                let weight =
                    Tensor::<2>::from_data(TensorData::new(weights, [fan_in, fan_out]), device);
                Linear {
                    weight: Param::from_tensor(weight),
                    bias: Some(Param::from_tensor(Tensor::<1>::zeros([fan_out], device))),
                }
            })
            .collect();
        Layers { layers }
    }

    /// `[n, widths[0]]` -> `[n, widths.last()]`, with ReLU after every layer when `relu` is set.
    pub fn forward(&self, mut x: Tensor<2>, relu_each: bool) -> Tensor<2> {
        for l in &self.layers {
            x = l.forward(x);
            if relu_each {
                x = relu(x);
            }
        }
        x
    }

    /// `{prefix}{i}.weight` `[d_in, d_out]` and `{prefix}{i}.bias` `[1, d_out]`.
    pub fn state(&self, prefix: &str) -> Vec<(String, Tensor<2>)> {
        let mut out = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            out.push((format!("{prefix}{i}.weight"), l.weight.val()));
            if let Some(b) = &l.bias {
                out.push((format!("{prefix}{i}.bias"), b.val().unsqueeze::<2>()));
            }
        }
        out
    }

    /// The layers saved by [`Layers::state`], checked against `widths`.
    pub fn restore(
        prefix: &str,
        widths: &[usize],
        state: &ModelState,
        device: &Device,
    ) -> Result<Layers, LabError> {
        let mut layers = Vec::new();
        for (i, w) in widths.windows(2).enumerate() {
            let weight = state.tensor(&format!("{prefix}{i}.weight"), device)?;
            let bias = state.tensor(&format!("{prefix}{i}.bias"), device)?;
            if weight.dims() != [w[0], w[1]] || bias.dims() != [1, w[1]] {
                return Err(LabError::Data(format!(
                    "the saved layer {prefix}{i} does not have shape {} -> {}",
                    w[0], w[1]
                )));
            }
            layers.push(Linear {
                weight: Param::from_tensor(weight),
                bias: Some(Param::from_tensor(bias.reshape([w[1]]))),
            });
        }
        Ok(Layers { layers })
    }
}

/// Seeded minibatches: a fresh permutation per epoch, handed out `batch` rows at a time.
pub struct Batches {
    rng: Rng,
    order: Vec<usize>,
    cursor: usize,
}

impl Batches {
    pub fn new(n: usize, seed: u64) -> Batches {
        Batches {
            rng: Rng::derive(seed, 0xBA7C),
            order: (0..n).collect(),
            cursor: usize::MAX,
        }
    }

    /// Row indices of the next minibatch (`None`: the whole set, when `batch >= n`).
    pub fn next(&mut self, batch: usize) -> Option<Vec<usize>> {
        let n = self.order.len();
        if batch >= n {
            return None;
        }
        if self.cursor >= n {
            self.rng.shuffle(&mut self.order);
            self.cursor = 0;
        }
        let end = (self.cursor + batch).min(n);
        let idx = self.order[self.cursor..end].to_vec();
        self.cursor = end;
        Some(idx)
    }

    /// The next minibatch as an index tensor on `device` (`None`: the whole set).
    pub fn next_tensor(&mut self, batch: usize, device: &Device) -> Option<Tensor<1, Int>> {
        let idx: Vec<i64> = self.next(batch)?.into_iter().map(|i| i as i64).collect();
        Some(Tensor::from_data(
            TensorData::new(idx.clone(), [idx.len()]),
            device,
        ))
    }
}

/// Replaces a trainable tensor's value by `f(value)`, keeping the parameter's identity (so the
/// optimiser's moments carry on) and leaving it a fresh leaf of the graph when it was one.
/// Edits happen off the graph: an edited tracked tensor would no longer be a leaf.
pub fn edit_param<const D: usize>(
    p: Param<Tensor<D>>,
    f: impl FnOnce(Tensor<D>) -> Tensor<D>,
) -> Param<Tensor<D>> {
    p.map(|t| {
        let (tracked, leaf) = (t.is_autodiff(), t.is_require_grad());
        let edited = f(t.without_autodiff());
        match (tracked, leaf) {
            (true, true) => edited.autodiff().require_grad(),
            (true, false) => edited.autodiff(),
            _ => edited,
        }
    })
}
