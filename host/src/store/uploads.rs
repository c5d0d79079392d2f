//! Plugins a guild uploaded: the components kept once by the hash of their bytes
//! (content-addressed), and which guild uses which under what id.

use chrono::Utc;

use super::sql::{params, upsert};

use super::{Store, StoreError};

/// An uploaded component in a guild.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedPlugin {
    /// The plugin's id (its manifest's).
    pub plugin: String,
    /// The hex SHA-256 of its bytes.
    pub hash: String,
    /// The component.
    pub bytes: Vec<u8>,
}

impl Store {
    /// Keeps `upload` for `guild` (replacing its earlier upload under the same id), by `actor`.
    pub async fn save_upload(
        &self,
        guild: u64,
        actor: u64,
        upload: UploadedPlugin,
    ) -> Result<(), StoreError> {
        self.call(move |db| {
            db.transaction(|tx| {
                tx.execute(
                    "INSERT INTO plugin_blobs (hash, bytes) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    params![upload.hash, upload.bytes],
                )?;
                tx.execute(
                    &upsert(
                        "guild_uploads",
                        &["guild_id", "plugin", "hash", "uploaded_by", "uploaded_at"],
                        &["guild_id", "plugin"],
                    ),
                    params![guild, upload.plugin, upload.hash, actor, Utc::now()],
                )?;
                Ok(())
            })
        })
        .await
    }

    /// The plugins `guild` uploaded, oldest first.
    pub async fn guild_uploads(&self, guild: u64) -> Result<Vec<UploadedPlugin>, StoreError> {
        self.call(move |db| {
            let rows = db.query_map(
                "SELECT u.plugin, u.hash, b.bytes FROM guild_uploads u JOIN plugin_blobs b ON b.hash = u.hash \
                 WHERE u.guild_id = ? ORDER BY u.uploaded_at",
            params![guild], |row| {
                    Ok(UploadedPlugin {
                        plugin: row.get(0)?,
                        hash: row.get(1)?,
                        bytes: row.get(2)?,
                    })
                })?;
            Ok(rows)
        })
        .await
    }
}
