//! FOLD-SE / FOLD-R++ / FOLD-RM: a readable rule program (`shared/specs/fold-se.md`).
//!
//! Learning is host work ([`learn`]: combinatorial search, no tensors) on the feature columns as
//! the table has them: a numeric column is one dimension (standardised numbers order exactly as
//! the file's numbers, so thresholds are printed back in the file's units), a categorical column
//! is rebuilt from its one-hot group as one column of level names (`f == 'red'`, never one-hot
//! literals). Prediction compiles the rule list to tensor masks on the device, so the page reads
//! nothing back synchronously and the grid costs one batched pass like any other classifier.
//!
//! Choices where the spec says the papers could not be checked, as it recommends: the FOLD-SE
//! score is `-(tp*fp/(tp+fp) + tn*fn/(tn+fn)) / n`, and long-tail pruning drops a rule covering
//! fewer than `tail * N_train` rows. A missing cell arrives imputed by the table's encoding
//! (median / most frequent level), as for every classifier here, rather than as the spec's empty
//! string. A row no rule covers is "unclassified": every class gets probability 1/C.

pub mod learn;
pub mod print;

use super::{Classifier, Family, ModelSpec, ModelState, Overlay, OverlayCoords, OverlayKind, Program, ProgramLine, StepOutput, TrainData};
use crate::data::{Dataset, FeatureSource};
use crate::error::LabError;
use crate::params::{ParamKind, ParamSpec, Params};
use burn::tensor::{Device, Tensor, TensorData};
use learn::{Cell, FoldConfig, Heuristic, Learner, Literal, Op, RawColumn, Rule, RuleList};

const HEURISTIC: ParamSpec = ParamSpec {
    key: "heuristic",
    label: "Heuristic",
    doc: "How literals are scored: FOLD-SE's Gini-based score with long-tail pruning (few rules), or FOLD-R++'s information gain.",
    kind: ParamKind::Choice { options: &["fold-se", "fold-r++"], default: "fold-se" },
};
const RATIO: ParamSpec = ParamSpec {
    key: "ratio",
    label: "Exception ratio",
    doc: "A rule stops growing once it covers at most this many wrong rows per right one; the wrong ones become exceptions.",
    kind: ParamKind::Float { min: 0.0, max: 5.0, default: 0.5, log: false },
};
const TAIL: ParamSpec = ParamSpec {
    key: "tail",
    label: "Tail",
    doc: "FOLD-SE drops a rule that covers less than this share of the training rows (the long tail).",
    kind: ParamKind::Float { min: 0.0, max: 0.2, default: 0.005, log: false },
};
const DEPTH: ParamSpec = ParamSpec {
    key: "depth",
    label: "Exception depth",
    doc: "How deep exceptions of exceptions may nest.",
    kind: ParamKind::Int { min: 0, max: 10, default: 10 },
};

pub static SPEC: ModelSpec = ModelSpec {
    name: "fold",
    label: "FOLD-SE rules",
    family: Family::RuleBased,
    summary: "A readable program: if-then rules with exceptions ('unless ...'), learnt one rule per step, \
              for any number of classes (an ordered rule list). The search is combinatorial and runs on \
              the CPU; prediction runs the rules as masks on the device.",
    params: &[HEURISTIC, RATIO, TAIL, DEPTH],
    default_steps: 200,
    builder: build,
    restore,
};

fn config(params: &Params) -> FoldConfig {
    FoldConfig {
        heuristic: if params.choice("heuristic") == "fold-r++" { Heuristic::InfoGain } else { Heuristic::Gini },
        ratio: params.f64("ratio"),
        tail: params.f64("tail"),
        max_depth: params.usize("depth"),
        ..FoldConfig::default()
    }
}

/// How one learner column sits in the input: a numeric dimension, or a group of one-hot
/// dimensions whose hot one names the level.
#[derive(Clone, Debug, PartialEq)]
enum Place {
    Numeric { dim: usize, mean: f64, std: f64 },
    Levels { first: usize, levels: Vec<String> },
}

/// The learner's columns rebuilt from the encoded training rows, and where each sits.
fn columns(data: &Dataset) -> (Vec<RawColumn>, Vec<Place>) {
    let n = data.len();
    let (mut cols, mut places) = (Vec::new(), Vec::new());
    let mut d = 0;
    while d < data.dim {
        match data.source(d) {
            FeatureSource::Numeric { column, mean, std } => {
                let values: Vec<f64> = (0..n).map(|r| data.row(r)[d] as f64).collect();
                cols.push(RawColumn::numeric(&column, &values));
                places.push(Place::Numeric { dim: d, mean, std });
                d += 1;
            }
            FeatureSource::Level { column, .. } => {
                let first = d;
                let mut levels = Vec::new();
                while let Some(FeatureSource::Level { column: c, level }) = (d < data.dim).then(|| data.source(d)) {
                    if c != column {
                        break;
                    }
                    levels.push(level);
                    d += 1;
                }
                let texts: Vec<&str> = (0..n)
                    .map(|r| {
                        let row = &data.row(r)[first..d];
                        row.iter().position(|&v| v > 0.5).map(|k| levels[k].as_str()).unwrap_or("")
                    })
                    .collect();
                // Every cell is a string (level names that look like numbers are still levels).
                let mut strings: Vec<String> = levels.iter().cloned().chain(texts.iter().any(|t| t.is_empty()).then(String::new)).collect();
                strings.sort();
                strings.dedup();
                let cells = texts.iter().map(|t| Cell::Str(strings.binary_search_by(|s| s.as_str().cmp(t)).unwrap_or(0) as u32)).collect();
                cols.push(RawColumn { name: column, cells, strings });
                places.push(Place::Levels { first, levels });
            }
        }
    }
    (cols, places)
}

/// A literal as tensor work: which input dimensions it reads and the test.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Test {
    /// `x[dim] <= t` (or `>` when `!le`).
    Threshold { dim: usize, le: bool, t: f32 },
    /// `x[dim] > 0.5` (the level is hot), or not when `!eq`.
    Hot { dim: usize, eq: bool },
    /// No dimension of the group `first..first + n` is hot (an unseen or empty level).
    Cold { first: usize, n: usize, eq: bool },
}

#[derive(Clone, Debug, PartialEq, Default)]
struct Node {
    tests: Vec<Test>,
    exceptions: Vec<Node>,
}

fn compile_literal(l: &Literal, cols: &[RawColumn], places: &[Place]) -> Test {
    match (&places[l.feature], l.value) {
        (Place::Numeric { dim, .. }, Cell::Num(t)) => Test::Threshold { dim: *dim, le: l.op == Op::Le, t: t as f32 },
        (Place::Levels { first, levels }, Cell::Str(s)) => {
            let eq = l.op == Op::Eq;
            let text = cols[l.feature].strings.get(s as usize).map(String::as_str).unwrap_or("");
            match levels.iter().position(|v| v == text) {
                Some(k) => Test::Hot { dim: first + k, eq },
                None => Test::Cold { first: *first, n: levels.len(), eq },
            }
        }
        // The learner pairs numbers with order tests and strings with equality tests only, and a
        // numeric column holds only numbers: these never occur. A test that is never true.
        (Place::Numeric { dim, .. }, _) => Test::Threshold { dim: *dim, le: true, t: f32::NEG_INFINITY },
        (Place::Levels { first, levels }, _) => Test::Cold { first: *first, n: levels.len(), eq: false },
    }
}

fn compile(rule: &Rule, cols: &[RawColumn], places: &[Place]) -> Node {
    Node {
        tests: rule.body.iter().map(|l| compile_literal(l, cols, places)).collect(),
        exceptions: rule.exceptions.iter().map(|e| compile(e, cols, places)).collect(),
    }
}

impl Test {
    /// `[m, 1]` of 0/1.
    fn mask(&self, x: &Tensor<2>) -> Tensor<2> {
        match *self {
            Test::Threshold { dim, le, t } => {
                let col = x.clone().narrow(1, dim, 1);
                if le { col.lower_equal_elem(t).float() } else { col.greater_elem(t).float() }
            }
            Test::Hot { dim, eq } => {
                let hot = x.clone().narrow(1, dim, 1).greater_elem(0.5).float();
                if eq { hot } else { hot.neg().add_scalar(1.0) }
            }
            Test::Cold { first, n, eq } => {
                let cold = x.clone().narrow(1, first, n.max(1)).sum_dim(1).lower_elem(0.5).float();
                if eq { cold } else { cold.neg().add_scalar(1.0) }
            }
        }
    }

    /// Narrows the box `lo..hi` (per dimension) to where this test holds, for threshold tests.
    fn clip(&self, lo: &mut [f32], hi: &mut [f32]) {
        if let Test::Threshold { dim, le, t } = *self {
            if le { hi[dim] = hi[dim].min(t) } else { lo[dim] = lo[dim].max(t) }
        }
    }

    fn max_dim(&self) -> usize {
        match *self {
            Test::Threshold { dim, .. } | Test::Hot { dim, .. } => dim,
            Test::Cold { first, n, .. } => first + n.max(1) - 1,
        }
    }
}

impl Node {
    /// `[m, 1]`: 1 where every test holds and no exception covers.
    fn covers(&self, x: &Tensor<2>) -> Tensor<2> {
        let m = x.dims()[0];
        let mut c = Tensor::<2>::ones([m, 1], &x.device());
        for t in &self.tests {
            c = c * t.mask(x);
        }
        for e in &self.exceptions {
            c = c * e.covers(x).neg().add_scalar(1.0);
        }
        c
    }
}

pub struct Fold {
    /// The learner's columns of the training rows (empty for a restored model).
    cols: Vec<RawColumn>,
    places: Vec<Place>,
    labels: Vec<u32>,
    class_names: Vec<String>,
    n_classes: usize,
    dim: usize,
    cfg: FoldConfig,
    list: RuleList,
    /// The rule list as tensor work, class first; updated after each step.
    compiled: Vec<(u32, Node)>,
    device: Device,
}

fn build(params: &Params, data: &TrainData, _seed: u64) -> Result<Box<dyn Classifier>, LabError> {
    let (cols, places) = columns(&data.host);
    Ok(Box::new(Fold {
        cols,
        places,
        labels: data.host.y.clone(),
        class_names: data.host.class_names.clone(),
        n_classes: data.n_classes(),
        dim: data.dim(),
        cfg: config(params),
        list: RuleList::new(data.n()),
        compiled: Vec::new(),
        device: data.device.clone().without_autodiff(),
    }))
}

impl Classifier for Fold {
    /// One more rule of the ordered list (with its exceptions).
    fn step(&mut self) -> Result<StepOutput, LabError> {
        if !self.cols.is_empty() {
            let learner = Learner { cols: &self.cols, cfg: self.cfg, n_train: self.labels.len() };
            if self.list.grow(&learner, &self.labels) {
                let (class, rule) = self.list.rules.last().expect("grow added a rule");
                self.compiled.push((*class, compile(rule, &self.cols, &self.places)));
            }
        }
        Ok(StepOutput { loss: None, converged: self.cols.is_empty() || self.list.done })
    }

    /// The first covering rule's class with probability 1; 1/C each where no rule covers.
    fn predict_proba(&self, x: Tensor<2>) -> Tensor<2> {
        let x = x.without_autodiff();
        let m = x.dims()[0];
        let device = x.device();
        let mut remaining = Tensor::<2>::ones([m, 1], &device);
        let mut per_class: Vec<Tensor<2>> = (0..self.n_classes).map(|_| Tensor::zeros([m, 1], &device)).collect();
        for (class, node) in &self.compiled {
            let fired = remaining.clone() * node.covers(&x);
            remaining = remaining - fired.clone();
            if let Some(acc) = per_class.get_mut(*class as usize) {
                *acc = acc.clone() + fired;
            }
        }
        let unclassified = remaining.div_scalar(self.n_classes.max(1) as f64);
        Tensor::cat(per_class, 1) + unclassified
    }

    /// Two-feature data: each rule's region (the box its thresholds carve, up to its exceptions)
    /// in its class colour, and the first level of exceptions hatched inside it. With more
    /// features a rule's region is not a box in the shown plane, so none is drawn.
    fn overlays(&self, _eval: &super::EvalPoints) -> Vec<Overlay> {
        if self.dim != 2 || self.compiled.is_empty() {
            return Vec::new();
        }
        // Far outside any view: an unbounded side.
        const FAR: f32 = 1e4;
        let region = |tests: &[Test], lo: &[f32], hi: &[f32]| {
            let (mut lo, mut hi) = (lo.to_vec(), hi.to_vec());
            for t in tests {
                t.clip(&mut lo, &mut hi);
            }
            (lo, hi)
        };
        let (mut rules, mut rule_classes, mut exceptions, mut exception_classes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (class, node) in &self.compiled {
            let (lo, hi) = region(&node.tests, &[-FAR; 2], &[FAR; 2]);
            for e in &node.exceptions {
                let (elo, ehi) = region(&e.tests, &lo, &hi);
                if elo.iter().zip(&ehi).all(|(a, b)| a < b) {
                    exceptions.extend(elo.iter().chain(&ehi));
                    exception_classes.push(*class);
                }
            }
            rules.extend(lo.iter().chain(&hi));
            rule_classes.push(*class);
        }
        let mut out = vec![Overlay::new("rule", OverlayKind::Boxes, OverlayCoords::Host(rules), rule_classes)];
        if !exceptions.is_empty() {
            out.push(Overlay::new("exception", OverlayKind::HatchedBoxes, OverlayCoords::Host(exceptions), exception_classes));
        }
        out
    }

    /// The compiled rule list as two tables (see [`restore`]).
    fn state(&self) -> Vec<(String, Tensor<2>)> {
        let (nodes, tests) = flatten(&self.compiled, self.n_classes, self.dim);
        let table = |rows: Vec<[f32; 6]>| {
            let n = rows.len();
            Tensor::<2>::from_data(TensorData::new(rows.concat(), [n, 6]), &self.device)
        };
        vec![("nodes".into(), table(nodes)), ("tests".into(), table(tests))]
    }

    fn deciding_rule(&self, x: &[f32]) -> Option<usize> {
        let cells = self.cells_of(x)?;
        self.list.rules.iter().position(|(_, rule)| rule.covers_cells(&cells))
    }

    /// The proof for one point: rules in order, each test with the point's value, the
    /// exceptions checked, and the rule that fires.
    fn explain(&self, x: &[f32]) -> Option<String> {
        let cells = self.cells_of(x)?;
        let mut lines = Vec::new();
        for (i, (class, rule)) in self.list.rules.iter().enumerate() {
            let name = self.class_names.get(*class as usize).map(String::as_str).unwrap_or("?");
            let fires = self.trace(rule, &cells, &mut lines, &format!("Rule {} (class '{name}')", i + 1), 0);
            if fires {
                lines.push(format!("=> rule {} fires: class '{name}'.", i + 1));
                return Some(lines.join("\n"));
            }
        }
        lines.push("=> no rule covers this point: unclassified (every class 1/C).".into());
        Some(lines.join("\n"))
    }

    fn program(&self) -> Option<Program> {
        if self.cols.is_empty() {
            return None;
        }
        let units: Vec<(f64, f64)> = self
            .places
            .iter()
            .map(|p| match p {
                Place::Numeric { mean, std, .. } => (*mean, *std),
                Place::Levels { .. } => (0.0, 1.0),
            })
            .collect();
        let p = print::print(&self.list.rules, &self.cols, &units, "label", &self.class_names);
        let mut coverage = vec![(0, 0); self.list.rules.len()];
        for (r, &y) in self.labels.iter().enumerate() {
            if let Some(i) = self.list.rules.iter().position(|(_, rule)| rule.covers(&self.cols, r)) {
                coverage[i].0 += 1;
                coverage[i].1 += usize::from(self.list.rules[i].0 == y);
            }
        }
        let lines = p.lines.into_iter().map(|(rule, head, text)| ProgramLine { text, rule, head }).collect();
        Some(Program { text: p.text, rules: p.clauses, literals: p.literals, lines, coverage })
    }
}

impl Fold {
    /// A point's cells per learner column (None for a restored model, which has no columns).
    fn cells_of(&self, x: &[f32]) -> Option<Vec<Cell>> {
        if self.cols.is_empty() || x.len() != self.dim {
            return None;
        }
        Some(
            self.cols
                .iter()
                .zip(&self.places)
                .map(|(col, place)| match place {
                    Place::Numeric { dim, .. } => Cell::Num(x[*dim] as f64),
                    Place::Levels { first, levels } => {
                        let hot = (0..levels.len()).find(|&k| x[first + k] > 0.5).map(|k| levels[k].as_str()).unwrap_or("");
                        Cell::Str(col.strings.iter().position(|s| s == hot).unwrap_or(usize::MAX) as u32)
                    }
                })
                .collect(),
        )
    }

    /// One literal with the point's value, e.g. `months = 14 > 13 ✓`.
    fn describe(&self, l: &Literal, cell: Cell) -> String {
        let col = &self.cols[l.feature];
        let unit = |v: f64| match &self.places[l.feature] {
            Place::Numeric { mean, std, .. } => mean + std * v,
            Place::Levels { .. } => v,
        };
        let text = |c: Cell| match c {
            Cell::Num(v) => print::number(unit(v)),
            Cell::Str(s) => format!("'{}'", col.strings.get(s as usize).map(String::as_str).unwrap_or("")),
        };
        let op = match l.op {
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Eq => "=",
            Op::Ne => "!=",
        };
        let mark = if l.holds(cell) { "yes" } else { "no" };
        format!("{} = {} {op} {}: {mark}", col.name, text(cell), text(l.value))
    }

    /// Whether `rule` covers the point, writing each test and exception checked.
    fn trace(&self, rule: &Rule, cells: &[Cell], lines: &mut Vec<String>, title: &str, depth: usize) -> bool {
        let pad = "  ".repeat(depth);
        let mut body = Vec::new();
        let mut holds = true;
        for l in &rule.body {
            body.push(self.describe(l, cells[l.feature]));
            if !l.holds(cells[l.feature]) {
                holds = false;
                break;
            }
        }
        lines.push(format!("{pad}{title}: {}", if body.is_empty() { "always".to_string() } else { body.join("; ") }));
        if !holds {
            return false;
        }
        for (k, e) in rule.exceptions.iter().enumerate() {
            if self.trace(e, cells, lines, &format!("unless (exception {})", k + 1), depth + 1) {
                lines.push(format!("{pad}  the exception applies: the rule does not fire"));
                return false;
            }
        }
        true
    }
}

/// Rows of `[kind, a, b, c, d, e]`. Nodes: a header `[n_classes, dim, count, 0, 0, 0]`, then per
/// node in depth-first order `[parent + 1 (0 = top level), class, 0, 0, 0, 0]`. Tests: a header
/// `[count, 0, ...]`, then `[node, kind (0 threshold, 1 hot, 2 cold), dim/first, le/eq, t/n, 0]`.
fn flatten(rules: &[(u32, Node)], n_classes: usize, dim: usize) -> (Vec<[f32; 6]>, Vec<[f32; 6]>) {
    fn walk(node: &Node, parent: usize, class: u32, nodes: &mut Vec<[f32; 6]>, tests: &mut Vec<[f32; 6]>) {
        let id = nodes.len() - 1;
        nodes.push([parent as f32, class as f32, 0.0, 0.0, 0.0, 0.0]);
        let me = id + 1;
        for t in &node.tests {
            tests.push(match *t {
                Test::Threshold { dim, le, t } => [me as f32, 0.0, dim as f32, le as u8 as f32, t, 0.0],
                Test::Hot { dim, eq } => [me as f32, 1.0, dim as f32, eq as u8 as f32, 0.0, 0.0],
                Test::Cold { first, n, eq } => [me as f32, 2.0, first as f32, eq as u8 as f32, n as f32, 0.0],
            });
        }
        for e in &node.exceptions {
            walk(e, me, class, nodes, tests);
        }
    }
    let mut nodes = vec![[n_classes as f32, dim as f32, 0.0, 0.0, 0.0, 0.0]];
    let mut tests = vec![[0.0; 6]];
    for (class, node) in rules {
        walk(node, 0, *class, &mut nodes, &mut tests);
    }
    nodes[0][2] = (nodes.len() - 1) as f32;
    tests[0][0] = (tests.len() - 1) as f32;
    (nodes, tests)
}

/// A saved rule list, for prediction (no training rows, so no program text).
fn restore(params: &Params, state: &ModelState, device: &Device) -> Result<Box<dyn Classifier>, LabError> {
    let bad = |what: &str| LabError::Data(format!("the saved rule list is damaged ({what})"));
    // Host data: validated like any saved tensor, never uploaded (the browser could not read it
    // back synchronously).
    let rows = |name: &str| -> Result<Vec<[f32; 6]>, LabError> {
        let t = state.checked(name)?;
        if t.shape[1] != 6 {
            return Err(bad("table width"));
        }
        Ok(t.data.chunks(6).map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]]).collect())
    };
    let (nodes, tests) = (rows("nodes")?, rows("tests")?);
    let int = |v: f32, max: usize| -> Result<usize, LabError> {
        if v >= 0.0 && v.fract() == 0.0 && (v as usize) <= max { Ok(v as usize) } else { Err(bad("an index out of range")) }
    };
    let n_classes = int(nodes[0][0], 1000)?.max(1);
    let dim = int(nodes[0][1], 1_000_000)?;
    let count = int(nodes[0][2], nodes.len() - 1)?;
    if count != nodes.len() - 1 || int(tests[0][0], tests.len() - 1)? != tests.len() - 1 {
        return Err(bad("row counts"));
    }
    // Node k (1-based) in depth-first order; parents come before children.
    let mut built: Vec<(usize, u32, Node)> = Vec::new();
    for row in &nodes[1..] {
        let parent = int(row[0], built.len())?;
        built.push((parent, int(row[1], n_classes - 1)? as u32, Node::default()));
    }
    for row in &tests[1..] {
        let node = int(row[0], built.len())?;
        if node == 0 {
            return Err(bad("a test without a rule"));
        }
        let flag = int(row[3], 1)? == 1;
        let test = match int(row[1], 2)? {
            0 => Test::Threshold { dim: int(row[2], dim.saturating_sub(1))?, le: flag, t: row[4] },
            1 => Test::Hot { dim: int(row[2], dim.saturating_sub(1))?, eq: flag },
            _ => {
                let first = int(row[2], dim.saturating_sub(1))?;
                Test::Cold { first, n: int(row[4], dim - first)?, eq: flag }
            }
        };
        if test.max_dim() >= dim {
            return Err(bad("a dimension out of range"));
        }
        built[node - 1].2.tests.push(test);
    }
    // Attach children to parents, last first so every child is complete when it moves.
    let mut compiled = Vec::new();
    while let Some((parent, class, node)) = built.pop() {
        if parent == 0 {
            compiled.push((class, node));
        } else {
            built[parent - 1].2.exceptions.insert(0, node);
        }
    }
    compiled.reverse();
    Ok(Box::new(Fold {
        cols: Vec::new(),
        places: Vec::new(),
        labels: Vec::new(),
        class_names: Vec::new(),
        n_classes,
        dim,
        cfg: config(params),
        list: RuleList::new(0),
        compiled,
        device: device.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table;

    /// The rule list as device masks gives exactly the host rules' decision on every training row
    /// (and 1/C everywhere for rows no rule covers), on a mixed table with missing cells.
    #[test]
    fn device_masks_agree_with_the_host_rules() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/samples/subscriptions.csv")).unwrap();
        let t = table::parse(&bytes).unwrap();
        let enc = table::encode(&t, &table::Roles::guess(&t)).unwrap();
        let device = Device::flex();
        for heuristic in ["fold-se", "fold-r++"] {
            let mut params = Params::defaults(SPEC.params);
            params.set(&HEURISTIC, crate::params::ParamValue::Choice(heuristic.into())).unwrap();
            params.set(&TAIL, crate::params::ParamValue::Float(0.0)).unwrap();
            let data = TrainData::new(&enc.data, &device).unwrap();
            let (cols, places) = columns(&enc.data);
            assert!(places.iter().any(|p| matches!(p, Place::Levels { .. })), "the sample has categorical columns");
            let mut model = Fold {
                cols: cols.clone(),
                places,
                labels: enc.data.y.clone(),
                class_names: enc.data.class_names.clone(),
                n_classes: 2,
                dim: enc.data.dim,
                cfg: config(&params),
                list: RuleList::new(enc.data.len()),
                compiled: Vec::new(),
                device: device.clone(),
            };
            while !model.step().unwrap().converged {}
            assert!(model.list.rules.len() >= 2, "{heuristic}");
            let probs = model.predict_proba(data.x.clone()).into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
            for r in 0..enc.data.len() {
                let row = &probs[r * 2..r * 2 + 2];
                let proof = model.explain(enc.data.row(r)).unwrap();
                let last = proof.lines().last().unwrap();
                match model.list.predict(&cols, r) {
                    Some(c) => {
                        assert_eq!(row[c as usize], 1.0, "{heuristic} row {r}: {row:?}");
                        assert!(last.ends_with(&format!("class '{}'.", enc.data.class_names[c as usize])), "{heuristic} row {r}: {proof}");
                    }
                    None => {
                        assert_eq!(row, [0.5, 0.5], "{heuristic} row {r} is unclassified");
                        assert!(last.contains("unclassified"), "{proof}");
                    }
                }
            }
        }
    }
}
