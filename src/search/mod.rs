//! Search: the static index that each language tree's search page queries in the browser.
//!
//! Takes plain [`Document`]s (the build's published articles and pages, as text), gives the
//! files of one Pagefind bundle per language under `<root>search/pagefind/`
//! ([`build_indexes`]). Pagefind matches words by prefix, stems English and Russian and drops
//! diacritics (`ё` = `е`); Kazakh is indexed and queried by its folded key as well
//! ([`fold()`]), so either script finds the other; snippets show the original words.
//!
//! - [`mod@fold`]: the Kazakh key and the query rules of each language;
//! - [`from_site`]: the site model's published articles and pages as [`Document`]s;
//! - [`records`]: a document as a Pagefind custom record;
//! - [`words`]: the words a record's token is filed under, as Pagefind's runtime looks them up;
//!   [`cache`] works them out once per distinct token;
//! - [`bundle`]: Pagefind's bundle format (entry, metadata, word chunks, fragments), written
//!   by birge in parallel; `cbor` is the little CBOR it needs;
//! - [`runtime`]: Pagefind's browser runtime (JS and WebAssembly), vendored from the crate;
//! - [`index`]: documents into one bundle per tree, in memory.
//!
//! The build publishes search (when `site.config.search`) through its search stage,
//! `src/build/search.rs`: one page per tree at [`crate::routes::search`]`(root)` from the
//! theme's `search.html` (a render job like any page; `urls.search` shows the header's box),
//! and per tree the files of [`build_index`] under [`bundle_dir`], made again only when the
//! tree's documents ([`from_site::documents_from`]) changed.
//!
//! The `pagefind` crate itself is a dev-dependency: the tests in `oracle` index the same
//! documents with it and with [`bundle`] and compare what the two bundles hold.
//!
//! What a tree's search page does with its bundle (Pagefind's JS API):
//! - load `pagefind.js` from the bundle's folder and set `basePath` to that folder and
//!   `baseUrl` to the site's root (`/`): records hold site paths already, and Pagefind would
//!   otherwise prefix them with the bundle's parent folder;
//! - English and Russian: search the reader's words as typed; Pagefind's `excerpt` works, but
//!   the theme's page cuts its own snippets, the same way for every language;
//! - Kazakh: search [`query_key`]`("kk", words)` (a port of [`fold()`]); cut the snippet from
//!   the fragment's `content` split on `" "` (the original words only), mapping each of the
//!   result's `locations` at or past half the fragment's `word_count` back by that half (see
//!   [`records`]); never show a `*_key` meta field; rank `title_key` as `title`
//!   (`metaWeights`). Pagefind's own `excerpt` is wrong for Kazakh results;
//! - a tree without documents has an entry listing no index: Pagefind's `init` rejects, and
//!   the page shows "no results".

pub mod bundle;
pub mod cache;
mod cbor;
pub mod fold;
pub mod from_site;
mod gzip;
pub mod index;
#[cfg(test)]
mod oracle;
pub mod records;
pub mod runtime;
pub mod words;

pub use fold::{fold, fold_words, query_key};
pub use from_site::documents;
pub use index::{
    BUCKETS, SearchFile, TreeBundle, TreePages, build_index, build_indexes, build_indexes_with,
    bundle_dir,
};
pub use records::{Document, Record, Wanted, record};
