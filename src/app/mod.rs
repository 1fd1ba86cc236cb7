//! The web page (wasm only): start-up, backend choice, the training driver and the yew components.

mod backend;
mod bench;
mod canvas;
mod components;
mod driver;

use std::sync::atomic::{AtomicBool, Ordering};

static CTORS_RAN: AtomicBool = AtomicBool::new(false);

/// Runs the module's static constructors once. Without this, every call into the module re-runs
/// cubecl's constructors (measured: 308 -> 117 ms per WebGPU step once fixed).
pub fn run_static_constructors_once() {
    if CTORS_RAN.swap(true, Ordering::AcqRel) {
        return;
    }
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: the linker-synthesised constructor list, called exactly once thanks to the guard.
    unsafe { __wasm_call_ctors() }
}

/// Entry point of the page.
pub fn start() {
    run_static_constructors_once();
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Boundary Lab panicked: {info}").into());
        if let Some(doc) = web_sys::window().and_then(|w| w.document())
            && let Some(el) = doc.get_element_by_id("fatal")
        {
            el.set_text_content(Some(&format!(
                "Something broke inside the page ({info}). Reload to start again; your link still holds your settings."
            )));
            let _ = el.set_attribute("style", "display:block");
        }
    }));
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .expect("index.html has a #app element");
    yew::Renderer::<components::App>::with_root(root).render();
}
