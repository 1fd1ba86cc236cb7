//! A trained model as a file: the registry name and parameters (the share link's form), the
//! fitted encoding of the table it was trained on, and its numbers. Written by `fit --out`, read
//! by `predict`; plain JSON, so other tools can read the weights too.

use crate::classifiers::{self, Classifier, ModelSpec, ModelState};
use crate::data::table::Encoding;
use crate::error::LabError;
use crate::params::{ParamSpec, Params};
use burn::tensor::Device;
use std::collections::BTreeMap;

pub const FORMAT: &str = "boundary-lab-model";
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub version: u32,
    /// Registry name, as in `model=` of a link.
    pub model: String,
    /// Parameter values as a link writes them.
    pub params: BTreeMap<String, String>,
    pub seed: u64,
    pub steps: usize,
    /// How a table's rows become the model's inputs; `None` for data that is numbers already
    /// (toy datasets), whose features are the input as is.
    pub encoding: Option<Encoding>,
    /// Class names in class order and feature names in input order.
    pub classes: Vec<String>,
    pub features: Vec<String>,
    pub state: ModelState,
}

impl ModelFile {
    pub fn new(spec: &ModelSpec, params: &Params, seed: u64, steps: usize, encoding: Option<Encoding>, classes: Vec<String>, features: Vec<String>, state: ModelState) -> Self {
        let params = params.iter().map(|(k, v)| (k.to_string(), ParamSpec::format(v))).collect();
        ModelFile { format: FORMAT.into(), version: VERSION, model: spec.name.into(), params, seed, steps, encoding, classes, features, state }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model file always serialises")
    }

    /// Parses and checks a model file; every failure is a message, never a panic.
    pub fn from_json(text: &str) -> Result<ModelFile, LabError> {
        #[derive(serde::Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let bad = |e: serde_json::Error| LabError::Data(format!("this is not a model file ({e})"));
        let header: Header = serde_json::from_str(text).map_err(bad)?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(LabError::Data(format!("this is not a model file (no \"format\": \"{FORMAT}\")")));
        }
        match header.version {
            Some(VERSION) => {}
            Some(v) if v > VERSION => {
                return Err(LabError::Data(format!("the model file is format version {v}, newer than this program's ({VERSION}); update Boundary Lab")));
            }
            v => return Err(LabError::Data(format!("unsupported model file version {v:?}"))),
        }
        let file: ModelFile = serde_json::from_str(text).map_err(bad)?;
        if let Some(enc) = &file.encoding {
            if enc.classes != file.classes || enc.feature_names() != file.features {
                return Err(LabError::Data("the model file's encoding does not match its classes and features".into()));
            }
        }
        Ok(file)
    }

    /// The registry entry and its validated parameters.
    pub fn spec(&self) -> Result<(&'static ModelSpec, Params), LabError> {
        let spec = classifiers::find(&self.model).ok_or_else(|| LabError::UnknownModel(self.model.clone()))?;
        let mut notes = Vec::new();
        let params = Params::from_lookup(spec.params, |k| self.params.get(k).map(String::as_str), &mut notes);
        if let Some(n) = notes.first() {
            return Err(LabError::InvalidParam(n.clone()));
        }
        Ok((spec, params))
    }

    /// Rebuilds the trained model on `device`.
    pub fn restore(&self, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
        let (spec, params) = self.spec()?;
        spec.restore(&params, &self.state, device)
    }
}
