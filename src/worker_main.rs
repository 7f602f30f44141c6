//! The page's Web Worker: runs each scenario to its end off the page's
//! thread and streams the run to the page (`incident_sim::ui::worker`).
//! Natively there is nothing to run: the CLI is `incident-sim`.

#[cfg(target_arch = "wasm32")]
fn main() {
    incident_sim::ui::worker::register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("incident-worker is the web page's Web Worker; on the command line use incident-sim");
    std::process::exit(2);
}
