//! The entry point's one job no other layer may do: naming a backend. WebGPU through burn-wgpu
//! when the browser offers an adapter, else burn's Flex CPU backend; `backend=` in the link forces
//! one. Everything downstream sees only a `Device`.

use crate::state::BackendPref;
use burn::tensor::Device;
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

/// Asks the browser for a WebGPU adapter without touching wgpu, so a missing or blocked WebGPU is
/// a clean "no" rather than a failure deep inside the runtime.
async fn browser_has_webgpu() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let gpu = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("gpu")).unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return false;
    }
    let Ok(request) = js_sys::Reflect::get(&gpu, &JsValue::from_str("requestAdapter")) else { return false };
    let Ok(request) = request.dyn_into::<js_sys::Function>() else { return false };
    let Ok(promise) = request.call0(&gpu) else { return false };
    match JsFuture::from(js_sys::Promise::from(promise)).await {
        Ok(adapter) => !adapter.is_null() && !adapter.is_undefined(),
        Err(_) => false,
    }
}

use wasm_bindgen::JsCast;

pub async fn init(pref: BackendPref) -> Backend {
    if pref == BackendPref::Cpu {
        return cpu(None);
    }
    if !browser_has_webgpu().await {
        let why = if pref == BackendPref::WebGpu {
            "WebGPU was requested, but this browser offers no WebGPU adapter: training on the CPU instead."
        } else {
            "This browser offers no WebGPU adapter: training on the CPU."
        };
        return cpu(Some(why.into()));
    }
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let name = if info.name.is_empty() { "unnamed adapter".to_string() } else { info.name };
            Backend {
                device: device.autodiff(),
                kind: BackendKind::WebGpu,
                adapter: format!("WebGPU: {name}"),
                note: None,
            }
        }
        Err(e) => cpu(Some(format!("WebGPU failed to start ({e}): training on the CPU instead."))),
    }
}
