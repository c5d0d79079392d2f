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

    /// The compiled component for `bytes`, from the cache when possible.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> anyhow::Result<(Component, Loaded)> {
        let file = self.file_for(engine, bytes);
        if let Some(file) = &file {
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
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        if let Some(file) = &file {
            if let Err(error) = write_atomically(file, &compiled) {
                tracing::warn!(file = %file.display(), %error, "could not cache a compiled plugin");
            }
        }
        // SAFETY: `compiled` was produced by this engine a moment ago.
        let component = unsafe { Component::deserialize(engine, &compiled) }
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        Ok((component, Loaded::Compiled))
    }
}

fn write_atomically(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().expect("cache files have a directory");
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    temp.persist(file).map_err(|e| e.error)?;
    Ok(())
}
