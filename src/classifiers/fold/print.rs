//! A learned rule list as the FOLD papers print it (answer-set-programming style):
//!
//! ```text
//! label(X,'yes') :- petal_len(X,N1), N1>2.45, not color(X,'red'), not ab1(X).
//! ab1(X) :- width(X,N1), N1=<1.75.
//! ```
//!
//! Printing simplifies as FOLD-R++'s code does, on a copy (the model keeps its exact rules):
//! a single-literal exception without exceptions of its own becomes the negated literal in its
//! parent's body (only for features that are numbers in every row, where that is exact), bounds on
//! one feature collapse to the tightest, and identical exceptions share one `abN` head.

use super::learn::{Cell, Literal, Op, RawColumn, Rule};

/// A name usable as a predicate: lower case, letters, digits and `_`, starting with a letter.
fn predicate(name: &str) -> String {
    let mut s: String = name.trim().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, 'f');
    }
    s
}

/// A quoted constant: `'red'`, with `'` doubled inside.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A threshold rounded to 3 decimals, without trailing zeros.
pub(super) fn number(v: f64) -> String {
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Whether every row of the column is a number (the negation of `<=` is then `>`).
fn all_numeric(col: &RawColumn) -> bool {
    col.cells.iter().all(|c| matches!(c, Cell::Num(_)))
}

/// Folds single-literal exceptions into the body and collapses bounds, recursively.
fn simplify(rule: &Rule, cols: &[RawColumn]) -> Rule {
    let mut body = rule.body.clone();
    let mut exceptions = Vec::new();
    for e in &rule.exceptions {
        let e = simplify(e, cols);
        let foldable = e.body.len() == 1 && e.exceptions.is_empty() && {
            let l = e.body[0];
            matches!(l.op, Op::Eq | Op::Ne) || all_numeric(&cols[l.feature])
        };
        if foldable {
            let l = e.body[0];
            let negated = match l.op {
                Op::Le => Op::Gt,
                Op::Gt => Op::Le,
                Op::Eq => Op::Ne,
                Op::Ne => Op::Eq,
            };
            body.push(Literal { op: negated, ..l });
        } else {
            exceptions.push(e);
        }
    }
    Rule { body: tightest(body), exceptions }
}

/// Keeps, per feature, the largest `>` bound and the smallest `<=` bound; other literals as they
/// are, in their first position.
fn tightest(body: Vec<Literal>) -> Vec<Literal> {
    let mut out: Vec<Literal> = Vec::new();
    for l in body {
        let bound = |x: &Literal| match x.value {
            Cell::Num(v) => v,
            Cell::Str(_) => f64::NAN,
        };
        let same_bound = out.iter().position(|o| o.feature == l.feature && o.op == l.op && matches!(l.op, Op::Le | Op::Gt));
        match same_bound {
            Some(k) => {
                let keep_new = match l.op {
                    Op::Gt => bound(&l) > bound(&out[k]),
                    _ => bound(&l) < bound(&out[k]),
                };
                if keep_new {
                    out[k] = l;
                }
            }
            None if !out.contains(&l) => out.push(l),
            None => {}
        }
    }
    out
}

/// The printed program and its size: clauses (top-level and exception rules) and feature tests.
pub struct Printed {
    pub text: String,
    pub clauses: usize,
    pub literals: usize,
    /// Each line with the index of the top-level rule it was printed for, and whether it is
    /// that rule's own clause.
    pub lines: Vec<(usize, bool, String)>,
}

struct Printer<'a> {
    cols: &'a [RawColumn],
    /// Per column `(mean, std)`: thresholds learnt on standardised numbers print in the file's units.
    units: &'a [(f64, f64)],
    /// Exception rules already printed, with their head number.
    heads: Vec<(Rule, usize)>,
    lines: Vec<String>,
    literals: usize,
}

impl Printer<'_> {
    /// The body of a clause: feature tests, then `not abN(X)` for each exception.
    fn body(&mut self, rule: &Rule) -> String {
        let mut parts = Vec::new();
        // One variable per numeric feature of the clause: `f(X,N1), N1>2, N1=<5`.
        let mut vars: Vec<usize> = Vec::new();
        for l in &rule.body {
            let col = &self.cols[l.feature];
            let p = predicate(&col.name);
            self.literals += 1;
            match (l.op, l.value) {
                (Op::Le | Op::Gt, Cell::Num(t)) => {
                    let op = if l.op == Op::Le { "=<" } else { ">" };
                    let (mean, std) = self.units.get(l.feature).copied().unwrap_or((0.0, 1.0));
                    let bound = number(mean + std * t);
                    match vars.iter().position(|&f| f == l.feature) {
                        Some(k) => parts.push(format!("N{}{op}{bound}", k + 1)),
                        None => {
                            vars.push(l.feature);
                            let v = vars.len();
                            parts.push(format!("{p}(X,N{v}), N{v}{op}{bound}"));
                        }
                    }
                }
                (Op::Eq | Op::Ne, Cell::Str(s)) => {
                    let text = col.strings.get(s as usize).map(String::as_str).unwrap_or("");
                    let not = if l.op == Op::Ne { "not " } else { "" };
                    parts.push(format!("{not}{p}(X,{})", quoted(text)));
                }
                // The learner pairs numbers with order tests and strings with equality only.
                _ => parts.push("false".into()),
            }
        }
        for e in &rule.exceptions {
            let n = self.head(e);
            parts.push(format!("not ab{n}(X)"));
        }
        parts.join(", ")
    }

    /// The head number of an exception rule, printing it the first time it is seen.
    fn head(&mut self, rule: &Rule) -> usize {
        if let Some((_, n)) = self.heads.iter().find(|(r, _)| r == rule) {
            return *n;
        }
        let n = self.heads.len() + 1;
        self.heads.push((rule.clone(), n));
        // The clause's line comes before those of the exceptions its body introduces.
        let slot = self.lines.len();
        self.lines.push(String::new());
        let body = self.body(rule);
        self.lines[slot] = format!("ab{n}(X) :- {body}.");
        n
    }
}

/// Prints an ordered rule list: `label(X,'class') :- ...` per rule, in order (the first rule that
/// covers a row decides), each followed by the exception clauses it introduces.
pub fn print(rules: &[(u32, Rule)], cols: &[RawColumn], units: &[(f64, f64)], label: &str, classes: &[String]) -> Printed {
    let mut p = Printer { cols, units, heads: Vec::new(), lines: Vec::new(), literals: 0 };
    let head = predicate(label);
    let mut clauses = 0;
    let mut lines = Vec::new();
    for (i, (class, rule)) in rules.iter().enumerate() {
        let rule = simplify(rule, cols);
        let start = p.lines.len();
        let body = p.body(&rule);
        let name = classes.get(*class as usize).map(String::as_str).unwrap_or("?");
        let clause = if body.is_empty() { format!("{head}(X,{}).", quoted(name)) } else { format!("{head}(X,{}) :- {body}.", quoted(name)) };
        // The clause before the exceptions it introduced.
        p.lines.insert(start, clause);
        lines.extend(p.lines[start..].iter().enumerate().map(|(k, l)| (i, k == 0, l.clone())));
        clauses += 1;
    }
    clauses += p.heads.len();
    Printed { text: p.lines.join("\n"), clauses, literals: p.literals, lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(feature: usize, op: Op, value: Cell) -> Literal {
        Literal { feature, op, value }
    }

    #[test]
    fn prints_the_specs_example_form() {
        let cols = vec![
            RawColumn::numeric("petal len", &[1.0, 3.0]),
            RawColumn::from_texts("color", &["red", "blue"]),
            RawColumn::from_texts("width", &["1.5", "n/a"]),
        ];
        let red = cols[1].strings.iter().position(|s| s == "red").unwrap() as u32;
        // width is mixed (a string in one row), so its single-literal exception stays a clause.
        let rule = Rule {
            body: vec![lit(0, Op::Gt, Cell::Num(2.45)), lit(1, Op::Ne, Cell::Str(red)), lit(0, Op::Gt, Cell::Num(1.0))],
            exceptions: vec![Rule { body: vec![lit(2, Op::Le, Cell::Num(1.75))], exceptions: vec![] }],
        };
        let p = print(&[(1, rule)], &cols, &[], "label", &["no".into(), "yes".into()]);
        assert_eq!(
            p.text,
            "label(X,'yes') :- petal_len(X,N1), N1>2.45, not color(X,'red'), not ab1(X).\nab1(X) :- width(X,N1), N1=<1.75."
        );
        assert_eq!((p.clauses, p.literals), (2, 3));
    }

    #[test]
    fn single_numeric_exceptions_fold_into_the_body_and_identical_ones_share_a_head() {
        let cols = vec![RawColumn::numeric("x", &[0.0, 1.0]), RawColumn::numeric("y", &[0.0, 1.0])];
        let shared = Rule { body: vec![lit(0, Op::Le, Cell::Num(0.5)), lit(1, Op::Gt, Cell::Num(0.25))], exceptions: vec![] };
        let a = Rule {
            body: vec![lit(1, Op::Gt, Cell::Num(0.0))],
            exceptions: vec![Rule { body: vec![lit(0, Op::Le, Cell::Num(0.2))], exceptions: vec![] }, shared.clone()],
        };
        let b = Rule { body: vec![lit(0, Op::Gt, Cell::Num(-1.0))], exceptions: vec![shared] };
        let p = print(&[(0, a), (1, b)], &cols, &[(0.0, 1.0), (0.0, 1.0)], "class", &["a".into(), "b".into()]);
        assert_eq!(
            p.text,
            "class(X,'a') :- y(X,N1), N1>0, x(X,N2), N2>0.2, not ab1(X).\n\
             ab1(X) :- x(X,N1), N1=<0.5, y(X,N2), N2>0.25.\n\
             class(X,'b') :- x(X,N1), N1>-1, not ab1(X)."
        );
        assert_eq!(p.clauses, 3);
    }

    /// Printing simplifies on a copy, and the copy means the same: on random mixed tables every
    /// simplified rule covers exactly the rows its original covers.
    #[test]
    fn simplified_rules_cover_the_same_rows() {
        use super::super::learn::{FoldConfig, Heuristic, Learner, RuleList};
        use crate::rng::Rng;
        let mut rng = Rng::new(5);
        for trial in 0..30 {
            let n = 60 + rng.below(100);
            let cols: Vec<RawColumn> = (0..3)
                .map(|j| {
                    let texts: Vec<String> = (0..n)
                        .map(|_| if j == 2 && rng.below(4) == 0 { ["u", "v", ""][rng.below(3)].to_string() } else { format!("{}", rng.below(20)) })
                        .collect();
                    RawColumn::from_texts(&format!("c{j}"), &texts)
                })
                .collect();
            let labels: Vec<u32> = (0..n).map(|_| rng.below(3) as u32).collect();
            let heuristic = if trial % 2 == 0 { Heuristic::Gini } else { Heuristic::InfoGain };
            let learner = Learner { cols: &cols, cfg: FoldConfig { heuristic, tail: 0.0, ..FoldConfig::default() }, n_train: n };
            let mut list = RuleList::new(n);
            while list.grow(&learner, &labels) {}
            for (_, rule) in &list.rules {
                let simple = simplify(rule, &cols);
                for r in 0..n {
                    assert_eq!(simple.covers(&cols, r), rule.covers(&cols, r), "trial {trial}, row {r}: {rule:?} vs {simple:?}");
                }
            }
        }
    }

    #[test]
    fn bounds_on_one_feature_collapse_to_the_tightest() {
        let body = vec![
            lit(0, Op::Gt, Cell::Num(1.0)),
            lit(0, Op::Le, Cell::Num(9.0)),
            lit(0, Op::Gt, Cell::Num(3.0)),
            lit(0, Op::Le, Cell::Num(5.0)),
            lit(1, Op::Gt, Cell::Num(0.0)),
        ];
        assert_eq!(tightest(body), vec![lit(0, Op::Gt, Cell::Num(3.0)), lit(0, Op::Le, Cell::Num(5.0)), lit(1, Op::Gt, Cell::Num(0.0))]);
    }
}
