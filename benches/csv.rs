//! CSV parse throughput natively: a generated 10 MB file (~72k rows: 12 numeric columns, one
//! categorical, a label), parsed and encoded as the page does. The same measurement in the
//! browser is `bench_csv` in the page (run by `bench/run.sh`).

use boundary_lab::bench::csv_throughput;
use std::time::Instant;

fn main() {
    let start = Instant::now();
    let now = move || start.elapsed().as_secs_f64() * 1000.0;
    let r = csv_throughput(10, &now).expect("the generated file parses");
    println!("CSV: {:.1} MB, {} rows x {} columns", r.mb, r.rows, r.columns);
    println!("parse  {:>8.1} ms  {:>6.1} MB/s", r.parse_ms, r.mb / r.parse_ms * 1000.0);
    println!("encode {:>8.1} ms  {:>6.1} MB/s (standardise + one-hot)", r.encode_ms, r.mb / r.encode_ms * 1000.0);
}
