//! The one error type of the library. Every message is written for the person using the page.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum LabError {
    /// A parameter value is out of range or of the wrong kind.
    InvalidParam(String),
    /// The data cannot be used (too few points, one class only, ...).
    Data(String),
    /// Training produced a non-finite loss.
    Diverged { step: usize },
    /// The compute device failed (lost WebGPU device, failed read-back, ...).
    Device(String),
    /// An unknown classifier name.
    UnknownModel(String),
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabError::InvalidParam(m) => write!(f, "Invalid parameter: {m}"),
            LabError::Data(m) => write!(f, "Data problem: {m}"),
            LabError::Diverged { step } => write!(
                f,
                "Training diverged at step {step} (the loss became infinite or NaN). \
                 Lower the learning rate and press reset."
            ),
            LabError::Device(m) => write!(f, "Compute device error: {m}"),
            LabError::UnknownModel(m) => write!(f, "Unknown classifier '{m}'"),
        }
    }
}

impl std::error::Error for LabError {}
