//! FOLD's learner (issue 6, in progress): fit time on 10,000 rows x 20 mixed columns (14 numeric,
//! 6 categorical with a few missing cells), FOLD-SE and FOLD-R++, natively. The wasm figure comes
//! with the page integration.

use boundary_lab::classifiers::fold::learn::{FoldConfig, Heuristic, Learner, RawColumn, RuleList};
use boundary_lab::rng::Rng;
use std::time::Instant;

fn main() {
    let (n, numeric, categorical) = (10_000, 14, 6);
    let mut rng = Rng::new(7);
    let mut cols = Vec::new();
    let mut score = vec![0.0f64; n];
    for j in 0..numeric {
        let v: Vec<f64> = (0..n).map(|_| (rng.normal() * 1000.0).round() / 1000.0).collect();
        for (s, x) in score.iter_mut().zip(&v) {
            *s += x * if j % 3 == 0 { 1.0 } else { 0.1 };
        }
        cols.push(RawColumn::numeric(&format!("n{j}"), &v));
    }
    for j in 0..categorical {
        let texts: Vec<String> = (0..n)
            .map(|i| {
                let k = rng.below(5);
                if j == 0 && k == 4 {
                    score[i] += 1.5;
                }
                if rng.below(50) == 0 { String::new() } else { format!("level{k}") }
            })
            .collect();
        cols.push(RawColumn::from_texts(&format!("c{j}"), &texts));
    }
    let labels: Vec<u32> = score.iter().map(|s| (*s + 0.5 * rng.normal() > 0.0) as u32).collect();
    println!("FOLD fit, {n} rows x {} columns ({numeric} numeric, {categorical} categorical), median of 3:", numeric + categorical);
    for heuristic in [Heuristic::Gini, Heuristic::InfoGain] {
        let mut times = Vec::new();
        let mut last = (0, 0.0);
        for _ in 0..3 {
            let start = Instant::now();
            let learner = Learner { cols: &cols, cfg: FoldConfig { heuristic, ..FoldConfig::default() }, n_train: n };
            let mut list = RuleList::new(n);
            while list.grow(&learner, &labels) {}
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            let right = (0..n).filter(|&r| list.predict(&cols, r) == Some(labels[r])).count();
            last = (list.rules.len(), right as f64 / n as f64);
        }
        times.sort_by(f64::total_cmp);
        println!("{heuristic:?}: {:.0} ms, {} top-level rules, training accuracy {:.3}", times[1], last.0, last.1);
    }
}
