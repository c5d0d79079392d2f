//! Transcript tokens, derived rather than stored: `HMAC-SHA256(key, ticket id)` as 32 base32
//! characters (160 bits). The database keeps only each token's SHA-256 (to find the page), so
//! a copy of the database alone opens no transcript; with the key, the bot can show a past
//! ticket's link again (`/transcript`).
//!
//! The key comes from `TICKETBOT_LINK_KEY` (64 hex characters) or a file beside the database,
//! created on first start with owner-only permissions. Losing it breaks no stored page, only the
//! ability to show old links again; replacing it changes every link shown from then on.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The environment variable that may hold the key.
pub const KEY_VAR: &str = "TICKETBOT_LINK_KEY";

/// The secret tokens are derived from.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(redacted)")
    }
}

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The variable is set but is not 64 hex characters.
    #[error("{KEY_VAR} must be 64 hex characters (32 random bytes)")]
    BadVariable,
    /// The key file could not be read or written.
    #[error("the transcript link key {path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Others may read the key file: whoever can read it can open every transcript.
    #[error("the transcript link key {path} can be read by others (mode {mode:o}); make it private with `chmod 600 {path}`")]
    TooOpen {
        /// The file.
        path: std::path::PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file does not hold 64 hex characters.
    #[error("the transcript link key {0} is damaged (expected 64 hex characters); restore it, or remove it to start new links")]
    Damaged(std::path::PathBuf),
}

fn parse(text: &str) -> Option<[u8; 32]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

impl LinkKey {
    /// The key from the environment, else from `file` (created if missing).
    pub fn load(file: &Path) -> Result<Self, KeyError> {
        if let Ok(value) = std::env::var(KEY_VAR) {
            return parse(&value).map(LinkKey).ok_or(KeyError::BadVariable);
        }
        let io = |source| KeyError::File {
            path: file.to_owned(),
            source,
        };
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(file) {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::TooOpen {
                    path: file.to_owned(),
                    mode,
                });
            }
        }
        match std::fs::read_to_string(file) {
            Ok(text) => parse(&text)
                .map(LinkKey)
                .ok_or_else(|| KeyError::Damaged(file.to_owned())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut out = options.open(file).map_err(io)?;
                std::io::Write::write_all(&mut out, hex::encode(key).as_bytes()).map_err(io)?;
                Ok(LinkKey(key))
            }
            Err(error) => Err(io(error)),
        }
    }

    /// A key from bytes (tests, benchmarks).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        LinkKey(bytes)
    }

    /// The token of ticket `ticket`.
    pub fn token(&self, ticket: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"ticketbot transcript v1 ");
        mac.update(&ticket.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        base32(&digest[..20])
    }
}

/// Lowercase RFC 4648 base32 without padding (20 bytes give 32 characters).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_distinct_and_long() {
        let key = LinkKey::from_bytes([7; 32]);
        let other = LinkKey::from_bytes([8; 32]);
        assert_eq!(key.token(1), key.token(1));
        assert_ne!(key.token(1), key.token(2));
        assert_ne!(key.token(1), other.token(1));
        assert_eq!(key.token(1).len(), 32);
        assert!(key.token(1).bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn the_key_file_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("link-key");
        let first = LinkKey::load(&file).unwrap();
        let again = LinkKey::load(&file).unwrap();
        assert_eq!(first.token(3), again.token(3));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&file, "nonsense").unwrap();
        assert!(matches!(LinkKey::load(&file), Err(KeyError::Damaged(_))));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("link-key");
        LinkKey::load(&file).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = LinkKey::load(&file).unwrap_err();
        assert!(matches!(error, KeyError::TooOpen { mode: 0o644, .. }));
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }
}
