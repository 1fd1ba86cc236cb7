//! The page's wasm entry point, and natively a short pointer to the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    boundary_lab::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if std::env::args().nth(1).as_deref() == Some("link-keys") {
        // The README's table of link keys is this output.
        print!("{}", boundary_lab::state::markdown_key_table());
        return;
    }
    println!("Boundary Lab runs in the browser: see README.md (`./scripts/serve.sh`).");
    println!("Registered classifiers:");
    for m in boundary_lab::classifiers::REGISTRY {
        let keys: Vec<&str> = m.params.iter().map(|p| p.key).collect();
        println!("  {:<8} {} ({}); parameters: {}", m.name, m.label, m.family.label(), keys.join(", "));
    }
}
