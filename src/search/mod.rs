//! Search: the static index that each language tree's search page queries in the browser.
//!
//! Takes plain [`Document`]s (the build's published articles and pages, as text), gives the
//! files of one Pagefind bundle per language under `<root>search/pagefind/`
//! ([`build_indexes`]). Pagefind matches words by prefix, stems English and Russian and drops
//! diacritics (`ё` = `е`); Kazakh is indexed and queried by its folded key as well
//! ([`fold()`]), so either script finds the other; snippets show the original words.
//!
//! - [`mod@fold`]: the Kazakh key and the query rules of each language;
//! - [`records`]: a document as a Pagefind custom record;
//! - [`index`]: records into bundles, in memory.

pub mod fold;
pub mod index;
pub mod records;

pub use fold::{fold, fold_words, query_key};
pub use index::{SearchFile, build_index, build_indexes, bundle_dir};
pub use records::{Document, Record, record};
