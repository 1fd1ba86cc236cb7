//! The FOLD family's learning algorithm on raw columns (`shared/specs/fold-se.md`): default rules
//! with exceptions, the best literal per feature from one sorted pass with prefix sums, FOLD-R++'s
//! information gain or FOLD-SE's Gini-based score with long-tail pruning, and FOLD-RM's ordered
//! rule list for any number of classes. Pure host code: it is combinatorial, not tensor work.
//!
//! Unverifiable in the papers, chosen as the spec recommends: the FOLD-SE score is
//! `-(tp*fp/(tp+fp) + tn*fn/(tn+fn)) / n` (the paper's "Magic Gini Impurity" formula could not be
//! read; a positive rescaling would give the same rules), and long-tail pruning stops a `fold` when
//! a new rule covers fewer than `tail * N_train` rows.

use std::cmp::Ordering;

/// One cell: a number, or a string (an index into its column's sorted strings; a missing cell is
/// the empty string).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Num(f64),
    Str(u32),
}

/// One feature column of the training rows.
#[derive(Clone, Debug, PartialEq)]
pub struct RawColumn {
    pub name: String,
    pub cells: Vec<Cell>,
    /// Distinct string values, sorted ascending (the order literals are tried in).
    pub strings: Vec<String>,
}

impl RawColumn {
    /// A column from cell texts: numbers where they parse (finite), strings otherwise.
    pub fn from_texts<S: AsRef<str>>(name: &str, texts: &[S]) -> RawColumn {
        let mut strings: Vec<String> = texts
            .iter()
            .map(|t| t.as_ref().trim())
            .filter(|t| t.parse::<f64>().map_or(true, |v| !v.is_finite()))
            .map(String::from)
            .collect();
        strings.sort();
        strings.dedup();
        let cells = texts
            .iter()
            .map(|t| {
                let t = t.as_ref().trim();
                match t.parse::<f64>() {
                    Ok(v) if v.is_finite() => Cell::Num(v),
                    _ => Cell::Str(strings.binary_search_by(|s| s.as_str().cmp(t)).unwrap_or(0) as u32),
                }
            })
            .collect();
        RawColumn { name: name.to_string(), cells, strings }
    }

    /// A column of numbers only.
    pub fn numeric(name: &str, values: &[f64]) -> RawColumn {
        RawColumn { name: name.to_string(), cells: values.iter().map(|&v| Cell::Num(v)).collect(), strings: Vec::new() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Le,
    Gt,
    Eq,
    Ne,
}

impl Op {
    fn complement(self) -> Op {
        match self {
            Op::Le => Op::Gt,
            Op::Gt => Op::Le,
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
        }
    }
}

/// A feature test: `f <= t`, `f > t` (false against a string), `f == c`, `f != c` (a number is
/// never equal to a string).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Literal {
    pub feature: usize,
    pub op: Op,
    pub value: Cell,
}

impl Literal {
    pub fn holds(&self, cell: Cell) -> bool {
        match (self.op, self.value, cell) {
            (Op::Le, Cell::Num(t), Cell::Num(v)) => v <= t,
            (Op::Gt, Cell::Num(t), Cell::Num(v)) => v > t,
            (Op::Le | Op::Gt, _, _) => false,
            (Op::Eq, Cell::Str(c), Cell::Str(v)) => v == c,
            (Op::Eq, _, _) => false,
            (Op::Ne, Cell::Str(c), Cell::Str(v)) => v != c,
            (Op::Ne, _, _) => true,
        }
    }

    fn complement(self) -> Literal {
        Literal { op: self.op.complement(), ..self }
    }
}

/// What a literal does to the current examples: true/false positives and negatives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Counts {
    pub tp: usize,
    pub fn_: usize,
    pub tn: usize,
    pub fp: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heuristic {
    /// FOLD-R++: information gain.
    InfoGain,
    /// FOLD-SE: the Gini-impurity-based score, with long-tail pruning.
    Gini,
}

/// FOLD-R++'s information gain (natural log); `-inf` when the literal is worse than useless.
pub fn info_gain(c: Counts) -> f64 {
    if c.tp + c.tn < c.fp + c.fn_ {
        return f64::NEG_INFINITY;
    }
    let f = |a: usize, b: usize| if a == 0 { 0.0 } else { a as f64 * libm::log(a as f64 / (a + b) as f64) };
    (f(c.tp, c.fp) + f(c.fp, c.tp) + f(c.tn, c.fn_) + f(c.fn_, c.tn)) / (c.tp + c.fn_ + c.tn + c.fp) as f64
}

/// FOLD-SE's score: minus half the weighted Gini impurity of the covered / uncovered split.
pub fn gini_score(c: Counts) -> f64 {
    if c.tp + c.tn < c.fp + c.fn_ {
        return f64::NEG_INFINITY;
    }
    let part = |a: usize, b: usize| if a + b == 0 { 0.0 } else { (a * b) as f64 / (a + b) as f64 };
    -(part(c.tp, c.fp) + part(c.tn, c.fn_)) / (c.tp + c.fn_ + c.tn + c.fp) as f64
}

impl Heuristic {
    pub fn score(self, c: Counts) -> f64 {
        match self {
            Heuristic::InfoGain => info_gain(c),
            Heuristic::Gini => gini_score(c),
        }
    }
}

/// Every candidate literal of one feature with its counts on the examples `pos` / `neg`, in the
/// order ties are broken: thresholds ascending (`<=` before `>`), then strings ascending (`==`
/// before `!=`). One sort and prefix sums: O(n log n) per feature.
pub fn candidates(col: &RawColumn, feature: usize, pos: &[usize], neg: &[usize]) -> Vec<(Literal, Counts)> {
    let mut nums: Vec<(f64, bool)> = Vec::new();
    let mut spos = vec![0usize; col.strings.len()];
    let mut sneg = vec![0usize; col.strings.len()];
    let (mut cp, mut cn) = (0, 0);
    for (rows, positive) in [(pos, true), (neg, false)] {
        for &r in rows {
            match col.cells[r] {
                Cell::Num(v) => nums.push((v, positive)),
                Cell::Str(s) => {
                    if positive {
                        spos[s as usize] += 1;
                        cp += 1;
                    } else {
                        sneg[s as usize] += 1;
                        cn += 1;
                    }
                }
            }
        }
    }
    let xp = nums.iter().filter(|n| n.1).count();
    let xn = nums.len() - xp;
    nums.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = Vec::new();
    let (mut p, mut n) = (0usize, 0usize);
    let mut i = 0;
    while i < nums.len() {
        let t = nums[i].0;
        while i < nums.len() && nums[i].0 == t {
            if nums[i].1 { p += 1 } else { n += 1 }
            i += 1;
        }
        // P, N: positives / negatives with a number <= t.
        let lit = |op| Literal { feature, op, value: Cell::Num(t) };
        out.push((lit(Op::Le), Counts { tp: p, fn_: xp - p + cp, tn: xn - n + cn, fp: n }));
        out.push((lit(Op::Gt), Counts { tp: xp - p, fn_: p + cp, tn: n + cn, fp: xn - n }));
    }
    for s in 0..col.strings.len() {
        if spos[s] + sneg[s] == 0 {
            continue;
        }
        let lit = |op| Literal { feature, op, value: Cell::Str(s as u32) };
        let (pc, nc) = (spos[s], sneg[s]);
        out.push((lit(Op::Eq), Counts { tp: pc, fn_: cp - pc + xp, tn: cn - nc + xn, fp: nc }));
        out.push((lit(Op::Ne), Counts { tp: cp - pc + xp, fn_: pc, tn: nc, fp: cn - nc + xn }));
    }
    out
}

/// A rule: its body holds and none of its exceptions covers the row.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub body: Vec<Literal>,
    pub exceptions: Vec<Rule>,
}

impl Rule {
    pub fn covers(&self, cols: &[RawColumn], row: usize) -> bool {
        self.body.iter().all(|l| l.holds(cols[l.feature].cells[row])) && !self.exceptions.iter().any(|e| e.covers(cols, row))
    }

    /// Whether the rule covers a row given as one cell per column.
    pub fn covers_cells(&self, cells: &[Cell]) -> bool {
        self.body.iter().all(|l| cells.get(l.feature).is_some_and(|&c| l.holds(c))) && !self.exceptions.iter().any(|e| e.covers_cells(cells))
    }

    /// Literals in this rule and its exceptions.
    pub fn literals(&self) -> usize {
        self.body.len() + self.exceptions.iter().map(Rule::literals).sum::<usize>()
    }
}

/// The learner's settings (spec defaults: ratio 0.5, tail 0.005, exception depth 10).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FoldConfig {
    pub heuristic: Heuristic,
    /// A rule stops growing once its false positives are at most `ratio` x its true positives.
    pub ratio: f64,
    /// FOLD-SE's long-tail pruning: a rule covering fewer than `tail * N_train` rows is dropped.
    pub tail: f64,
    /// Exceptions of exceptions ... at most this deep.
    pub max_depth: usize,
    /// Top-level rules at most.
    pub max_rules: usize,
}

impl Default for FoldConfig {
    fn default() -> Self {
        FoldConfig { heuristic: Heuristic::Gini, ratio: 0.5, tail: 0.005, max_depth: 10, max_rules: 200 }
    }
}

/// The learning context: columns, settings, training-set size.
pub struct Learner<'a> {
    pub cols: &'a [RawColumn],
    pub cfg: FoldConfig,
    pub n_train: usize,
}

impl Learner<'_> {
    /// The best literal for `pos` / `neg` that neither is in `used` nor has its complement there;
    /// `None` when every candidate scores `-inf`.
    pub fn best_literal(&self, pos: &[usize], neg: &[usize], used: &[Literal]) -> Option<Literal> {
        let mut best: Option<(f64, Literal)> = None;
        for (f, col) in self.cols.iter().enumerate() {
            for (lit, counts) in candidates(col, f, pos, neg) {
                if used.iter().any(|u| *u == lit || *u == lit.complement()) {
                    continue;
                }
                let s = self.cfg.heuristic.score(counts);
                if s == f64::NEG_INFINITY {
                    continue;
                }
                if best.as_ref().is_none_or(|(b, _)| s.partial_cmp(b) == Some(Ordering::Greater)) {
                    best = Some((s, lit));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// Grows one rule for `pos` against `neg` (FOLD's learn_rule), with exceptions learnt by
    /// swapping the roles of the examples it still covers.
    pub fn learn_rule(&self, pos: &[usize], neg: &[usize], used: &[Literal], depth: usize) -> Rule {
        let mut body: Vec<Literal> = Vec::new();
        let (mut p, mut n) = (pos.to_vec(), neg.to_vec());
        loop {
            let all_used: Vec<Literal> = used.iter().chain(&body).copied().collect();
            let Some(lit) = self.best_literal(&p, &n, &all_used) else {
                return Rule { body, exceptions: Vec::new() };
            };
            body.push(lit);
            let col = &self.cols[lit.feature];
            p.retain(|&r| lit.holds(col.cells[r]));
            n.retain(|&r| lit.holds(col.cells[r]));
            if n.len() as f64 <= self.cfg.ratio * p.len() as f64 {
                let exceptions = if n.is_empty() || depth >= self.cfg.max_depth {
                    Vec::new()
                } else {
                    let all_used: Vec<Literal> = used.iter().chain(&body).copied().collect();
                    self.fold(&n, &p, &all_used, depth + 1)
                };
                return Rule { body, exceptions };
            }
        }
    }

    /// Rules covering `pos` and not `neg` (FOLD's fold; exceptions use it with roles swapped).
    pub fn fold(&self, pos: &[usize], neg: &[usize], used: &[Literal], depth: usize) -> Vec<Rule> {
        let mut rules = Vec::new();
        let mut p = pos.to_vec();
        while !p.is_empty() && rules.len() < self.cfg.max_rules {
            let rule = self.learn_rule(&p, neg, used, depth);
            let covered = p.iter().filter(|&&r| rule.covers(self.cols, r)).count();
            if covered == 0 || rule.body.is_empty() {
                break;
            }
            if self.cfg.heuristic == Heuristic::Gini && (covered as f64) < self.cfg.tail * self.n_train as f64 {
                break;
            }
            p.retain(|&r| !rule.covers(self.cols, r));
            rules.push(rule);
        }
        rules
    }
}

/// FOLD-RM's ordered rule list under construction: each [`RuleList::grow`] adds one rule for
/// the most frequent class among the rows not yet covered.
pub struct RuleList {
    pub rules: Vec<(u32, Rule)>,
    /// Rows no rule covers yet.
    remaining: Vec<usize>,
    pub done: bool,
}

impl RuleList {
    pub fn new(n_rows: usize) -> Self {
        RuleList { rules: Vec::new(), remaining: (0..n_rows).collect(), done: n_rows == 0 }
    }

    /// One rule; `false` once the list is complete.
    pub fn grow(&mut self, learner: &Learner, labels: &[u32]) -> bool {
        if self.done || self.rules.len() >= learner.cfg.max_rules {
            self.done = true;
            return false;
        }
        // The most frequent label among the remaining rows; ties -> the last maximum in
        // first-seen order.
        let mut seen: Vec<(u32, usize)> = Vec::new();
        for &r in &self.remaining {
            match seen.iter_mut().find(|(c, _)| *c == labels[r]) {
                Some(e) => e.1 += 1,
                None => seen.push((labels[r], 1)),
            }
        }
        let top = seen.iter().map(|e| e.1).max().unwrap_or(0);
        let Some(&(class, _)) = seen.iter().rev().find(|e| e.1 == top) else {
            self.done = true;
            return false;
        };
        let (pos, neg): (Vec<usize>, Vec<usize>) = self.remaining.iter().partition(|&&r| labels[r] == class);
        let rule = learner.learn_rule(&pos, &neg, &[], 0);
        let covers_pos = pos.iter().any(|&r| rule.covers(learner.cols, r));
        let covered = self.remaining.iter().filter(|&&r| rule.covers(learner.cols, r)).count();
        let pruned = learner.cfg.heuristic == Heuristic::Gini && (covered as f64) < learner.cfg.tail * learner.n_train as f64;
        if !covers_pos || rule.body.is_empty() || pruned {
            self.done = true;
            return false;
        }
        self.remaining.retain(|&r| !rule.covers(learner.cols, r));
        self.rules.push((class, rule));
        self.done = self.remaining.is_empty();
        true
    }

    /// The first covering rule's class (`None`: unclassified).
    pub fn predict(&self, cols: &[RawColumn], row: usize) -> Option<u32> {
        self.rules.iter().find(|(_, r)| r.covers(cols, row)).map(|(c, _)| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn learner(cols: &[RawColumn], heuristic: Heuristic, n: usize) -> Learner<'_> {
        Learner { cols, cfg: FoldConfig { heuristic, ..FoldConfig::default() }, n_train: n }
    }

    #[test]
    fn the_fold_r_plus_plus_papers_worked_example() {
        // E+ {1,2,3,3,5,6,6,'b'}, E- {2,4,6,7,'a'}: `<= 3` gives (4,4,4,1), IG -0.619, MGI -0.2154.
        let texts = ["1", "2", "3", "3", "5", "6", "6", "b", "2", "4", "6", "7", "a"];
        let col = RawColumn::from_texts("f", &texts);
        let (pos, neg): (Vec<usize>, Vec<usize>) = (0..13).partition(|&r| r < 8);
        let c = candidates(&col, 0, &pos, &neg);
        let (_, counts) = c.iter().find(|(l, _)| l.op == Op::Le && l.value == Cell::Num(3.0)).copied().unwrap();
        assert_eq!(counts, Counts { tp: 4, fn_: 4, tn: 4, fp: 1 });
        assert!((info_gain(counts) + 0.619).abs() < 1e-3, "{}", info_gain(counts));
        assert!((gini_score(counts) + 2.8 / 13.0).abs() < 1e-12, "{}", gini_score(counts));
    }

    #[test]
    fn prefix_sum_counts_equal_brute_force_on_mixed_columns() {
        let mut rng = Rng::new(11);
        for trial in 0..200 {
            let n = 1 + rng.below(40);
            let texts: Vec<String> = (0..n)
                .map(|_| match rng.below(4) {
                    0 => ["a", "b", "", "c"][rng.below(4)].to_string(),
                    _ => format!("{}", rng.below(6) as f64 / 2.0),
                })
                .collect();
            let col = RawColumn::from_texts("f", &texts);
            let labels: Vec<bool> = (0..n).map(|_| rng.below(2) == 0).collect();
            let pos: Vec<usize> = (0..n).filter(|&r| labels[r] && rng.below(5) > 0).collect();
            let neg: Vec<usize> = (0..n).filter(|&r| !labels[r]).collect();
            for (lit, counts) in candidates(&col, 0, &pos, &neg) {
                let holds = |r: &usize| lit.holds(col.cells[*r]);
                let tp = pos.iter().filter(|r| holds(r)).count();
                let fp = neg.iter().filter(|r| holds(r)).count();
                let brute = Counts { tp, fn_: pos.len() - tp, tn: neg.len() - fp, fp };
                assert_eq!(counts, brute, "trial {trial}: {lit:?} on {texts:?}");
            }
        }
    }

    /// The FOLD-RM paper's habitat example: land = mammal unless whale; then two water rules.
    #[test]
    fn the_habitat_example_gives_the_papers_rule_structure() {
        // Columns mammal, cat, whale, bear, dog, fish, clownfish; rows charlie (dog), smoky (bear),
        // kitty (cat) live on land (0), john (whale) and nemo (clownfish) in water (1).
        let rows: [[f64; 7]; 5] = [
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
        ];
        let names = ["mammal", "cat", "whale", "bear", "dog", "fish", "clownfish"];
        let cols: Vec<RawColumn> = (0..7).map(|j| RawColumn::numeric(names[j], &rows.map(|r| r[j]))).collect();
        let labels = [0, 0, 0, 1, 1];
        for heuristic in [Heuristic::Gini, Heuristic::InfoGain] {
            let l = learner(&cols, heuristic, 5);
            let mut list = RuleList::new(5);
            while list.grow(&l, &labels) {}
            assert_eq!(list.rules.len(), 3, "{heuristic:?}: {:?}", list.rules);
            let (class, first) = &list.rules[0];
            assert_eq!(*class, 0);
            assert_eq!(first.body, vec![Literal { feature: 0, op: Op::Gt, value: Cell::Num(0.0) }], "land :- mammal");
            assert_eq!(first.exceptions.len(), 1);
            assert_eq!(first.exceptions[0].body, vec![Literal { feature: 2, op: Op::Gt, value: Cell::Num(0.0) }], "unless whale");
            assert!(list.rules[1..].iter().all(|(c, r)| *c == 1 && r.exceptions.is_empty()));
            assert!((0..5).all(|r| list.predict(&cols, r) == Some(labels[r])), "100% on the training rows");
        }
    }

    /// Noisy moons: two numeric columns, 20% of the labels flipped.
    fn noisy_moons(n: usize, seed: u64) -> (Vec<RawColumn>, Vec<u32>) {
        let d = crate::data::generate(&crate::data::ToyConfig { kind: crate::data::DatasetKind::Moons, n, noise: 0.1, seed, classes: 2 });
        let mut rng = Rng::new(seed);
        let labels: Vec<u32> = d.y.iter().map(|&y| if rng.below(5) == 0 { 1 - y } else { y }).collect();
        let col = |j: usize| RawColumn::numeric(["x1", "x2"][j], &(0..d.len()).map(|i| d.row(i)[j] as f64).collect::<Vec<_>>());
        (vec![col(0), col(1)], labels)
    }

    fn fit(cols: &[RawColumn], labels: &[u32], cfg: FoldConfig, n: usize) -> RuleList {
        let l = Learner { cols, cfg, n_train: n };
        let mut list = RuleList::new(n);
        while list.grow(&l, labels) {}
        list
    }

    #[test]
    fn rule_count_does_not_grow_with_tail() {
        let (cols, labels) = noisy_moons(1000, 3);
        let mut last = usize::MAX;
        for tail in [0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1] {
            let list = fit(&cols, &labels, FoldConfig { tail, ..FoldConfig::default() }, 1000);
            let rules: usize = list.rules.len();
            eprintln!("tail {tail}: {rules} rules");
            assert!(rules <= last, "tail {tail}: {rules} rules after {last}");
            last = rules;
        }
    }

    #[test]
    fn fold_se_needs_far_fewer_rules_than_fold_r_plus_plus_on_noisy_moons() {
        let (cols, labels) = noisy_moons(5000, 5);
        let (train, test): (Vec<usize>, Vec<usize>) = (0..5000).partition(|r| r % 5 != 0);
        let sub = |rows: &[usize]| -> Vec<RawColumn> {
            cols.iter().map(|c| RawColumn { cells: rows.iter().map(|&r| c.cells[r]).collect(), ..c.clone() }).collect()
        };
        let (tr, te) = (sub(&train), sub(&test));
        let ytr: Vec<u32> = train.iter().map(|&r| labels[r]).collect();
        let yte: Vec<u32> = test.iter().map(|&r| labels[r]).collect();
        let accuracy = |list: &RuleList| (0..te[0].cells.len()).filter(|&r| list.predict(&te, r) == Some(yte[r])).count() as f64 / yte.len() as f64;
        let se = fit(&tr, &ytr, FoldConfig::default(), train.len());
        let rpp = fit(&tr, &ytr, FoldConfig { heuristic: Heuristic::InfoGain, ..FoldConfig::default() }, train.len());
        let size = |l: &RuleList| l.rules.iter().map(|(_, r)| 1 + count_rules(&r.exceptions)).sum::<usize>();
        let (a_se, a_rpp) = (accuracy(&se), accuracy(&rpp));
        eprintln!("FOLD-SE {} rules, accuracy {a_se}; FOLD-R++ {} rules, accuracy {a_rpp}", size(&se), size(&rpp));
        assert!(2 * size(&se) <= size(&rpp), "FOLD-SE {} rules vs FOLD-R++ {}", size(&se), size(&rpp));
        assert!(a_se >= a_rpp - 0.03, "FOLD-SE accuracy {a_se} vs FOLD-R++ {a_rpp}");
    }

    fn count_rules(rules: &[Rule]) -> usize {
        rules.iter().map(|r| 1 + count_rules(&r.exceptions)).sum()
    }
}
