//! Replays the fuzzers' kept corpus (`fuzz/corpus/<target>/`) and the inputs of crashes they
//! found (`fuzz/regressions/<target>/`) through the same target functions the fuzzers run,
//! so CI checks every kept input without cargo-fuzz. See fuzz/README.md.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::Path;
use std::time::Instant;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no corpus for `{target}` under fuzz/corpus/{target}/"
    );
    let started = Instant::now();
    for file in &files {
        // A fuzzer running beside the test may replace a file between listing and reading.
        let Ok(data) = std::fs::read(file) else {
            continue;
        };
        let one = Instant::now();
        let result = std::panic::catch_unwind(|| run(&data));
        if std::env::var_os("BIRGE_CORPUS_TIMES").is_some() {
            eprintln!(
                "{:8.1} ms {}",
                one.elapsed().as_secs_f64() * 1000.0,
                file.display()
            );
        }
        assert!(result.is_ok(), "{target} failed on {}", file.display());
    }
    eprintln!(
        "{target}: {} inputs in {:.2} s",
        files.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn article_corpus() {
    replay("article", targets::article);
}

#[test]
fn data_files_corpus() {
    replay("data_files", targets::data_files);
}

#[test]
fn vote_api_corpus() {
    replay("vote_api", targets::vote_api);
}
