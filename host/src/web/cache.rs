//! Hot transcript pages in memory, bounded by bytes. A stored page never changes, so an entry
//! is never stale; the oldest entries go first when the bound is reached. Misses are not
//! cached, so guessing tokens cannot fill it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;
use sha2::{Digest, Sha256};

/// A page as served: its stored encoding, bytes and ETag.
#[derive(Clone, Debug)]
pub struct CachedPage {
    /// `gzip` or `identity`.
    pub encoding: String,
    /// The stored bytes.
    pub body: Bytes,
    /// Strong validator.
    pub etag: String,
    /// Imported from the original bot: served without any script.
    pub legacy: bool,
}

impl CachedPage {
    /// A page from its stored form.
    pub fn new(encoding: String, body: Vec<u8>, legacy: bool) -> Self {
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..12]));
        Self {
            encoding,
            body: Bytes::from(body),
            etag,
            legacy,
        }
    }
}

/// The cache.
pub struct PageCache {
    limit: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<String, CachedPage>,
    order: VecDeque<String>,
    bytes: usize,
}

impl PageCache {
    /// A cache holding at most `limit` bytes of pages.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            inner: Mutex::default(),
        }
    }

    /// The page for `token`, if cached.
    pub fn get(&self, token: &str) -> Option<CachedPage> {
        self.inner
            .lock()
            .expect("cache lock")
            .pages
            .get(token)
            .cloned()
    }

    /// Keeps `page` for `token`, evicting the oldest pages beyond the bound.
    pub fn put(&self, token: &str, page: CachedPage) {
        if page.body.len() > self.limit {
            return;
        }
        let mut inner = self.inner.lock().expect("cache lock");
        if inner.pages.contains_key(token) {
            return;
        }
        inner.bytes += page.body.len();
        inner.pages.insert(token.to_owned(), page);
        inner.order.push_back(token.to_owned());
        while inner.bytes > self.limit {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.pages.remove(&oldest) {
                inner.bytes -= gone.body.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_bytes_oldest_out_first() {
        let cache = PageCache::new(10);
        cache.put("a", CachedPage::new("gzip".into(), vec![0; 4], false));
        cache.put("b", CachedPage::new("gzip".into(), vec![0; 4], false));
        cache.put("c", CachedPage::new("gzip".into(), vec![0; 4], false));
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
        cache.put("huge", CachedPage::new("gzip".into(), vec![0; 11], false));
        assert!(cache.get("huge").is_none());
        assert_eq!(
            cache.get("b").unwrap().etag,
            CachedPage::new("gzip".into(), vec![0; 4], false).etag
        );
    }
}
