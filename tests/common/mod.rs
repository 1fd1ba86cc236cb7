//! Helpers shared by the native integration tests (CPU device).

#![allow(dead_code)]

use boundary_lab::classifiers::ModelSpec;
use boundary_lab::data::{self, DatasetKind, Split, ToyConfig};
use boundary_lab::params::Params;
use boundary_lab::train::{Session, SessionSetup, Snapshot};
use burn::tensor::Device;

pub fn device() -> Device {
    Device::flex().autodiff()
}

pub fn toy(kind: DatasetKind, n: usize, noise: f64, classes: usize, seed: u64) -> Split {
    let d = data::generate(&ToyConfig { kind, n, noise, seed, classes });
    data::split(&d, 0.8, seed, &[], &[])
}

/// Trains `spec` with `params` for its default steps (or `steps`) and returns the final snapshot.
pub fn train(spec: &'static ModelSpec, params: &Params, split: &Split, steps: Option<usize>) -> Snapshot {
    let setup = SessionSetup {
        spec,
        params,
        split,
        seed: 1,
        max_steps: steps.unwrap_or(spec.default_steps),
        grid: 16,
        bounds: split.train.view_bounds(0.1),
    };
    let mut s = Session::new(&setup, &device()).expect("session builds");
    while !s.is_done() {
        s.step().expect("step");
    }
    s.read_blocking().expect("read back")
}
