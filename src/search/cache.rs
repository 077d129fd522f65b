//! What a language's tokens are filed under, worked out once per distinct token.
//!
//! Takes the tokens of a language's records (from many threads), gives each token's words
//! ([`super::words`]) as [`Entry`]s: small integer ids of interned strings, one id per
//! distinct word for the whole index, so pages' words are sorted and merged as integers and
//! their text is looked up once, when the chunks are written ([`TokenCache::strings`]). A site
//! repeats its tokens endlessly; the cache turns millions of normalizations and stemmings into
//! tens of thousands.
//!
//! Two levels: [`Local`] caches that one thread at a time owns (no locks, no shared counters
//! touched on a hit), in front of the shared one that works a token out once for all threads.
//! A local cache goes back to its [`TokenCache`]'s pool when dropped, for the next page.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxBuildHasher;

use super::words::{Stemmer, Word, text_words, token_words};

/// Locks of the shared token maps: enough that two threads seldom meet.
const SHARDS: usize = 64;

/// The id of an interned word. Ids start at 1: [`NO_FORM`] is no word.
pub type WordId = u32;

/// The `form` of an entry whose word had no diacritics to drop.
pub const NO_FORM: WordId = 0;

/// A word of a token, as ids of the [`TokenCache`] that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The word as the index holds it.
    pub key: WordId,
    /// The form before its diacritics were dropped, or [`NO_FORM`].
    pub form: WordId,
    /// Whether it is a part of a compound token.
    pub part: bool,
}

/// Tokens and their words.
type Tokens = HashMap<Box<str>, Arc<[Entry]>, FxBuildHasher>;

/// Strings and their ids; `by_id[id - 1]` is the string of `id`.
#[derive(Default)]
struct Interner {
    ids: HashMap<Arc<str>, WordId, FxBuildHasher>,
    by_id: Vec<Arc<str>>,
}

/// The words of tokens of one language, for text and for meta fields, and the interned
/// strings of those words.
pub struct TokenCache {
    stemmer: Stemmer,
    text: Vec<Mutex<Tokens>>,
    meta: Vec<Mutex<Tokens>>,
    strings: Mutex<Interner>,
    /// Local caches not in use.
    pool: Mutex<Vec<LocalMaps>>,
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
            strings: Mutex::default(),
            pool: Mutex::default(),
        }
    }

    /// A cache for `lang` whose ids are those of `strings`, as [`TokenCache::strings`] gave
    /// them (index 0 the empty string): what was kept of an earlier cache, so that words read
    /// with it keep their ids.
    pub fn with_strings(lang: &str, strings: Vec<Arc<str>>) -> TokenCache {
        let cache = TokenCache::new(lang);
        {
            let mut interner = lock(&cache.strings);
            for (id, s) in strings.into_iter().enumerate().skip(1) {
                interner.ids.insert(Arc::clone(&s), id as WordId);
                interner.by_id.push(s);
            }
        }
        cache
    }

    /// How many ids there are, [`NO_FORM`] included.
    pub fn id_count(&self) -> usize {
        lock(&self.strings).by_id.len() + 1
    }

    /// A front cache for one thread's work: one from the pool (warm from earlier pages) or a
    /// new one; it goes back to the pool when dropped.
    pub fn local(&self) -> Local<'_> {
        let maps = lock(&self.pool).pop().unwrap_or_default();
        Local { cache: self, maps }
    }

    /// The strings of the ids given so far, by id (index 0 is [`NO_FORM`], the empty string).
    pub fn strings(&self) -> Vec<Arc<str>> {
        let interner = lock(&self.strings);
        std::iter::once(Arc::from(""))
            .chain(interner.by_id.iter().cloned())
            .collect()
    }

    fn shared_words(
        &self,
        map: &[Mutex<Tokens>],
        token: &str,
        split: fn(&str, &Stemmer) -> Vec<Word>,
    ) -> Arc<[Entry]> {
        let shard = &map[shard_of(token)];
        if let Some(words) = lock(shard).get(token) {
            return Arc::clone(words);
        }
        let words: Arc<[Entry]> = split(token, &self.stemmer)
            .into_iter()
            .map(|w| Entry {
                key: self.intern(w.key),
                form: w.original.map_or(NO_FORM, |o| self.intern(o)),
                part: w.part,
            })
            .collect();
        lock(shard).insert(token.into(), Arc::clone(&words));
        words
    }

    fn intern(&self, s: String) -> WordId {
        let mut strings = lock(&self.strings);
        if let Some(&id) = strings.ids.get(s.as_str()) {
            return id;
        }
        let s: Arc<str> = s.into();
        strings.by_id.push(Arc::clone(&s));
        let id = WordId::try_from(strings.by_id.len()).unwrap_or(WordId::MAX);
        strings.ids.insert(s, id);
        id
    }
}

/// A thread's own view of a [`TokenCache`]: tokens it has met, with their entries in one
/// arena.
pub struct Local<'c> {
    cache: &'c TokenCache,
    maps: LocalMaps,
}

/// A token's entries: where they start in the arena and how many there are.
type Span = (u32, u32);

#[derive(Default)]
struct LocalMaps {
    text: HashMap<Box<str>, Span, FxBuildHasher>,
    meta: HashMap<Box<str>, Span, FxBuildHasher>,
    arena: Vec<Entry>,
}

impl Local<'_> {
    /// The words of a token of the text ([`text_words`]).
    pub fn text_words(&mut self, token: &str) -> &[Entry] {
        let span = match self.maps.text.get(token) {
            Some(&span) => span,
            None => {
                let words = self.cache.shared_words(&self.cache.text, token, text_words);
                let span = push(&mut self.maps.arena, &words);
                self.maps.text.insert(token.into(), span);
                span
            }
        };
        entries(&self.maps.arena, span)
    }

    /// The words of a token of a meta field ([`token_words`]).
    pub fn meta_words(&mut self, token: &str) -> &[Entry] {
        let span = match self.maps.meta.get(token) {
            Some(&span) => span,
            None => {
                let words = self
                    .cache
                    .shared_words(&self.cache.meta, token, token_words);
                let span = push(&mut self.maps.arena, &words);
                self.maps.meta.insert(token.into(), span);
                span
            }
        };
        entries(&self.maps.arena, span)
    }
}

impl Drop for Local<'_> {
    fn drop(&mut self) {
        let maps = std::mem::take(&mut self.maps);
        lock(&self.cache.pool).push(maps);
    }
}

fn push(arena: &mut Vec<Entry>, words: &[Entry]) -> Span {
    let start = arena.len() as u32;
    arena.extend_from_slice(words);
    (start, words.len() as u32)
}

fn entries(arena: &[Entry], (start, len): Span) -> &[Entry] {
    &arena[start as usize..(start + len) as usize]
}

fn shard_of(s: &str) -> usize {
    (FxBuildHasher.hash_one(s) % SHARDS as u64) as usize
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::{NO_FORM, TokenCache};

    #[test]
    fn equal_words_are_one_id() {
        let cache = TokenCache::new("en");
        let mut local = cache.local();
        let a = local.text_words("Masks,")[0];
        let b = local.text_words("masks")[0];
        let c = local.meta_words("Masks")[0];
        let compound = local.text_words("mask-maker").to_vec();
        drop(local);
        let strings = cache.strings();
        assert_eq!(&*strings[a.key as usize], "mask");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.form, NO_FORM);
        assert_ne!(a.key, compound[0].key);
        assert_eq!(a.key, compound[1].key, "a part is the same word");
        assert!(compound[1].part);

        let ru = TokenCache::new("ru");
        let e = ru.local().text_words("ёлка")[0];
        let plain = std::thread::spawn(move || {
            // Another thread reaches the same ids through the shared cache.
            let ru = ru;
            let plain = ru.local().text_words("елка")[0];
            (ru, plain)
        });
        let (ru, plain) = plain.join().unwrap();
        assert_eq!(&*ru.strings()[e.form as usize], "ёлка");
        assert_eq!(e.key, plain.key);
        assert_eq!(plain.form, NO_FORM);
    }

    #[test]
    fn local_caches_are_kept_for_the_next_page() {
        let cache = TokenCache::new("en");
        let first = cache.local().text_words("zebra")[0];
        let mut one = cache.local();
        let mut two = cache.local();
        assert_eq!(one.text_words("zebra")[0], first);
        assert_eq!(
            two.text_words("zebra")[0],
            first,
            "a new local cache asks the shared one"
        );
        assert_eq!(two.text_words("apple")[0].key, 2);
    }
}
