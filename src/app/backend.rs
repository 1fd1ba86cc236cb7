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
/// a clean "no" rather than a failure deep inside the runtime. Returns the adapter's
/// `GPUAdapterInfo` as one line (browsers often leave wgpu's adapter name empty).
async fn browser_webgpu_adapter() -> Option<String> {
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
    Some(if words.is_empty() { "adapter details hidden by the browser".into() } else { words.join(" ") })
}

use wasm_bindgen::JsCast;

pub async fn init(pref: BackendPref) -> Backend {
    if pref == BackendPref::Cpu {
        return cpu(None);
    }
    let Some(browser_info) = browser_webgpu_adapter().await else {
        let why = if pref == BackendPref::WebGpu {
            "WebGPU was requested, but this browser offers no WebGPU adapter: training on the CPU instead."
        } else {
            "This browser offers no WebGPU adapter: training on the CPU."
        };
        return cpu(Some(why.into()));
    };
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let name = if info.name.is_empty() { browser_info } else { info.name };
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
