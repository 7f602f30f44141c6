//! No text a reader can type (a URL, an imported scenario, a lab command,
//! a log search) is ever inserted into the page as HTML: the page builds its
//! DOM with Yew, which escapes text, and sets nothing as markup. This reads
//! every source file of the page for the few ways to insert markup.

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).expect("src is readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "rs" || x == "js" || x == "html")
        {
            let text = std::fs::read_to_string(&p).expect("utf-8 source");
            out.push((p.display().to_string(), text));
        }
    }
}

#[test]
fn nothing_is_inserted_as_markup() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("styles"), &mut files);
    files.push((
        "index.html".into(),
        std::fs::read_to_string(root.join("index.html")).expect("index.html"),
    ));
    assert!(files.len() > 50, "read the sources ({} files)", files.len());
    let forbidden = [
        "set_inner_html",
        "set_outer_html",
        "insert_adjacent_html",
        "from_html_unchecked",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ];
    for (path, text) in &files {
        // This test names them; nothing else may.
        for f in forbidden {
            assert!(!text.contains(f), "{path} uses {f}");
        }
    }
    // And no inline script or style attribute in the page's markup: the site
    // must run under `script-src 'self'; style-src 'self'` (tests/e2e).
    let index = &files.last().expect("index.html").1;
    assert!(!index.contains("<script>") && !index.contains("style="));
    for (path, text) in files.iter().filter(|(p, _)| p.contains("/ui/")) {
        assert!(!text.contains(" style={"), "{path} sets a style attribute");
    }
}
