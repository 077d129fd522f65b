//! What a language's tokens are filed under, worked out once per distinct token.
//!
//! Takes the tokens of a language's records (from many threads), gives each token's words
//! ([`super::words`]) as [`Shared`] words whose strings are interned: one allocation per
//! distinct word for the whole index, so a page's words can be told apart by address
//! ([`Shared::id`]) without hashing their text. A site repeats its tokens endlessly; the
//! cache turns millions of normalizations and stemmings into tens of thousands.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxBuildHasher;

use super::words::{Stemmer, Word, text_words, token_words};

/// Locks per map: enough that two threads seldom meet.
const SHARDS: usize = 64;

/// A word of a token, its strings interned by the [`TokenCache`] that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// The word as the index holds it.
    pub key: Arc<str>,
    /// The form before its diacritics were dropped, when that differs.
    pub original: Option<Arc<str>>,
    /// Whether it is a part of a compound token.
    pub part: bool,
}

impl Shared {
    /// The identity of the word and form: equal for equal strings of one cache.
    pub fn id(&self) -> (usize, usize) {
        let address = |s: &Arc<str>| Arc::as_ptr(s).cast::<u8>() as usize;
        (
            address(&self.key),
            self.original.as_ref().map_or(0, address),
        )
    }
}

/// Tokens and their words.
type Tokens = HashMap<Box<str>, Arc<[Shared]>, FxBuildHasher>;

/// The words of tokens of one language, for text and for meta fields, and the interned
/// strings of those words.
pub struct TokenCache {
    stemmer: Stemmer,
    text: Vec<Mutex<Tokens>>,
    meta: Vec<Mutex<Tokens>>,
    strings: Vec<Mutex<HashSet<Arc<str>, FxBuildHasher>>>,
}

impl TokenCache {
    /// An empty cache for `lang`'s records.
    pub fn new(lang: &str) -> TokenCache {
        fn shards<T: Default>() -> Vec<Mutex<T>> {
            (0..SHARDS).map(|_| Mutex::default()).collect()
        }
        TokenCache {
            stemmer: Stemmer::for_language(lang),
            text: shards(),
            meta: shards(),
            strings: shards(),
        }
    }

    /// The words of a token of the text ([`text_words`]).
    pub fn text_words(&self, token: &str) -> Arc<[Shared]> {
        self.words(&self.text, token, text_words)
    }

    /// The words of a token of a meta field ([`token_words`]).
    pub fn meta_words(&self, token: &str) -> Arc<[Shared]> {
        self.words(&self.meta, token, token_words)
    }

    fn words(
        &self,
        map: &[Mutex<Tokens>],
        token: &str,
        split: fn(&str, &Stemmer) -> Vec<Word>,
    ) -> Arc<[Shared]> {
        let shard = &map[shard_of(token)];
        if let Some(words) = lock(shard).get(token) {
            return Arc::clone(words);
        }
        let words: Arc<[Shared]> = split(token, &self.stemmer)
            .into_iter()
            .map(|w| Shared {
                key: self.intern(w.key),
                original: w.original.map(|o| self.intern(o)),
                part: w.part,
            })
            .collect();
        lock(shard).insert(token.into(), Arc::clone(&words));
        words
    }

    fn intern(&self, s: String) -> Arc<str> {
        let mut strings = lock(&self.strings[shard_of(&s)]);
        if let Some(known) = strings.get(s.as_str()) {
            return Arc::clone(known);
        }
        let new: Arc<str> = s.into();
        strings.insert(Arc::clone(&new));
        new
    }
}

fn shard_of(s: &str) -> usize {
    (FxBuildHasher.hash_one(s) % SHARDS as u64) as usize
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::TokenCache;

    #[test]
    fn equal_words_are_one_string() {
        let cache = TokenCache::new("en");
        let a = cache.text_words("Masks,");
        let b = cache.text_words("masks");
        let c = cache.meta_words("Masks");
        assert_eq!(&*a[0].key, "mask");
        assert_eq!(a[0].id(), b[0].id());
        assert_eq!(a[0].id(), c[0].id());
        let compound = cache.text_words("mask-maker");
        assert_ne!(a[0].id(), compound[0].id());
        assert_eq!(a[0].id(), compound[1].id(), "a part is the same word");
        let ru = TokenCache::new("ru");
        let e = ru.text_words("ёлка");
        assert_eq!(e[0].original.as_deref(), Some("ёлка"));
        assert_ne!(e[0].id(), ru.text_words("елка")[0].id());
        assert_eq!(e[0].id().0, ru.text_words("елка")[0].id().0);
    }
}
