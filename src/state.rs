//! The page state and its share link: a declarative table of URL-hash keys in the style of
//! TF Playground's `state.ts`. Every key has a name, a doc line (the README table is generated
//! from it), a parser and a writer; classifier parameters come from the registry, so a new
//! classifier is in the link without touching this file.
//!
//! Parsing never fails: an unknown key or an invalid value falls back to the default and adds a
//! note for the page to show.
//!
//! Links are versioned (`v`, [`LINK_VERSION`]). A link without `v` is format 1 (every link made
//! before versioning); [`MIGRATIONS`] rewrite older formats' keys into the current ones before
//! parsing, and a link from a newer format opens what this version understands, with a note.

use crate::classifiers::{self, ModelSpec};
use crate::data::table::{ColumnType, MissingPolicy};
use crate::data::{DatasetKind, DrawnPoint, ToyConfig};
use crate::params::{ParamSpec, Params, format_float};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BackendPref {
    /// WebGPU when the browser has a hardware adapter, else CPU.
    #[default]
    Auto,
    WebGpu,
    Cpu,
}

impl BackendPref {
    pub fn key(self) -> &'static str {
        match self {
            BackendPref::Auto => "auto",
            BackendPref::WebGpu => "webgpu",
            BackendPref::Cpu => "cpu",
        }
    }

    pub const ALL: [BackendPref; 3] = [BackendPref::Auto, BackendPref::WebGpu, BackendPref::Cpu];

    pub fn from_key(v: &str) -> Option<Self> {
        match v {
            "auto" => Some(BackendPref::Auto),
            "webgpu" | "gpu" => Some(BackendPref::WebGpu),
            "cpu" => Some(BackendPref::Cpu),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BackendPref::Auto => "Auto",
            BackendPref::WebGpu => "WebGPU",
            BackendPref::Cpu => "CPU",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub data: ToyConfig,
    /// Fraction of points used for training.
    pub split: f64,
    pub model: &'static ModelSpec,
    pub params: Params,
    /// Stop after this many steps.
    pub steps: usize,
    pub play: bool,
    pub grid: usize,
    pub discretize: bool,
    pub show_test: bool,
    /// Draw each shown point's minimal adversarial perturbation (models with input gradients).
    pub adversarial: bool,
    pub backend: BackendPref,
    pub added: Vec<DrawnPoint>,
    pub removed: Vec<usize>,
    /// The user's own table, when the data comes from a CSV file instead of a toy generator.
    pub csv: Option<CsvChoice>,
    /// Markers the user dragged, replayed at the same training step (exact reproduction).
    pub drags: Vec<DragEdit>,
    /// Controls and panels a teacher hid (TF Playground's `_hide`), by key or panel name.
    pub hide: Vec<String>,
    /// The page without its chrome (header, panels, labs), for an iframe.
    pub embed: bool,
}

pub use crate::train::DragEdit;

/// The link format this version writes.
pub const LINK_VERSION: u32 = 2;

/// Rewrites of older formats, in order: `(from, what changed, rewrite)`; each takes a link of
/// format `from` to `from + 1` (keys and values as decoded pairs).
pub const MIGRATIONS: &[(u32, &str, fn(&mut Vec<(String, String)>))] = &[(
    1,
    "format 2 adds v, drag, hide and embed; no key of format 1 was renamed or changed meaning",
    |_| {},
)];

/// Names `hide` accepts besides the link keys and parameter keys: whole panels and the training
/// buttons.
pub const HIDE_PANELS: &[(&str, &str)] = &[
    ("data", "the Data panel"),
    ("classifier", "the Classifier panel"),
    ("output", "the Output panel"),
    ("train", "the Train / Step / Reset buttons"),
    ("draw", "drawing points on the view"),
    ("export", "the export and share buttons"),
    ("labs", "the labs below the view (model race, tilting, generative vs discriminative)"),
];

/// Which file and how it is read. The file's bytes live in the page, not here: a link carries
/// them only when they are small (`data`), else names the file by its hash and asks for it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CsvChoice {
    /// The file's name, or `sample:<file>` for one of the page's sample files.
    pub name: String,
    /// [`crate::data::table::content_hash`] of the file.
    pub hash: String,
    /// Label column index; `None`: guessed (see `Roles::guess`).
    pub label: Option<usize>,
    /// Column types the user changed, by column index.
    pub types: Vec<(usize, ColumnType)>,
    pub missing: MissingPolicy,
    pub view: ViewChoice,
    /// The file, deflated and base64url-encoded, when it is small enough for the link.
    pub data: Option<String>,
}

/// The plane the view shows for data with more than two features.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ViewChoice {
    /// Encoded features `i` (horizontal) and `j` (vertical), the others at their median.
    Slice(usize, usize),
    /// The first two principal components.
    Pca,
    /// Principal components when there are more than two features (they show the most spread
    /// of the data), else the two features themselves.
    #[default]
    Auto,
}

impl CsvChoice {
    pub fn is_sample(&self) -> bool {
        self.name.starts_with("sample:")
    }
}

impl Default for AppState {
    fn default() -> Self {
        let model = classifiers::REGISTRY[0];
        Self {
            data: ToyConfig::default(),
            split: 0.8,
            model,
            params: Params::defaults(model.params),
            steps: model.default_steps,
            play: false,
            grid: 128,
            discretize: false,
            show_test: true,
            adversarial: false,
            backend: BackendPref::Auto,
            added: Vec::new(),
            removed: Vec::new(),
            csv: None,
            drags: Vec::new(),
            hide: Vec::new(),
            embed: false,
        }
    }
}

/// One global key of the link.
pub struct Key {
    pub name: &'static str,
    pub doc: &'static str,
    parse: fn(&mut AppState, &str) -> Result<(), String>,
    write: fn(&AppState) -> String,
}

fn num<T: std::str::FromStr + PartialOrd + std::fmt::Display>(v: &str, lo: T, hi: T) -> Result<T, String> {
    let x: T = v.trim().parse().map_err(|_| format!("'{v}' is not a number"))?;
    // Written so that NaN fails too.
    if !(x >= lo && x <= hi) {
        return Err(format!("{x} is outside [{lo}, {hi}]"));
    }
    Ok(x)
}

/// A comma-separated list (empty items skipped, at most `limit` read), each item through `item`.
fn items<T>(v: &str, limit: usize, item: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    v.split(',').filter(|p| !p.is_empty()).take(limit).map(item).collect()
}

fn flag(v: &str) -> Result<bool, String> {
    match v {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("'{v}' is not 0 or 1")),
    }
}

fn b(v: bool) -> String {
    if v { "1" } else { "0" }.into()
}

/// The global keys, in the order they are written. `model` comes before the classifier's own
/// parameter keys, which follow the table in the link.
pub const KEYS: &[Key] = &[
    Key {
        name: "v",
        doc: "Link format version (this page writes 2; a link without it is format 1 and opens as before).",
        // Read (and migrated) before any other key, in `from_hash`.
        parse: |_, _| Ok(()),
        write: |_| LINK_VERSION.to_string(),
    },
    Key {
        name: "dataset",
        doc: "Toy dataset: moons, circles, xor, blobs, spirals, checkerboard, linear, sectors.",
        parse: |s, v| {
            s.data.kind = DatasetKind::from_key(v).ok_or_else(|| format!("unknown dataset '{v}'"))?;
            Ok(())
        },
        write: |s| s.data.kind.key().into(),
    },
    Key {
        name: "n",
        doc: "Number of generated points (10-10000).",
        parse: |s, v| Ok(s.data.n = num(v, 10, 10_000)?),
        write: |s| s.data.n.to_string(),
    },
    Key {
        name: "noise",
        doc: "Standard deviation of the Gaussian jitter added to each coordinate (0-2).",
        parse: |s, v| Ok(s.data.noise = num(v, 0.0, 2.0)?),
        write: |s| format_float(s.data.noise),
    },
    Key {
        name: "seed",
        doc: "Seed of the data, the split, the initialisation and the minibatch order.",
        parse: |s, v| Ok(s.data.seed = num(v, 0, u32::MAX as u64)?),
        write: |s| s.data.seed.to_string(),
    },
    Key {
        name: "classes",
        doc: "Classes of the blobs (2-5), arms of the spirals (2-3) or sectors of the annulus (3-12); other datasets have 2.",
        parse: |s, v| Ok(s.data.classes = num(v, 2, 12)?),
        write: |s| s.data.classes.to_string(),
    },
    Key {
        name: "split",
        doc: "Fraction of the points used for training (0.1-1); the rest is the test set.",
        parse: |s, v| Ok(s.split = num(v, 0.1, 1.0)?),
        write: |s| format_float(s.split),
    },
    Key {
        name: "add",
        doc: "Points drawn by hand, as x:y:class separated by commas; they join the training set.",
        parse: |s, v| {
            s.added = items(v, 5_000, |p| {
                let f: Vec<&str> = p.split(':').collect();
                if f.len() != 3 {
                    return Err(format!("'{}' is not x:y:class", truncate(p, 40)));
                }
                Ok(DrawnPoint { x: num(f[0], -1e3, 1e3)?, y: num(f[1], -1e3, 1e3)?, class: num(f[2], 0, 11)? })
            })?;
            Ok(())
        },
        write: |s| {
            // f32's Display is the shortest text that reads back to the same f32: the link holds
            // exactly the points the page trained on.
            s.added.iter().map(|p| format!("{}:{}:{}", p.x, p.y, p.class)).collect::<Vec<_>>().join(",")
        },
    },
    Key {
        name: "del",
        doc: "Generated points erased by hand, as indices separated by commas.",
        parse: |s, v| Ok(s.removed = items(v, 10_000, |p| num(p, 0, 9_999))?),
        write: |s| s.removed.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","),
    },
    Key {
        name: "csv",
        doc: "Your own table instead of a toy dataset: the file's name (`sample:iris.csv` for a sample). Without `csvdata` the page asks for the file and checks it against `csvhash`.",
        parse: |s, v| {
            let name: String = v.chars().filter(|c| !c.is_control()).take(120).collect();
            if name.is_empty() {
                return Err("empty file name".into());
            }
            s.csv.get_or_insert_with(CsvChoice::default).name = name;
            Ok(())
        },
        write: |s| csv_value(s, |c| c.name.clone()),
    },
    Key {
        name: "csvhash",
        doc: "Content hash of the CSV file (128 bits of SHA-256, hex).",
        parse: |s, v| {
            if v.len() != 32 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("'{}' is not a 32-digit hex hash", truncate(v, 40)));
            }
            with_csv(s, |c| c.hash = v.to_ascii_lowercase())
        },
        write: |s| csv_value(s, |c| c.hash.clone()),
    },
    Key {
        name: "label",
        doc: "Index (from 0) of the CSV's label column; default: a column named label/class/target/y, else the last.",
        parse: |s, v| {
            let i = num(v, 0, 999)?;
            with_csv(s, |c| c.label = Some(i))
        },
        write: |s| csv_value(s, |c| c.label.map(|i| i.to_string()).unwrap_or_default()),
    },
    Key {
        name: "types",
        doc: "CSV column types changed by the user, as index:numeric|categorical|ignored separated by commas.",
        parse: |s, v| {
            let types = items(v, 1000, |p| {
                let (i, t) = p.split_once(':').ok_or_else(|| format!("'{}' is not index:type", truncate(p, 40)))?;
                Ok((num(i, 0, 999)?, ColumnType::from_key(t).ok_or_else(|| format!("unknown column type '{}'", truncate(t, 20)))?))
            })?;
            with_csv(s, |c| c.types = types)
        },
        write: |s| csv_value(s, |c| c.types.iter().map(|(i, t)| format!("{i}:{}", t.key())).collect::<Vec<_>>().join(",")),
    },
    Key {
        name: "missing",
        doc: "Rows with a missing feature value: impute (median / most frequent) or drop.",
        parse: |s, v| {
            let m = MissingPolicy::from_key(v).ok_or_else(|| format!("'{}' is not impute or drop", truncate(v, 20)))?;
            with_csv(s, |c| c.missing = m)
        },
        write: |s| csv_value(s, |c| c.missing.key().to_string()),
    },
    Key {
        name: "view",
        doc: "Plane shown for data with more than two features: i,j (a slice through features i and j, the others at their median) or pca.",
        parse: |s, v| {
            let view = if v == "pca" {
                ViewChoice::Pca
            } else {
                let (i, j) = v.split_once(',').ok_or_else(|| format!("'{}' is not i,j or pca", truncate(v, 20)))?;
                ViewChoice::Slice(num(i, 0, 9_999)?, num(j, 0, 9_999)?)
            };
            with_csv(s, |c| c.view = view)
        },
        write: |s| {
            csv_value(s, |c| match c.view {
                ViewChoice::Pca => "pca".into(),
                ViewChoice::Slice(i, j) => format!("{i},{j}"),
                ViewChoice::Auto => String::new(),
            })
        },
    },
    Key {
        name: "csvdata",
        doc: "The CSV itself, deflated and base64url-encoded, for files small enough to share in the link (up to 12,000 characters).",
        parse: |s, v| {
            if v.len() > crate::data::table::MAX_INLINE_CHARS * 2 {
                return Err("the embedded file is too long".into());
            }
            if v.is_empty() {
                return Err("the embedded file is empty".into());
            }
            with_csv(s, |c| c.data = Some(v.to_string()))
        },
        write: |s| csv_value(s, |c| c.data.clone().unwrap_or_default()),
    },
    Key {
        name: "model",
        doc: "Classifier (see the table of classifiers); its parameters follow as their own keys.",
        parse: |s, v| {
            let m = classifiers::find(v).ok_or_else(|| format!("unknown classifier '{v}'"))?;
            s.model = m;
            s.params = Params::defaults(m.params);
            s.steps = m.default_steps;
            Ok(())
        },
        write: |s| s.model.name.into(),
    },
    Key {
        name: "steps",
        doc: "Training stops after this many steps (default depends on the classifier).",
        parse: |s, v| Ok(s.steps = num(v, 1, 1_000_000)?),
        write: |s| s.steps.to_string(),
    },
    Key {
        name: "play",
        doc: "1 starts training as soon as the page opens.",
        parse: |s, v| Ok(s.play = flag(v)?),
        write: |s| b(s.play),
    },
    Key {
        name: "grid",
        doc: "Resolution of the decision-boundary grid per side (16-256).",
        parse: |s, v| Ok(s.grid = num(v, 16, 256)?),
        write: |s| s.grid.to_string(),
    },
    Key {
        name: "discretize",
        doc: "1 paints each region in its class colour only, without confidence shading.",
        parse: |s, v| Ok(s.discretize = flag(v)?),
        write: |s| b(s.discretize),
    },
    Key {
        name: "adv",
        doc: "1 draws each shown point's minimal adversarial perturbation as an arrow, with the histogram of their lengths (classifiers with input gradients).",
        parse: |s, v| Ok(s.adversarial = flag(v)?),
        write: |s| b(s.adversarial),
    },
    Key {
        name: "showtest",
        doc: "1 draws the test points (hollow) on the view.",
        parse: |s, v| Ok(s.show_test = flag(v)?),
        write: |s| b(s.show_test),
    },
    Key {
        name: "backend",
        doc: "auto (WebGPU on a hardware adapter, else CPU), webgpu or cpu.",
        parse: |s, v| {
            s.backend = BackendPref::from_key(v).ok_or_else(|| format!("unknown backend '{v}'"))?;
            Ok(())
        },
        write: |s| s.backend.key().into(),
    },
    Key {
        name: "drag",
        doc: "Markers dragged by hand (prototypes, components, shots), as step:marker set:row:x:y separated by commas; replayed at the same training step.",
        parse: |s, v| {
            s.drags = items(v, 2_000, |p| {
                let f: Vec<&str> = p.split(':').collect();
                if f.len() < 4 || f.len() > 4 + 511 {
                    return Err(format!("'{}' is not step:marker set:row:x:y", truncate(p, 40)));
                }
                let to = f[3..].iter().map(|x| num(x, -1e6f32, 1e6f32)).collect::<Result<Vec<f32>, String>>()?;
                let overlay: String = f[1].chars().filter(|c| !c.is_control()).take(60).collect();
                if overlay.is_empty() {
                    return Err("a drag without a marker set".into());
                }
                Ok(DragEdit { step: num(f[0], 0, 1_000_000)?, overlay, row: num(f[2], 0, 1_000_000)?, to })
            })?;
            Ok(())
        },
        write: |s| {
            s.drags.iter().map(|d| format!("{}:{}:{}:{}", d.step, d.overlay, d.row, d.to.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(":"))).collect::<Vec<_>>().join(",")
        },
    },
    Key {
        name: "hide",
        doc: "Controls to hide (for teachers), separated by commas: any key of this table or of the model's parameters, or a panel: data, classifier, output, train, draw, export, labs.",
        parse: |s, v| {
            let names: Vec<&str> = v.split(',').map(str::trim).filter(|p| !p.is_empty()).take(100).collect();
            let unknown: Vec<String> = names.iter().filter(|p| !hideable(p)).map(|p| format!("'{}'", truncate(p, 30))).collect();
            if !unknown.is_empty() {
                return Err(format!("cannot hide {} (not a key or panel)", unknown.join(", ")));
            }
            s.hide = names.into_iter().map(String::from).collect();
            s.hide.sort();
            s.hide.dedup();
            Ok(())
        },
        write: |s| s.hide.join(","),
    },
    Key {
        name: "embed",
        doc: "1 shows the view and its readouts only, without the page's header and panels (for an iframe).",
        parse: |s, v| Ok(s.embed = flag(v)?),
        // Written only when on: ordinary links stay as they were.
        write: |s| if s.embed { "1".into() } else { String::new() },
    },
];

/// A name `hide` accepts: a link key, any classifier's parameter key, or a panel.
fn hideable(name: &str) -> bool {
    KEYS.iter().any(|k| k.name == name) || classifiers::REGISTRY.iter().any(|m| m.param(name).is_some()) || HIDE_PANELS.iter().any(|(p, _)| *p == name)
}

impl AppState {
    /// Whether a control or panel is shown (not hidden by the link).
    pub fn shows(&self, name: &str) -> bool {
        !self.hide.iter().any(|h| h == name)
    }
}

/// Sets part of the CSV choice; without `csv` in the link a CSV key means nothing.
fn with_csv(s: &mut AppState, f: impl FnOnce(&mut CsvChoice)) -> Result<(), String> {
    if let Some(c) = s.csv.as_mut() {
        f(c);
    }
    Ok(())
}

/// A CSV key's value, empty (not written) without a CSV choice.
fn csv_value(s: &AppState, f: impl FnOnce(&CsvChoice) -> String) -> String {
    s.csv.as_ref().map(f).unwrap_or_default()
}

/// Keys that only mean something with `csv` (written only when set).
const CSV_KEYS: [&str; 7] = ["csv", "csvhash", "label", "types", "missing", "view", "csvdata"];

/// Characters kept as they are in link values; everything else is percent-encoded.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.~,:".contains(c)
}

fn encode(v: &str) -> String {
    let mut out = String::new();
    for c in v.chars() {
        if plain(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(h) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl AppState {
    /// The link hash (without the leading `#`).
    pub fn to_hash(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for key in KEYS {
            let v = (key.write)(self);
            let optional = matches!(key.name, "add" | "del" | "drag" | "hide" | "embed") || CSV_KEYS.contains(&key.name);
            if !(v.is_empty() && optional) {
                parts.push(format!("{}={}", key.name, encode(&v)));
            }
            if key.name == "model" {
                for spec in self.model.params {
                    if let Some(v) = self.params.get(spec.key) {
                        parts.push(format!("{}={}", spec.key, encode(&ParamSpec::format(v))));
                    }
                }
            }
        }
        parts.join("&")
    }

    /// Reads a link hash (with or without `#`). Returns the state and notes about what was
    /// ignored; never fails.
    pub fn from_hash(hash: &str) -> (AppState, Vec<String>) {
        let mut state = AppState::default();
        let mut notes = Vec::new();
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        let mut pairs: Vec<(String, String)> = hash
            .split('&')
            .filter(|p| !p.is_empty())
            .take(400)
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        let version = match pairs.iter().rev().find(|(k, _)| k == "v") {
            None => 1,
            Some((_, v)) => match num(v, 1u32, u32::MAX) {
                Ok(v) => v,
                Err(e) => {
                    notes.push(format!("v: {e}; read as the current format"));
                    LINK_VERSION
                }
            },
        };
        if version > LINK_VERSION {
            notes.push(format!(
                "This link was made by a newer Boundary Lab (link format {version}; this page reads format {LINK_VERSION}): what this version understands was opened, anything else is noted below."
            ));
        }
        for (from, _, rewrite) in MIGRATIONS {
            if version <= *from {
                rewrite(&mut pairs);
            }
        }
        let get = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        // The model first: it decides which parameter keys exist and the default step count.
        for key in KEYS.iter().filter(|k| k.name == "model").chain(KEYS.iter().filter(|k| k.name != "model")) {
            if let Some(v) = get(key.name)
                && let Err(e) = (key.parse)(&mut state, v)
            {
                notes.push(format!("{}: {e}; using the default", key.name));
            }
        }
        let model = state.model;
        state.params = Params::from_lookup(model.params, get, &mut notes);
        for (k, _) in &pairs {
            let known = KEYS.iter().any(|key| key.name == k) || model.param(k).is_some();
            let other_model = classifiers::REGISTRY.iter().any(|m| m.param(k).is_some());
            if !known && !other_model {
                notes.push(format!("unknown key '{}' ignored", truncate(k, 40)));
            }
        }
        let (lo, hi) = state.data.kind.class_range();
        state.data.classes = state.data.classes.clamp(lo, hi);
        state.removed.retain(|&i| i < state.data.n);
        (state, notes)
    }

    /// Switches classifier, keeping the parameters that exist in both (same key and valid).
    pub fn set_model(&mut self, model: &'static ModelSpec) {
        let old = std::mem::replace(&mut self.params, Params::defaults(model.params));
        for spec in model.params {
            if let Some(v) = old.get(spec.key) {
                let _ = self.params.set(spec, v.clone());
            }
        }
        self.model = model;
        self.steps = model.default_steps;
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n).collect::<String>() + "…" }
}

/// The README's table of link keys, generated from [`KEYS`] and the registry.
pub fn markdown_key_table() -> String {
    let mut s = String::from("| key | meaning |\n|---|---|\n");
    for k in KEYS {
        s.push_str(&format!("| `{}` | {} |\n", k.name, k.doc));
    }
    for m in classifiers::REGISTRY {
        for p in m.params {
            s.push_str(&format!("| `{}` (model={}) | {} {} |\n", p.key, m.name, p.label, p.doc));
        }
    }
    s
}
