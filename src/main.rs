//! The page's wasm entry point; natively, the command line (`boundary-lab --help`).

#[cfg(target_arch = "wasm32")]
fn main() {
    boundary_lab::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(boundary_lab::cli::main());
}
