//! The dependency direction inside `src/sim/` (docs/architecture.md): the
//! engine (`sim/engine/`) and the wiring (`sim/wiring/`) use the models;
//! no model imports the engine or names `Sim`, outside its tests.
//!
//! A scan of the source files: every `.rs` file under `src/sim/` but the
//! engine's, the wiring's and `sim/mod.rs` (which re-exports `Sim`), with
//! comments and `#[cfg(test)]` items left out, must not contain `engine::`
//! or the word `Sim`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of `src` without comments and without `#[cfg(test)]` items: a
/// `#[cfg(test)] mod tests;` line is dropped, and a `#[cfg(test)]` item with
/// a body is dropped to its closing brace at the same indentation.
fn code_outside_tests(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = src.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            let indent = line.len() - t.len();
            let Some((_, item)) = lines.next() else { break };
            if item.trim_end().ends_with(';') {
                continue;
            }
            let close = format!("{}}}", " ".repeat(indent));
            for (_, l) in lines.by_ref() {
                if l.trim_end() == close {
                    break;
                }
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = match t.find("//") {
            Some(c) => &t[..c],
            None => t,
        };
        out.push((i + 1, code.to_string()));
    }
    out
}

/// Whether a line of code names the engine or the world.
fn names_the_world(code: &str) -> bool {
    if code.contains("engine::") {
        return true;
    }
    let b = code.as_bytes();
    code.match_indices("Sim").any(|(at, _)| {
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let before = at == 0 || !word(b[at - 1]);
        let after = at + 3 >= b.len() || !word(b[at + 3]);
        before && after
    })
}

#[test]
fn the_scan_sees_what_it_looks_for() {
    assert!(names_the_world("use super::engine::Sim;"));
    assert!(names_the_world("impl Sim {"));
    assert!(names_the_world("fn f(sim: &mut crate::sim::Sim) {}"));
    assert!(!names_the_world(
        "let t: SimTime = SimRng::x(SimDuration::ZERO);"
    ));
    let src = "use a::b;\n// Sim in a comment\n#[cfg(test)]\nmod tests;\nfn f() {} // impl Sim\n#[cfg(test)]\nmod tests {\n    use super::engine::Sim;\n}\n";
    let code = code_outside_tests(src);
    assert_eq!(
        code.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
        ["use a::b;", "fn f() {} "]
    );
}

#[test]
fn no_model_imports_the_engine() {
    let sim = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim");
    let mut files = Vec::new();
    rust_files(&sim, &mut files);
    let engine_side = |p: &Path| {
        p.starts_with(sim.join("engine"))
            || p.starts_with(sim.join("wiring"))
            || p == sim.join("mod.rs")
    };
    let mut scanned = 0;
    let mut found = Vec::new();
    for f in files.iter().filter(|p| !engine_side(p)) {
        scanned += 1;
        let src = std::fs::read_to_string(f).expect("a readable source file");
        for (line, code) in code_outside_tests(&src) {
            if names_the_world(&code) {
                let rel = f.strip_prefix(&sim).expect("under src/sim").display();
                found.push(format!("src/sim/{rel}:{line}: {}", code.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "model modules that import the engine or name `Sim` (move the glue to src/sim/wiring/):\n{}",
        found.join("\n")
    );
    // The scan covered the models, and the engine's side does name `Sim`
    // (were it renamed, this test would pass vacuously).
    for model in [
        "client/mod.rs",
        "cluster.rs",
        "fabric/mod.rs",
        "nodelocal/mod.rs",
        "resolver.rs",
    ] {
        assert!(files.contains(&sim.join(model)), "{model} was scanned");
    }
    assert!(scanned > 30, "{scanned} model files scanned");
    let wiring =
        std::fs::read_to_string(sim.join("wiring/clients.rs")).expect("the clients' wiring");
    assert!(wiring.contains("impl Sim {"));
}
