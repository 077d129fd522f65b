pub mod fold;
pub mod records;
pub use fold::{fold, fold_words, query_key};
pub use records::{Document, Record, record};
