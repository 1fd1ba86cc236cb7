//! FOLD's learner: fit time on 10,000 rows x 20 mixed columns (14 numeric, 6 categorical with a
//! few empty cells), FOLD-SE and FOLD-R++, natively. The same measurement in the browser is
//! `bench_fold` in the page (run by `bench/run.sh`).

use boundary_lab::bench::{fold_bench_data, fold_fit, median};
use std::time::Instant;

fn main() {
    let n = 10_000;
    let (cols, labels) = fold_bench_data(n);
    let start = Instant::now();
    let now = move || start.elapsed().as_secs_f64() * 1000.0;
    println!("FOLD fit, {n} rows x {} columns (14 numeric, 6 categorical), median of 3:", cols.len());
    for (name, info_gain) in [("FOLD-SE", false), ("FOLD-R++", true)] {
        let runs: Vec<(f64, usize, f64)> = (0..3).map(|_| fold_fit(&cols, &labels, info_gain, &now)).collect();
        let ms = median(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
        println!("{name}: {ms:.0} ms, {} top-level rules, training accuracy {:.3}", runs[0].1, runs[0].2);
    }
}
