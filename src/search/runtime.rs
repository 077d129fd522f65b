//! Pagefind's browser runtime, vendored: the files a bundle needs beside its index.
//!
//! Takes a language, gives the runtime files of its bundle: `pagefind.js` (the search API the
//! search page imports), `pagefind-worker.js`, and the gzipped WebAssembly core with the
//! language's stemmer (`wasm.en.pagefind`, `wasm.ru.pagefind`) or without one
//! (`wasm.unknown.pagefind`, for Kazakh and any other language).
//!
//! Why vendored: birge writes the index itself ([`super::bundle`]), so the `pagefind` crate is
//! only a test oracle (a dev-dependency, which keeps ~7 minutes of release compiling and
//! its dependency tree out of the binary). The runtime must still come from somewhere fixed:
//! these are the crate 1.6.0's own bytes (its JS as the crate minifies it, its WASM as it
//! ships it), kept in `src/search/vendor/` with Pagefind's MIT licence, and the test
//! `search::oracle::vendored_runtime_is_the_crates` checks them against the crate. To update
//! Pagefind: bump the dev-dependency, run that test, copy the files it names, check
//! [`super::bundle::VERSION`] and the format notes in [`super::bundle`].

use super::words::Stemmer;

/// The search API, for the search page to import.
pub const PAGEFIND_JS: &[u8] = include_bytes!("vendor/pagefind.js");
/// The API's worker.
pub const WORKER_JS: &[u8] = include_bytes!("vendor/pagefind-worker.js");
const WASM_EN: &[u8] = include_bytes!("vendor/wasm.en.pagefind");
const WASM_RU: &[u8] = include_bytes!("vendor/wasm.ru.pagefind");
const WASM_UNKNOWN: &[u8] = include_bytes!("vendor/wasm.unknown.pagefind");

/// The runtime files of `lang`'s bundle (paths relative to its folder, sorted); without the
/// WebAssembly when the tree has no pages, since the runtime then never loads it.
pub fn files(lang: &str, has_pages: bool) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("pagefind-worker.js".to_string(), WORKER_JS.to_vec()),
        ("pagefind.js".to_string(), PAGEFIND_JS.to_vec()),
    ];
    if has_pages {
        let (name, bytes) = match Stemmer::wasm(lang) {
            Some("en") => ("en", WASM_EN),
            Some("ru") => ("ru", WASM_RU),
            _ => ("unknown", WASM_UNKNOWN),
        };
        files.push((format!("wasm.{name}.pagefind"), bytes.to_vec()));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}
