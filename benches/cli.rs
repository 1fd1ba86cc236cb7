//! The command line at scale: a generated 1,000,000-row x 20-column numeric CSV (two classes,
//! about 190 MB) streamed through `eval` for naive Bayes and the MLP, each in its own process so
//! each peak-memory figure is its own. Prints rows/s and peak memory as multiples of the file and
//! of the features as f32.
//!
//! `cargo bench --bench cli` (release build); `BENCH_ROWS=100000` for a quicker run.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

const COLS: usize = 20;

fn main() {
    let rows: usize = std::env::var("BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data folder");
    let path = dir.join(format!("numeric_{rows}x{COLS}.csv"));
    if !path.exists() {
        write_csv(&path, rows);
    }
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64;
    let f32_bytes = (rows * COLS * 4) as f64;
    println!("data: {rows} rows x {COLS} numeric columns + label, {:.0} MB on disk, {:.0} MB as f32", bytes / 1e6, f32_bytes / 1e6);
    println!("{:<6} {:>6} {:>9} {:>12} {:>13} {:>11} {:>8} {:>8}", "model", "folds", "total s", "train rows/s", "rows read/s", "peak MB", "x file", "x f32");
    for (model, extra) in [("gnb", vec![]), ("mlp", vec!["--steps", "300", "-p", "batch=1000"])] {
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_boundary-lab"))
            .args(["eval", "--data", path.to_str().expect("utf-8 path"), "--model", model, "--cv", "5", "--json", "--quiet"])
            .args(&extra)
            .output()
            .expect("the binary runs");
        let total = start.elapsed().as_secs_f64();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        let peak = report["peak_memory_bytes"].as_f64().unwrap_or(f64::NAN);
        let fit: f64 = report["fold_fit_seconds"].as_array().map(|a| a.iter().filter_map(|v| v.as_f64()).sum()).unwrap_or(f64::NAN);
        let pred: f64 = report["fold_predict_seconds"].as_array().map(|a| a.iter().filter_map(|v| v.as_f64()).sum()).unwrap_or(f64::NAN);
        // Reading is what the run did besides fitting and predicting.
        let read_s = total - fit - pred;
        println!(
            "{:<6} {:>6} {:>9.1} {:>12.0} {:>13.0} {:>11.0} {:>8.2} {:>8.2}   accuracy {:.4}",
            model,
            report["folds"],
            total,
            report["train_rows_per_second"].as_f64().unwrap_or(f64::NAN),
            rows as f64 / read_s,
            peak / 1e6,
            peak / bytes,
            peak / f32_bytes,
            report["mean_accuracy"].as_f64().unwrap_or(f64::NAN),
        );
    }
}

/// Features uniform in [-1, 1] with 3 decimals; the label is the sign of a fixed linear score
/// plus noise, so both models have something to learn.
fn write_csv(path: &std::path::Path, rows: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("bench file"));
    let names: Vec<String> = (1..=COLS).map(|i| format!("f{i}")).collect();
    writeln!(f, "{},label", names.join(",")).expect("write");
    let mut state = 0x9E3779B97F4A7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut line = String::new();
    for _ in 0..rows {
        line.clear();
        let mut score = 0.0;
        for j in 0..COLS {
            let v = (next() * 1000.0).round() / 1000.0;
            score += v * if j % 2 == 0 { 1.0 } else { -0.5 };
            line.push_str(&format!("{v},"));
        }
        line.push_str(if score + 0.3 * next() > 0.0 { "yes" } else { "no" });
        writeln!(f, "{line}").expect("write");
    }
}
