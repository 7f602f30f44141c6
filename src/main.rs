//! One binary: in the browser it mounts the page; natively it is the
//! `incident-sim` command-line tool.

#[cfg(target_arch = "wasm32")]
fn main() {
    incident_sim::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(incident_sim::cli::main(args));
}
