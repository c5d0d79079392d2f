//! Moving from the original (Python) bot: its transcripts, kept in a DuckDB file as
//! `ticket_html(token, html_content)` and served at `/api/ticket/<token>`, and its panel message,
//! kept in a JSON file. [`import`] brings both into this bot's database so old links keep
//! working at the same path and the old panel keeps opening tickets. The original's HTML is
//! untrusted: it is stored as it is and served under a policy that lets no script run.

use std::path::{Path, PathBuf};

use crate::config::GuildConfig;
use crate::store::{PanelRecord, Store, StoreError};

/// What to import, for which guild.
pub struct LegacyImport<'a> {
    /// The original bot's DuckDB file (read only; never changed).
    pub duckdb: &'a Path,
    /// The original bot's JSON file with its panel message id, if it is to be taken over.
    pub panel_json: Option<&'a Path>,
    /// The guild the transcripts and the panel belong to.
    pub guild: &'a GuildConfig,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// Pages in the original's file.
    pub found: usize,
    /// Pages new to this database.
    pub imported: usize,
    /// Pages that were already here (an import run twice changes nothing).
    pub already: usize,
    /// The panel message taken over, if any.
    pub panel: Option<u64>,
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    /// The database (this one, or the original's).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The panel file.
    #[error("the panel file {path}: {reason}; nothing was imported")]
    PanelJson {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// A panel message (and its channel, if the file says) from the original's JSON file: the
/// first number (or string of digits) under a key naming a message, and one naming a channel.
fn read_panel(path: &Path) -> Result<(u64, Option<u64>), LegacyError> {
    let fail = |reason: String| LegacyError::PanelJson {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
    fn find(value: &serde_json::Value, word: &str) -> Option<u64> {
        let id = |v: &serde_json::Value| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        };
        match value {
            serde_json::Value::Object(map) => map
                .iter()
                .find_map(|(key, v)| key.to_lowercase().contains(word).then(|| id(v)).flatten())
                .or_else(|| map.values().find_map(|v| find(v, word))),
            _ => None,
        }
    }
    let message = find(&json, "message")
        .ok_or_else(|| fail("no panel message id (a key like \"panel_message_id\")".into()))?;
    Ok((message, find(&json, "channel")))
}

/// Imports the original bot's transcripts (and panel) into `store` for `job.guild`.
pub async fn import(store: &Store, job: &LegacyImport<'_>) -> Result<ImportReport, LegacyError> {
    // Everything is read and checked before anything is written.
    let panel = job.panel_json.map(read_panel).transpose()?;
    let path = job.duckdb.to_owned();
    let pages = tokio::task::spawn_blocking(move || crate::store::read_legacy_transcripts(&path))
        .await
        .map_err(|e| StoreError::Full(format!("reading the original's file stopped: {e}")))??;
    let mut report = ImportReport {
        found: pages.len(),
        imported: 0,
        already: 0,
        panel: None,
    };
    for (token, html) in pages {
        let body = crate::transcript::compress(&html);
        if store.import_legacy_transcript(&token, body).await? {
            report.imported += 1;
        } else {
            report.already += 1;
        }
    }
    if let Some((message, channel)) = panel {
        store
            .save_panel(PanelRecord {
                guild_id: job.guild.id,
                channel_id: channel.unwrap_or(job.guild.panel_channel),
                message_id: message,
                posted_by: 0,
                posted_at: chrono::Utc::now(),
            })
            .await?;
        report.panel = Some(message);
    }
    Ok(report)
}
