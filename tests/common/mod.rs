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
    let setup = SessionSetup { max_steps: steps.unwrap_or(spec.default_steps), ..SessionSetup::new(spec, params, split) };
    let mut s = Session::new(&setup, &device()).expect("session builds");
    finish(&mut s);
    s.read_blocking().expect("read back")
}

/// Steps a session until it is done, reading nothing back.
pub fn finish(s: &mut Session) {
    while !s.is_done() {
        s.step().expect("step");
    }
}
