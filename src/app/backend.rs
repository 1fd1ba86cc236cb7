//! The entry point's one job no other layer may do: naming a backend. `auto` takes WebGPU through
//! burn-wgpu when the browser offers a hardware adapter, else burn's Flex CPU backend (also when
//! the only adapter is a software renderer); `backend=` in the link or the Backend menu forces
//! one. Everything downstream sees only a `Device`.

use crate::state::BackendPref;
use burn::tensor::Device;
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    pub fn key(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [BackendKind::WebGpu, BackendKind::Cpu].into_iter().find(|k| k.key() == key)
    }

    /// Rows per inference block (see `classifiers::predict_chunked`): on the CPU, blocks keep an
    /// MLP's activations in cache (2.5x faster on a 256x256 grid natively); a GPU infers in one
    /// block, since every block costs dispatches.
    pub fn infer_chunk(self) -> Option<usize> {
        match self {
            BackendKind::WebGpu => None,
            BackendKind::Cpu => Some(crate::classifiers::CPU_INFER_ROWS),
        }
    }
}


pub struct Backend {
    /// Autodiff-enabled device for training; inference strips autodiff where it needs to.
    pub device: Device,
    pub kind: BackendKind,
    /// What the page shows, e.g. "WebGPU: SwiftShader Device (Vulkan)".
    pub adapter: String,
    /// Why we are not on the backend the user asked for, if that happened.
    pub note: Option<String>,
}

fn cpu(note: Option<String>) -> Backend {
    Backend { device: Device::flex().autodiff(), kind: BackendKind::Cpu, adapter: "CPU (burn Flex)".into(), note }
}

/// What the browser says about its WebGPU adapter, read without touching wgpu, so a missing or
/// blocked WebGPU is a clean "no" rather than a failure deep inside the runtime.
struct AdapterInfo {
    /// `GPUAdapterInfo` as one line (browsers often leave wgpu's adapter name empty).
    description: String,
    /// A CPU implementation of WebGPU (SwiftShader, llvmpipe, WARP...): `isFallbackAdapter`, or a
    /// known software renderer's name.
    software: bool,
}

async fn browser_webgpu_adapter() -> Option<AdapterInfo> {
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).ok().filter(|v| !v.is_undefined() && !v.is_null());
    let gpu = get(&web_sys::window()?.navigator(), "gpu")?;
    let request = get(&gpu, "requestAdapter")?.dyn_into::<js_sys::Function>().ok()?;
    let promise = request.call0(&gpu).ok()?;
    let adapter = JsFuture::from(js_sys::Promise::from(promise)).await.ok().filter(|a| !a.is_null() && !a.is_undefined())?;
    let info = get(&adapter, "info");
    let words: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|k| info.as_ref().and_then(|i| get(i, k)).and_then(|v| v.as_string()))
        .filter(|s| !s.is_empty())
        .collect();
    let fallback = ["isFallbackAdapter"]
        .iter()
        .any(|k| get(&adapter, k).or_else(|| info.as_ref().and_then(|i| get(i, k))).and_then(|v| v.as_bool()).unwrap_or(false));
    let description = if words.is_empty() { "adapter details hidden by the browser".into() } else { words.join(" ") };
    Some(AdapterInfo { software: fallback || is_software_renderer(&description), description })
}

/// Names of WebGPU implementations that run on the CPU. On them a small model trains far slower
/// than on our wasm CPU backend (the benchmark measured SwiftShader at ~5 steps/s against ~1100
/// for the MLP of docs/performance.md), so `auto` does not pick them.
pub fn is_software_renderer(description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    ["swiftshader", "llvmpipe", "lavapipe", "softpipe", "microsoft basic render"].iter().any(|n| d.contains(n))
}

use wasm_bindgen::JsCast;

thread_local! {
    /// The wgpu runtime starts once per page; switching back to WebGPU reuses it.
    static WEBGPU: RefCell<Option<(Device, String)>> = const { RefCell::new(None) };
}

/// The page's one WebGPU device (autodiff-enabled) and wgpu's adapter name, started on first use.
pub async fn webgpu_device() -> Result<(Device, String), String> {
    if let Some(d) = WEBGPU.with(|w| w.borrow().clone()) {
        return Ok(d);
    }
    let (device, setup) = Device::wgpu_options().init_with_setup_async().await.map_err(|e| e.to_string())?;
    let d = (device.autodiff(), setup.adapter.get_info().name);
    WEBGPU.with(|w| *w.borrow_mut() = Some(d.clone()));
    Ok(d)
}

pub async fn init(pref: BackendPref) -> Backend {
    if pref == BackendPref::Cpu {
        return cpu(None);
    }
    let Some(browser) = browser_webgpu_adapter().await else {
        let why = if pref == BackendPref::WebGpu {
            "WebGPU was requested, but this browser offers no WebGPU adapter: training on the CPU instead."
        } else {
            "This browser offers no WebGPU adapter: training on the CPU."
        };
        return cpu(Some(why.into()));
    };
    if pref == BackendPref::Auto && browser.software {
        return cpu(Some(format!(
            "WebGPU here runs on a software renderer ({}), which is much slower than the CPU backend for these models: \
             training on the CPU. Choose WebGPU under Backend to use it anyway.",
            browser.description
        )));
    }
    match webgpu_device().await {
        Ok((device, name)) => Backend {
            device,
            kind: BackendKind::WebGpu,
            adapter: format!("WebGPU: {}", if name.is_empty() { browser.description } else { name }),
            note: None,
        },
        Err(e) => cpu(Some(format!("WebGPU failed to start ({e}): training on the CPU instead."))),
    }
}
