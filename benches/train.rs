//! Native benchmark on the CPU backend (Flex): every registry classifier, with its defaults, on
//! the benchmark's 1,000 moons points. Prints one row per classifier. The in-browser benchmark
//! (WebGPU, wasm CPU and TensorFlow.js side by side) is `bench/run.sh`.

use boundary_lab::bench::{self, BenchConfig};
use boundary_lab::classifiers::REGISTRY;
use boundary_lab::params::Params;
use burn::tensor::Device;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// On the CPU device every read resolves at once, so polling to completion never spins long.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

fn main() {
    let device = Device::flex().autodiff();
    let start = Instant::now();
    let now = move || start.elapsed().as_secs_f64() * 1000.0;
    println!("{:<8} {:>14} {:>12} {:>16} {:>10}", "model", "first step ms", "steps/s", "grid 256² ms", "train acc");
    for spec in REGISTRY {
        let params = Params::defaults(spec.params);
        let cfg = BenchConfig { spec, params: &params, n: 1000, warmup_steps: 5, steps: 50, reps: 5, grid: 256, infer_chunk: Some(8192) };
        match block_on(bench::run(&cfg, &device, now, || async {}, &|_| {})) {
            Ok(r) => println!("{:<8} {:>14.2} {:>12.1} {:>16.2} {:>10.3}", r.model, r.first_step_ms, r.steps_per_sec, r.grid_ms, r.train_acc),
            Err(e) => println!("{:<8} error: {e}", spec.name),
        }
    }
}
