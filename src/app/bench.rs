//! The benchmark's entry into the page (`window.wasmBindings.bench(...)`, driven by
//! `bench/run.mjs`). Like `backend.rs`, it names backends: it measures both on one page load.

use super::driver::{next_frame, now};
use crate::bench::{self, BenchConfig};
use crate::classifiers;
use crate::params::Params;
use burn::tensor::Device;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

async fn device(backend: &str) -> Result<Device, JsValue> {
    match backend {
        "cpu" => Ok(Device::flex().autodiff()),
        "webgpu" => super::backend::webgpu_device()
            .await
            .map(|(d, _)| d)
            .map_err(|e| JsValue::from_str(&format!("WebGPU failed to start: {e}"))),
        other => Err(JsValue::from_str(&format!("unknown backend '{other}'"))),
    }
}

/// Measures one registry classifier; `params` uses the link's syntax (`layers=32,32&lr=0.03`).
/// Returns the result as JSON text.
#[wasm_bindgen]
pub async fn bench(backend: String, model: String, params: String, n: u32, steps: u32, reps: u32, grid: u32) -> Result<String, JsValue> {
    super::run_static_constructors_once();
    let spec = classifiers::find(&model).ok_or_else(|| JsValue::from_str(&format!("unknown classifier '{model}'")))?;
    let pairs: Vec<(&str, &str)> = params.split('&').filter_map(|p| p.split_once('=')).collect();
    let mut notes = Vec::new();
    let params = Params::from_lookup(spec.params, |k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v), &mut notes);
    if !notes.is_empty() {
        return Err(JsValue::from_str(&notes.join("; ")));
    }
    let device = device(&backend).await?;
    let infer_chunk = super::backend::BackendKind::from_key(&backend).and_then(|k| k.infer_chunk());
    let cfg = BenchConfig { spec, params: &params, n: n as usize, warmup_steps: 5, steps: steps as usize, reps: reps as usize, grid: grid as usize, infer_chunk };
    let result = bench::run(&cfg, &device, now, next_frame, &mark).await.map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(result.to_json())
}

/// Calls `window.__benchMark(phase)` when the benchmark script installed it (it snapshots WebGPU
/// call counters there).
fn mark(phase: &str) {
    let Some(window) = web_sys::window() else { return };
    if let Ok(f) = js_sys::Reflect::get(&window, &JsValue::from_str("__benchMark")) {
        if let Ok(f) = f.dyn_into::<js_sys::Function>() {
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(phase));
        }
    }
}

/// The benchmark's training points as JSON (`{"x": [...], "y": [...]}`), so other libraries are
/// measured on exactly the same data.
#[wasm_bindgen]
pub fn bench_dataset(n: u32) -> String {
    let d = bench::bench_data(n as usize);
    let xs: Vec<String> = d.x.iter().map(|v| v.to_string()).collect();
    let ys: Vec<String> = d.y.iter().map(|v| v.to_string()).collect();
    format!("{{\"x\":[{}],\"y\":[{}]}}", xs.join(","), ys.join(","))
}

/// The grid the benchmark infers on, as JSON (row-major `[grid * grid * 2]`).
#[wasm_bindgen]
pub fn bench_grid(n: u32, grid: u32) -> String {
    let d = bench::bench_data(n as usize);
    let g = crate::viz::grid_points(d.view_bounds(0.1), grid as usize, 2);
    format!("[{}]", g.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(","))
}

/// CSV parse and encode throughput on a generated file of about `mb` megabytes, as JSON
/// (`{"mb":..,"rows":..,"parse_ms":..,"encode_ms":..}`).
#[wasm_bindgen]
pub fn bench_csv(mb: u32) -> Result<String, JsValue> {
    let r = bench::csv_throughput(mb as usize, &now).map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(format!("{{\"mb\":{:.3},\"rows\":{},\"parse_ms\":{:.2},\"encode_ms\":{:.2}}}", r.mb, r.rows, r.parse_ms, r.encode_ms))
}

/// FOLD fit time in wasm on the native benchmark's data (10k rows x 20 mixed columns), median of
/// 3 per heuristic, as JSON (`{"se_ms":..,"se_rules":..,"rpp_ms":..,"rpp_rules":..}`).
#[wasm_bindgen]
pub fn bench_fold() -> String {
    let (cols, labels) = bench::fold_bench_data(10_000);
    let mut out = Vec::new();
    for (key, info_gain) in [("se", false), ("rpp", true)] {
        let runs: Vec<(f64, usize, f64)> = (0..3).map(|_| bench::fold_fit(&cols, &labels, info_gain, &now)).collect();
        let ms = bench::median(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
        out.push(format!("\"{key}_ms\":{ms:.1},\"{key}_rules\":{}", runs[0].1));
    }
    format!("{{{}}}", out.join(","))
}
