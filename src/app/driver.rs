//! The async training driver. Runs steps inside an animation-frame budget, reads back in one
//! transaction per refresh, and stops as soon as its generation is stale (reset, a parameter
//! change or pause), so no old loop ever keeps running.

use crate::error::LabError;
use crate::train::{Session, Snapshot};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen_futures::JsFuture;

/// CPU time a frame may spend on training steps, leaving room for painting at 60 Hz.
const FRAME_BUDGET_MS: f64 = 12.0;
/// How often the boundary is refreshed while training.
const REFRESH_MS: f64 = 250.0;

pub fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// Resolves at the next animation frame: the loop yields to the browser every frame.
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(&resolve);
        }
    });
    let _ = JsFuture::from(promise).await;
}

pub enum Event {
    Snapshot { snap: Rc<Snapshot>, steps_per_sec: Option<f64> },
    Finished,
    Paused,
    Failed(LabError),
}

/// Shared between the page and its loop. `generation` changes when the session is replaced (the
/// old loop then exits without reporting); `running` is cleared by pause (the loop finishes its
/// read, reports and exits); `active` says a loop exists, so play never starts a second one.
#[derive(Default)]
pub struct Control {
    pub generation: Cell<u64>,
    pub running: Cell<bool>,
    pub active: Cell<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Play,
    /// One step (or just a read when `steps == 0`), then pause.
    Steps(usize),
}

/// Runs until done, paused (generation changed) or failed, reporting through `emit`.
pub async fn run(session: Rc<RefCell<Session>>, ctl: Rc<Control>, mode: Mode, emit: impl Fn(Event)) {
    let generation = ctl.generation.get();
    ctl.active.set(true);
    ctl.running.set(true);
    run_inner(&session, &ctl, generation, mode, &emit).await;
    if ctl.generation.get() == generation {
        ctl.active.set(false);
        ctl.running.set(false);
    }
}

async fn run_inner(session: &Rc<RefCell<Session>>, ctl: &Control, generation: u64, mode: Mode, emit: &impl Fn(Event)) {
    let alive = || ctl.generation.get() == generation;
    // Steps queued between two reads. On WebGPU a step only enqueues work, so the CPU budget
    // alone would let thousands pile up before a read; we size the batch from the measured rate.
    let mut per_read: usize = 1;
    let mut unread = 0usize;
    let mut window_start = now();
    let mut window_steps = 0usize;
    let mut last_read = now();
    let mut remaining = match mode {
        Mode::Play => usize::MAX,
        Mode::Steps(n) => n,
    };
    loop {
        if !alive() {
            return;
        }
        if !ctl.running.get() {
            remaining = 0;
        }
        let frame_start = now();
        while remaining > 0 && unread < per_read && !session.borrow().is_done() {
            if let Err(e) = session.borrow_mut().step() {
                emit(Event::Failed(e));
                return;
            }
            remaining -= 1;
            unread += 1;
            window_steps += 1;
            if now() - frame_start > FRAME_BUDGET_MS {
                break;
            }
        }
        let done = session.borrow().is_done();
        let stop = remaining == 0 || done;
        if stop || unread >= per_read || now() - last_read > REFRESH_MS {
            let plan = session.borrow_mut().plan_read();
            let snap = match plan.execute_async(session).await {
                Ok(s) => s,
                Err(e) => {
                    emit(Event::Failed(e));
                    return;
                }
            };
            if !alive() {
                return;
            }
            let t = now();
            let elapsed = (t - window_start).max(1.0);
            let rate = (window_steps > 0).then(|| window_steps as f64 * 1000.0 / elapsed);
            if let Some(r) = rate {
                // Aim for a refresh every REFRESH_MS at the measured speed.
                per_read = ((r * REFRESH_MS / 1000.0).ceil() as usize).clamp(1, 10_000);
            }
            emit(Event::Snapshot { snap: Rc::new(snap), steps_per_sec: rate });
            window_start = t;
            window_steps = 0;
            last_read = t;
            unread = 0;
        }
        if done {
            emit(Event::Finished);
            return;
        }
        if remaining == 0 {
            emit(Event::Paused);
            return;
        }
        next_frame().await;
    }
}
