//! Capturing messages of ticket channels as they happen: the transcript's source. Edits and
//! deletions update the capture; attachments are downloaded at once and kept by hash.

/// One client for attachment downloads.
static HTTP: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("a default HTTP client builds")
});

/// Downloads `url`, refusing bodies over `cap` bytes.
async fn download(url: &str, cap: u64) -> Result<Vec<u8>, String> {
    if !crate::transcript::markdown::is_web_url(url) {
        return Err(format!("not a web URL: {url}"));
    }
    let mut response = HTTP.get(url).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() as u64 + chunk.len() as u64 > cap {
            return Err(format!("larger than {cap} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

use super::Tickets;
use crate::event::ChatMessage;
use crate::store::{CapturedMessage, TicketRecord};

impl Tickets {
    /// Stores `message` if it was posted in an active ticket's channel; returns that ticket.
    pub(super) async fn capture(&self, message: &ChatMessage) -> Option<TicketRecord> {
        let ticket = match self.store.ticket_in_channel(message.channel_id).await {
            Ok(found) => found?,
            Err(error) => {
                tracing::error!(%error, "looking up a ticket channel failed");
                return None;
            }
        };
        let captured = CapturedMessage {
            message_id: message.id,
            author_id: message.author.id,
            author_name: message.author.name.clone(),
            author_bot: message.from_bot,
            content: message.content.clone(),
            attachments: serde_json::to_value(&message.attachments).unwrap_or_default(),
            embeds: message.embeds.clone(),
            sent_at: message.sent_at,
            edited_at: None,
            deleted: false,
            raw: Some(message.raw.clone()),
        };
        if let Err(error) = self.store.capture_message(ticket.id, captured).await {
            tracing::error!(%error, ticket = ticket.id, "capturing a message failed");
        }
        // Who answers as staff counts as staff in the statistics.
        if !message.from_bot
            && self
                .guild(ticket.guild_id)
                .is_some_and(|g| g.is_staff_for(&ticket.type_id, &message.author.roles))
        {
            self.saw_staff(ticket.guild_id, message.author.id).await;
        }
        let mut files = message.attachments.clone();
        if let Some(hash) = message.raw["author"]["avatar"].as_str() {
            // Kept under a key naming the user and avatar, so each is fetched once per ticket.
            files.push(crate::event::AttachmentRef {
                filename: format!("avatar:{}:{hash}", message.author.id),
                url: self.discord.avatar_url(message.author.id, hash),
                size: 0,
                content_type: Some("image/png".into()),
            });
        }
        if !files.is_empty() {
            self.keep_files(ticket.guild_id, ticket.id, files);
        }
        Some(ticket)
    }

    /// Downloads a message's attachments while their links are fresh (Discord's expire), within
    /// the configured caps, in the background. A ticket's downloads take turns, so messages
    /// posted at once share one budget: each checks what is kept after the previous one saved.
    fn keep_files(&self, guild: u64, ticket: i64, attachments: Vec<crate::event::AttachmentRef>) {
        let store = self.store.clone();
        let limits = self.config().transcripts;
        let turns = self.file_turns.clone();
        let warned = self.file_budget_warned.clone();
        let turn = turns.begin(ticket);
        // Counted as done however the work ends (finished, or cut off at shutdown).
        let done = Done(turns.clone(), ticket);
        self.spawn_tracked(async move {
            let _done = done;
            let _turn = turn.lock().await;
            for attachment in attachments {
                // Attachments are keyed by their URL, avatars by user and avatar hash (their
                // URL depends on the CDN in use).
                let key = if attachment.filename.starts_with("avatar:") {
                    attachment.filename.clone()
                } else {
                    attachment.url.clone()
                };
                let known = store.ticket_files(ticket).await.unwrap_or_default();
                if known.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                if attachment.size > limits.max_file_bytes {
                    tracing::info!(ticket, file = %attachment.filename, size = attachment.size, "attachment over the size cap; the transcript links it");
                    continue;
                }
                let kept = store.ticket_file_bytes(ticket).await.unwrap_or(u64::MAX);
                if kept.saturating_add(attachment.size) > limits.max_ticket_file_bytes {
                    tracing::info!(ticket, "ticket over its file cap; further attachments are linked only");
                    break;
                }
                let guild_kept = store.guild_file_bytes(guild).await.unwrap_or(u64::MAX);
                if guild_kept.saturating_add(attachment.size) > limits.max_guild_file_bytes {
                    if warned.lock().unwrap_or_else(|p| p.into_inner()).insert(guild) {
                        tracing::warn!(guild, kept = guild_kept, budget = limits.max_guild_file_bytes, "the guild's budget for kept files is used up; attachments of its tickets are now linked only (raise transcripts.max_guild_files_mb to keep more)");
                    }
                    break;
                }
                // The download is capped by what is left, not by what Discord said the size is.
                let left = limits
                    .max_file_bytes
                    .min(limits.max_ticket_file_bytes.saturating_sub(kept))
                    .min(limits.max_guild_file_bytes.saturating_sub(guild_kept));
                match download(&attachment.url, left).await {
                    Ok(body) => {
                        if let Err(error) = store
                            .save_file(ticket, &key, &attachment.filename, attachment.content_type.clone(), body)
                            .await
                        {
                            tracing::error!(%error, ticket, "storing an attachment failed");
                        }
                    }
                    Err(error) => tracing::warn!(%error, ticket, file = %attachment.filename, "downloading an attachment failed; the transcript links it"),
                }
            }
        });
    }

    /// Waits until the files posted so far in `ticket` are kept or given up on (at most 10 s).
    pub async fn files_settled(&self, ticket: i64) -> bool {
        self.file_turns
            .settled(ticket, std::time::Duration::from_secs(10))
            .await
    }

    async fn is_ticket_channel(&self, channel: u64) -> bool {
        matches!(self.store.ticket_in_channel(channel).await, Ok(Some(_)))
    }

    /// A message was edited: the transcript shows the latest text, marked edited.
    pub async fn on_message_edited(
        &self,
        channel: u64,
        message: u64,
        content: Option<String>,
        embeds: Option<serde_json::Value>,
        edited_at: chrono::DateTime<chrono::Utc>,
    ) {
        if !self.is_ticket_channel(channel).await {
            return;
        }
        let store = self.store.clone();
        retry_unknown(message, "an edit", || {
            let (store, content, embeds) = (store.clone(), content.clone(), embeds.clone());
            async move {
                store
                    .capture_edit(message, content, embeds, edited_at)
                    .await
            }
        })
        .await;
    }

    /// A reaction was added or removed. Gateway events are handled concurrently, so counting
    /// them could go wrong (a removal overtaking its addition); instead the message's reactions
    /// are read back from Discord shortly after the last change, and stored as they are.
    pub async fn on_reaction(&self, channel: u64, message: u64) {
        if !self.is_ticket_channel(channel).await {
            return;
        }
        if !self
            .reaction_refresh
            .lock()
            .expect("refresh lock")
            .insert(message)
        {
            return; // a refresh is already due
        }
        let (store, discord) = (self.store.clone(), self.discord.clone());
        let pending = self.reaction_refresh.clone();
        self.spawn_until_shutdown(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            pending.lock().expect("refresh lock").remove(&message);
            match discord.message_reactions(channel, message).await {
                Ok(reactions) => {
                    if let Err(error) = store.capture_reactions(message, reactions).await {
                        tracing::error!(%error, message, "storing reactions failed");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, message, "reading a message's reactions failed")
                }
            }
        });
    }

    /// A message was deleted: a captured one stays in the transcript, marked deleted.
    pub async fn on_message_deleted(&self, channel: u64, message: u64) {
        if !self.is_ticket_channel(channel).await {
            return;
        }
        let store = self.store.clone();
        retry_unknown(message, "a deletion", || {
            let store = store.clone();
            async move { store.mark_message_deleted(message).await }
        })
        .await;
    }
}

/// Gateway events are handled concurrently, so an edit or deletion can overtake the creation
/// of its message: a message not captured yet is retried briefly before it counts as one that
/// is not in a ticket.
async fn retry_unknown<F, Fut>(message: u64, what: &str, mut apply: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, crate::store::StoreError>>,
{
    for attempt in 0..5 {
        match apply().await {
            Ok(true) => return,
            Ok(false) => tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await,
            Err(error) => {
                tracing::error!(%error, message, "capturing {what} failed");
                return;
            }
        }
    }
}

/// Each ticket's file downloads: one at a time, and how many are still to come, so a close
/// (and a test) can wait until what was posted is kept.
#[derive(Default)]
pub(super) struct FileTurns {
    tickets: std::sync::Mutex<std::collections::HashMap<i64, TicketFiles>>,
    settled: tokio::sync::Notify,
}

struct TicketFiles {
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    pending: usize,
}

impl FileTurns {
    /// Counts one more batch for `ticket` (at once, before it is spawned); returns the lock
    /// its downloads take turns on.
    fn begin(&self, ticket: i64) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        // A poisoned lock only means a panic while counting: the map is intact.
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        let entry = tickets.entry(ticket).or_insert_with(|| TicketFiles {
            turn: std::sync::Arc::default(),
            pending: 0,
        });
        entry.pending += 1;
        entry.turn.clone()
    }

    /// A batch of `ticket` is done.
    fn end(&self, ticket: i64) {
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = tickets.get_mut(&ticket) {
            entry.pending -= 1;
            if entry.pending == 0 {
                tickets.remove(&ticket);
            }
        }
        drop(tickets);
        self.settled.notify_waiters();
    }

    fn busy(&self, ticket: i64) -> bool {
        let tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        tickets.contains_key(&ticket)
    }

    /// Waits until no download of `ticket` is pending, at most `within`; false if some still
    /// are.
    pub(super) async fn settled(&self, ticket: i64, within: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.settled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.busy(ticket) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }
}

/// Marks a batch of a ticket's downloads done when dropped.
struct Done(std::sync::Arc<FileTurns>, i64);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.end(self.1);
    }
}
