//! Compiled components on disk, keyed by the component's content hash and the engine's
//! compatibility hash, so a restart skips cranelift (tens of ms per plugin) and an engine
//! upgrade never loads stale code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Where precompiled components live.
#[derive(Clone, Debug)]
pub struct ComponentCache {
    dir: Option<PathBuf>,
}

/// How a component was obtained, for logs and benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loaded {
    /// Compiled now (and written to the cache if there is one).
    Compiled,
    /// Read from the cache.
    FromCache,
    /// A native library (never compiled or cached by the host).
    Native,
}

impl ComponentCache {
    /// A cache in `dir` (created on first write), or none.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    /// The cache file for `bytes` under `engine`.
    fn file_for(&self, engine: &Engine, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let content = hex::encode(Sha256::digest(bytes));
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Some(dir.join(format!("{content}-{:016x}.cwasm", hasher.finish())))
    }

    /// The compiled component for `bytes`, from the cache when possible; wasmtime's reason
    /// when it is not a valid component.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<(Component, Loaded), String> {
        let file = self.file_for(engine, bytes);
        let trusted = self.dir.as_deref().is_some_and(private_or_absent);
        if let Some(file) = file.as_ref().filter(|_| trusted) {
            // Read into memory rather than mapped: a mapped file truncated under a live
            // component (another process, a user tidying up) would crash the host.
            if let Ok(compiled) = std::fs::read(file) {
                // SAFETY: only files this host wrote are in the cache directory, named by the
                // hash of their source and of this engine's settings; wasmtime also checks the
                // header before trusting the contents.
                match unsafe { Component::deserialize(engine, &compiled) } {
                    Ok(component) => return Ok((component, Loaded::FromCache)),
                    Err(error) => {
                        tracing::warn!(file = %file.display(), %error, "ignoring a bad cache entry");
                    }
                }
            }
        }
        let compiled = engine
            .precompile_component(bytes)
            .map_err(|e| format!("{e:#}"))?;
        if let Some(file) = &file {
            if let Err(error) = write_atomically(file, &compiled) {
                tracing::warn!(file = %file.display(), %error, "could not cache a compiled plugin");
            }
        }
        // SAFETY: `compiled` was produced by this engine a moment ago.
        let component =
            unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| format!("{e:#}"))?;
        Ok((component, Loaded::Compiled))
    }
}

/// Whether `dir` is safe to load compiled code from: missing (nothing to load), or owned by
/// this user and writable by nobody else. Loading a compiled component runs it as native code,
/// so a directory others can write to is never read (and a warning says why).
fn private_or_absent(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(dir) else {
            return true;
        };
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        let private = meta.uid() == me && meta.mode() & 0o022 == 0;
        if !private {
            tracing::warn!(dir = %dir.display(), mode = format!("{:o}", meta.mode() & 0o777), "the plugin cache can be written by others; not loading compiled plugins from it (chmod 700 it, or remove it)");
        }
        private
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        true
    }
}

fn write_atomically(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().expect("cache files have a directory");
    create_private_dir(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    temp.persist(file).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `dir` (and its parents) if missing, the last one owner-only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_cache_is_private_and_never_read_when_others_can_write_it() {
        let engine = crate::plugins::engine::build().unwrap();
        let bytes = crate::plugins::builtin::bytes("poke").unwrap();
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("cache");
        let cache = ComponentCache::new(Some(dir.clone()));
        assert_eq!(cache.load(&engine, bytes).unwrap().1, Loaded::Compiled);
        assert_eq!(cache.load(&engine, bytes).unwrap().1, Loaded::FromCache);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for entry in std::fs::read_dir(&dir).unwrap() {
            assert_eq!(mode(&entry.unwrap().path()), 0o600);
        }
        // Someone else could have planted code there: compile instead of loading it.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(cache.load(&engine, bytes).unwrap().1, Loaded::Compiled);
    }
}
