//! Declarative classifier parameters: each classifier lists `ParamSpec`s (key, default, range, doc);
//! the UI draws controls from them, the share link reads and writes them by key, and validation is
//! the same everywhere. Nothing about a particular classifier lives outside its own file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// A real number in `[min, max]`; `log` asks the UI for a log-scale slider.
    Float { min: f64, max: f64, default: f64, log: bool },
    Int { min: i64, max: i64, default: i64 },
    /// An integer spanning decades (a network's depth 1 ... 10^4): a log-scale slider.
    IntLog { min: i64, max: i64, default: i64 },
    Choice { options: &'static [&'static str], default: &'static str },
    /// A list of integers, e.g. hidden-layer widths `16,16`; may be empty when `min_len == 0`.
    IntList { min_len: usize, max_len: usize, min: i64, max: i64, default: &'static [i64] },
    Bool { default: bool },
    /// Free text checked by `grammar` (a formula); at most `max_len` characters.
    Text { default: &'static str, max_len: usize, grammar: Grammar },
}

/// What a text parameter must parse as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grammar {
    /// A function of `z` ([`crate::formula`]) usable as a network's activation: finite mean
    /// square under the standard normal, not linear ([`crate::ntk::Dual::check`]).
    Activation,
}

/// One parameter of a classifier. `key` is its name in the share link and on the command line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub doc: &'static str,
    pub kind: ParamKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Float(f64),
    Int(i64),
    Choice(String),
    IntList(Vec<i64>),
    Bool(bool),
    Text(String),
}

impl ParamSpec {
    pub fn default_value(&self) -> ParamValue {
        match self.kind {
            ParamKind::Float { default, .. } => ParamValue::Float(default),
            ParamKind::Int { default, .. } | ParamKind::IntLog { default, .. } => ParamValue::Int(default),
            ParamKind::Choice { default, .. } => ParamValue::Choice(default.to_string()),
            ParamKind::IntList { default, .. } => ParamValue::IntList(default.to_vec()),
            ParamKind::Bool { default } => ParamValue::Bool(default),
            ParamKind::Text { default, .. } => ParamValue::Text(default.to_string()),
        }
    }

    /// Parses the text form used in links; the error says what was expected.
    pub fn parse(&self, text: &str) -> Result<ParamValue, String> {
        let text = text.trim();
        let value = match self.kind {
            ParamKind::Float { .. } => ParamValue::Float(
                text.parse::<f64>().map_err(|_| format!("{}: '{text}' is not a number", self.key))?,
            ),
            ParamKind::Int { .. } | ParamKind::IntLog { .. } => ParamValue::Int(
                text.parse::<i64>().map_err(|_| format!("{}: '{text}' is not an integer", self.key))?,
            ),
            ParamKind::Choice { .. } => ParamValue::Choice(text.to_string()),
            ParamKind::IntList { .. } => {
                let items: Result<Vec<i64>, _> = if text.is_empty() {
                    Ok(Vec::new())
                } else {
                    text.split(',').map(|s| s.trim().parse::<i64>()).collect()
                };
                ParamValue::IntList(items.map_err(|_| {
                    format!("{}: '{text}' is not a comma-separated list of integers", self.key)
                })?)
            }
            ParamKind::Bool { .. } => match text {
                "1" | "true" | "on" => ParamValue::Bool(true),
                "0" | "false" | "off" => ParamValue::Bool(false),
                _ => return Err(format!("{}: '{text}' is not 0 or 1", self.key)),
            },
            ParamKind::Text { .. } => ParamValue::Text(text.to_string()),
        };
        self.validate(&value)?;
        Ok(value)
    }

    /// Checks type and range; the message is shown to the user as is.
    pub fn validate(&self, value: &ParamValue) -> Result<(), String> {
        let key = self.key;
        match (self.kind, value) {
            (ParamKind::Float { min, max, .. }, ParamValue::Float(v)) => {
                if !v.is_finite() || *v < min || *v > max {
                    return Err(format!("{key}: {v} is outside [{min}, {max}]"));
                }
            }
            (ParamKind::Int { min, max, .. } | ParamKind::IntLog { min, max, .. }, ParamValue::Int(v)) => {
                if *v < min || *v > max {
                    return Err(format!("{key}: {v} is outside [{min}, {max}]"));
                }
            }
            (ParamKind::Choice { options, .. }, ParamValue::Choice(v)) => {
                if !options.contains(&v.as_str()) {
                    return Err(format!("{key}: '{v}' is not one of {}", options.join(", ")));
                }
            }
            (ParamKind::IntList { min_len, max_len, min, max, .. }, ParamValue::IntList(v)) => {
                if v.len() < min_len || v.len() > max_len {
                    return Err(format!("{key}: needs {min_len} to {max_len} entries, got {}", v.len()));
                }
                if let Some(bad) = v.iter().find(|x| **x < min || **x > max) {
                    return Err(format!("{key}: {bad} is outside [{min}, {max}]"));
                }
            }
            (ParamKind::Bool { .. }, ParamValue::Bool(_)) => {}
            (ParamKind::Text { max_len, grammar, .. }, ParamValue::Text(v)) => {
                if v.chars().count() > max_len {
                    return Err(format!("{key}: longer than {max_len} characters"));
                }
                match grammar {
                    Grammar::Activation => {
                        let expr = crate::formula::parse(v).map_err(|e| format!("{key}: {e}"))?;
                        crate::ntk::Dual::new(crate::ntk::Activation::Formula(expr)).check().map_err(|e| format!("{key}: {e}"))?;
                    }
                }
            }
            _ => return Err(format!("{key}: wrong kind of value")),
        }
        Ok(())
    }

    /// The text form used in links (inverse of [`ParamSpec::parse`]).
    pub fn format(value: &ParamValue) -> String {
        match value {
            ParamValue::Float(v) => format_float(*v),
            ParamValue::Int(v) => v.to_string(),
            ParamValue::Choice(v) => v.clone(),
            ParamValue::IntList(v) => {
                let mut s = String::new();
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, "{x}");
                }
                s
            }
            ParamValue::Bool(v) => if *v { "1" } else { "0" }.to_string(),
            ParamValue::Text(v) => v.clone(),
        }
    }
}

/// Shortest text that parses back to exactly `v` (Rust's `Display` and `LowerExp` for f64 are
/// round-trip exact); very small and very large values in exponent form (`1e-9`, not
/// `0.000000001`).
pub fn format_float(v: f64) -> String {
    if v != 0.0 && v.is_finite() && (v.abs() < 1e-4 || v.abs() >= 1e15) { format!("{v:e}") } else { format!("{v}") }
}

/// A validated set of values for one classifier's `ParamSpec`s.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Params {
    values: BTreeMap<&'static str, ParamValue>,
}

impl Params {
    pub fn defaults(specs: &[ParamSpec]) -> Self {
        Self { values: specs.iter().map(|s| (s.key, s.default_value())).collect() }
    }

    /// Reads values by key from `lookup`; keys that are absent keep their default, keys that are
    /// invalid keep their default and add a note for the user.
    pub fn from_lookup<'a>(
        specs: &[ParamSpec],
        lookup: impl Fn(&str) -> Option<&'a str>,
        notes: &mut Vec<String>,
    ) -> Self {
        let mut p = Self::defaults(specs);
        for spec in specs {
            if let Some(text) = lookup(spec.key) {
                match spec.parse(text) {
                    Ok(v) => {
                        p.values.insert(spec.key, v);
                    }
                    Err(e) => notes.push(format!("{e}; using the default")),
                }
            }
        }
        p
    }

    /// Sets one value after validating it against its spec.
    pub fn set(&mut self, spec: &ParamSpec, value: ParamValue) -> Result<(), String> {
        spec.validate(&value)?;
        self.values.insert(spec.key, value);
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&ParamValue> {
        self.values.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &ParamValue)> {
        self.values.iter().map(|(k, v)| (*k, v))
    }

    /// Typed getters. A classifier only asks for its own declared keys, so a miss is a programming
    /// error in that classifier, caught by the registry-wide tests.
    pub fn f64(&self, key: &str) -> f64 {
        match self.values.get(key) {
            Some(ParamValue::Float(v)) => *v,
            Some(ParamValue::Int(v)) => *v as f64,
            other => panic!("parameter '{key}' is not a number: {other:?}"),
        }
    }

    pub fn usize(&self, key: &str) -> usize {
        match self.values.get(key) {
            Some(ParamValue::Int(v)) => (*v).max(0) as usize,
            other => panic!("parameter '{key}' is not an integer: {other:?}"),
        }
    }

    pub fn choice(&self, key: &str) -> &str {
        match self.values.get(key) {
            Some(ParamValue::Choice(v)) => v,
            other => panic!("parameter '{key}' is not a choice: {other:?}"),
        }
    }

    pub fn list(&self, key: &str) -> Vec<usize> {
        match self.values.get(key) {
            Some(ParamValue::IntList(v)) => v.iter().map(|x| (*x).max(0) as usize).collect(),
            other => panic!("parameter '{key}' is not a list: {other:?}"),
        }
    }

    pub fn text(&self, key: &str) -> &str {
        match self.values.get(key) {
            Some(ParamValue::Text(v)) => v,
            other => panic!("parameter '{key}' is not text: {other:?}"),
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        match self.values.get(key) {
            Some(ParamValue::Bool(v)) => *v,
            other => panic!("parameter '{key}' is not a flag: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LR: ParamSpec = ParamSpec {
        key: "lr",
        label: "Learning rate",
        doc: "",
        kind: ParamKind::Float { min: 1e-5, max: 10.0, default: 0.03, log: true },
    };
    const LAYERS: ParamSpec = ParamSpec {
        key: "layers",
        label: "Hidden layers",
        doc: "",
        kind: ParamKind::IntList { min_len: 0, max_len: 6, min: 1, max: 256, default: &[16, 16] },
    };

    #[test]
    fn parse_format_roundtrip_and_errors() {
        for text in ["0.1", "3e-4", "1"] {
            let v = LR.parse(text).unwrap();
            assert_eq!(LR.parse(&ParamSpec::format(&v)).unwrap(), v);
        }
        assert!(LR.parse("abc").is_err());
        assert!(LR.parse("100").is_err());
        assert!(LR.parse("NaN").is_err());
        assert_eq!(LAYERS.parse("").unwrap(), ParamValue::IntList(vec![]));
        assert_eq!(LAYERS.parse("8, 4").unwrap(), ParamValue::IntList(vec![8, 4]));
        assert!(LAYERS.parse("8,0").is_err());
        assert!(LAYERS.parse("1,1,1,1,1,1,1").is_err());
    }

    #[test]
    fn lookup_keeps_defaults_and_reports_bad_values() {
        let mut notes = vec![];
        let p = Params::from_lookup(&[LR, LAYERS], |k| (k == "lr").then_some("oops"), &mut notes);
        assert_eq!(p.f64("lr"), 0.03);
        assert_eq!(p.list("layers"), vec![16, 16]);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("lr"));
    }
}
