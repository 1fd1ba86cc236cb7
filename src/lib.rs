//! Boundary Lab: train classifiers and look inside them, in the browser.
//!
//! Layers point one way: [`data`] -> [`classifiers`] -> [`train`] -> [`viz`] -> `app` (the yew
//! page, wasm only). The library names no backend: the page's entry point picks the device
//! (WebGPU or CPU) and hands it down.

pub mod adversarial;
pub mod bench;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod classifiers;
pub mod data;
pub mod error;
pub mod eval;
pub mod export;
pub mod formula;
pub mod gen_disc;
pub mod model_file;
pub mod ntk;
pub mod params;
pub mod rng;
pub mod state;
pub mod tilting;
pub mod train;
pub mod viz;

#[cfg(target_arch = "wasm32")]
pub mod app;

pub use error::LabError;
