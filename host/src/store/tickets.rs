//! Tickets and their members: the lifecycle's state.

use chrono::{DateTime, Utc};

use super::sql::{params, Db, Row};

use super::{Store, StoreError};

/// Where a ticket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketStatus {
    /// Reserved; its channel is being created.
    Opening,
    /// Open: the channel exists.
    Open,
    /// Close announced; the channel is deleted at `close_due_at`.
    Closing,
    /// Its opener cancelled it; the channel is being deleted. (Set before the deletion, so the
    /// channel's deletion event is known as ours and does not end the ticket a second time.)
    Cancelling,
    /// Closed by staff (or its channel was deleted by hand).
    Closed,
    /// Cancelled by its opener.
    Cancelled,
}

impl TicketStatus {
    fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Opening => "opening",
            TicketStatus::Open => "open",
            TicketStatus::Closing => "closing",
            TicketStatus::Cancelling => "cancelling",
            TicketStatus::Closed => "closed",
            TicketStatus::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "opening" => TicketStatus::Opening,
            "open" => TicketStatus::Open,
            "closing" => TicketStatus::Closing,
            "cancelling" => TicketStatus::Cancelling,
            "cancelled" => TicketStatus::Cancelled,
            _ => TicketStatus::Closed,
        }
    }

    /// Whether the ticket still counts against the opener's limit and has a channel.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            TicketStatus::Opening
                | TicketStatus::Open
                | TicketStatus::Closing
                | TicketStatus::Cancelling
        )
    }
}

/// A ticket as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRecord {
    /// Database id (global).
    pub id: i64,
    /// Guild.
    pub guild_id: u64,
    /// Number within the guild: 1, 2, 3...
    pub number: i32,
    /// Ticket type id.
    pub type_id: String,
    /// Its channel, once created.
    pub channel_id: Option<u64>,
    /// Who opened it.
    pub opener_id: u64,
    /// Where it is in its life.
    pub status: TicketStatus,
    /// The staff member who claimed it.
    pub claimed_by: Option<u64>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it was closed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// Who closed or cancelled it (`None` when its channel was deleted by hand).
    pub closed_by: Option<u64>,
    /// The reason given when closing.
    pub close_reason: Option<String>,
    /// When a close in progress deletes the channel.
    pub close_due_at: Option<DateTime<Utc>>,
    /// The welcome message with the action buttons.
    pub welcome_message_id: Option<u64>,
    /// The secret token of its transcript page.
    pub transcript_token: String,
    /// The short label a plugin set (shown on the welcome message and the transcript).
    pub status_label: Option<String>,
    /// The answers to the questions asked when it was opened.
    pub answers: Vec<Answer>,
}

/// The answer to one question asked when a ticket was opened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    /// The plugin that asked.
    pub plugin: String,
    /// The question's id within the plugin.
    pub question: String,
    /// The question as it was asked (in the guild's language).
    pub label: String,
    /// What the opener answered.
    pub value: String,
}

/// A new ticket to reserve.
#[derive(Clone, Debug)]
pub struct NewTicket {
    /// Guild.
    pub guild_id: u64,
    /// Type id.
    pub type_id: String,
    /// Opener.
    pub opener_id: u64,
    /// Transcript token.
    pub transcript_token: String,
    /// At most this many active tickets per opener.
    pub limit: u32,
    /// At most this many active tickets in the guild (none: no cap).
    pub guild_limit: Option<u32>,
    /// The least time since the opener's last ticket of this type (none: no wait).
    pub cooldown: Option<std::time::Duration>,
    /// The answers to the opening questions.
    pub answers: Vec<Answer>,
}

/// What [`Store::reserve_ticket`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// A ticket was reserved (status `opening`).
    Reserved(Box<TicketRecord>),
    /// The opener is at the limit; these are their active tickets.
    AtLimit(Vec<TicketRecord>),
    /// The guild has its maximum of open tickets.
    GuildFull,
    /// The opener opened a ticket of this type too recently; they may again from then.
    CoolingDown(DateTime<Utc>),
}

const COLUMNS: &str =
    "id, guild_id, number, type_id, channel_id, opener_id, status, claimed_by, opened_at, \
     closed_at, closed_by, close_reason, close_due_at, welcome_message_id, transcript_token, \
     status_label, answers";

fn ticket(row: &Row) -> Result<TicketRecord, StoreError> {
    let status: String = row.get(6)?;
    Ok(TicketRecord {
        id: row.get(0)?,
        guild_id: row.get(1)?,
        number: row.get(2)?,
        type_id: row.get(3)?,
        channel_id: row.get(4)?,
        opener_id: row.get(5)?,
        status: TicketStatus::parse(&status),
        claimed_by: row.get(7)?,
        opened_at: row.get(8)?,
        closed_at: row.get(9)?,
        closed_by: row.get(10)?,
        close_reason: row.get(11)?,
        close_due_at: row.get(12)?,
        welcome_message_id: row.get(13)?,
        transcript_token: row.get(14)?,
        status_label: row.get(15)?,
        answers: row
            .get::<Option<String>>(16)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default(),
    })
}

fn active(db: &mut dyn Db, guild_id: u64, opener_id: u64) -> Result<Vec<TicketRecord>, StoreError> {
    db.query_map(
        &format!(
            "SELECT {COLUMNS} FROM tickets WHERE guild_id = ? AND opener_id = ? \
             AND status IN ('opening', 'open', 'closing', 'cancelling') ORDER BY id"
        ),
        params![guild_id, opener_id],
        ticket,
    )
}

impl Store {
    /// Sets (or clears) a ticket's status label.
    pub async fn set_status_label(&self, id: i64, label: Option<String>) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "UPDATE tickets SET status_label = ? WHERE id = ?",
                params![label, id],
            )?;
            Ok(())
        })
        .await
    }

    /// The open tickets of `guild` that `user` opened or was added to.
    pub async fn open_tickets_of_person(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<TicketRecord>, StoreError> {
        self.call(move |db| {
            db.query_map(&format!(
                "SELECT {COLUMNS} FROM tickets WHERE guild_id = ? AND status = 'open' \
                 AND (opener_id = ? OR id IN (SELECT ticket_id FROM ticket_members WHERE user_id = ?)) \
                 ORDER BY id"
            ), params![guild, user, user], ticket)
        })
        .await
    }

    /// Reserves a ticket unless the opener is at the limit; the check and the insert are one
    /// transaction on the database thread, so concurrent clicks cannot both pass.
    pub async fn reserve_ticket(&self, new: NewTicket) -> Result<Reservation, StoreError> {
        self.call(move |db| db.transaction(|tx| reserve(tx, new)))
            .await
    }

    /// Drops a reservation whose channel could not be created.
    pub async fn release_ticket(&self, id: i64) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "DELETE FROM ticket_members WHERE ticket_id = ?",
                params![id],
            )?;
            db.execute(
                "DELETE FROM tickets WHERE id = ? AND status = 'opening'",
                params![id],
            )?;
            Ok(())
        })
        .await
    }

    /// Marks a reserved ticket open in `channel` with its welcome message.
    pub async fn ticket_opened(
        &self,
        id: i64,
        channel: u64,
        welcome: Option<u64>,
    ) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "UPDATE tickets SET status = 'open', channel_id = ?, welcome_message_id = ? WHERE id = ?",
                params![channel, welcome, id],
            )?;
            Ok(())
        })
        .await
    }

    /// The ticket with database id `id`.
    pub async fn ticket(&self, id: i64) -> Result<Option<TicketRecord>, StoreError> {
        self.call(move |db| {
            db.query_opt(
                &format!("SELECT {COLUMNS} FROM tickets WHERE id = ?"),
                params![id],
                ticket,
            )
        })
        .await
    }

    /// The last ticket that had `channel`, whatever its state (ended ones too).
    pub async fn ticket_of_channel(
        &self,
        channel: u64,
    ) -> Result<Option<TicketRecord>, StoreError> {
        self.call(move |db| {
            db.query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM tickets WHERE channel_id = ? ORDER BY id DESC LIMIT 1"
                ),
                params![channel],
                ticket,
            )
        })
        .await
    }

    /// The active ticket whose channel is `channel`.
    pub async fn ticket_in_channel(
        &self,
        channel: u64,
    ) -> Result<Option<TicketRecord>, StoreError> {
        self.call(move |db| {
            db.query_opt(
                    &format!(
                        "SELECT {COLUMNS} FROM tickets WHERE channel_id = ? \
                         AND status IN ('opening', 'open', 'closing', 'cancelling') ORDER BY id DESC LIMIT 1"
                    ),
                    params![channel],
                    ticket,
                )
        })
        .await
    }

    /// Active tickets of `guild` (or all guilds).
    pub async fn active_tickets(&self) -> Result<Vec<TicketRecord>, StoreError> {
        self.call(move |db| {
            db.query_map(&format!(
                "SELECT {COLUMNS} FROM tickets WHERE status IN ('opening', 'open', 'closing', 'cancelling') ORDER BY id"
            ), &[], ticket)
        })
        .await
    }

    /// Every ticket of `guild`, oldest first.
    pub async fn tickets_of_guild(&self, guild: u64) -> Result<Vec<TicketRecord>, StoreError> {
        self.call(move |db| {
            db.query_map(
                &format!("SELECT {COLUMNS} FROM tickets WHERE guild_id = ? ORDER BY number"),
                params![guild],
                ticket,
            )
        })
        .await
    }

    /// Ended tickets of `guild` with a stored transcript, newest first: the one numbered
    /// `number`, or those `user` opened, at most `limit`.
    pub async fn past_tickets(
        &self,
        guild: u64,
        number: Option<i32>,
        user: Option<u64>,
        limit: usize,
    ) -> Result<Vec<TicketRecord>, StoreError> {
        self.call(move |db| {
            db.query_map(
                &format!(
                    "SELECT {COLUMNS} FROM tickets t WHERE guild_id = ? \
                 AND (CAST(? AS INTEGER) IS NULL OR number = ?) \
                 AND (CAST(? AS BIGINT) IS NULL OR opener_id = ?) \
                 AND EXISTS (SELECT 1 FROM transcripts tr WHERE tr.ticket_id = t.id) \
                 ORDER BY number DESC LIMIT ?"
                ),
                params![guild, number, number, user, user, limit as i64],
                ticket,
            )
        })
        .await
    }

    /// Sets or clears the claimer.
    pub async fn set_claim(&self, id: i64, staff: Option<u64>) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "UPDATE tickets SET claimed_by = ? WHERE id = ?",
                params![staff, id],
            )?;
            Ok(())
        })
        .await
    }

    /// Starts a close: only an open ticket moves to `closing`. Returns whether it did.
    pub async fn begin_close(
        &self,
        id: i64,
        by: u64,
        reason: Option<String>,
        due: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.call(move |db| {
            let changed = db.execute(
                "UPDATE tickets SET status = 'closing', closed_by = ?, close_reason = ?, close_due_at = ? \
                 WHERE id = ? AND status = 'open'",
                params![by, reason, due, id],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Starts a cancel by the opener: only an open ticket moves to `cancelling`. Returns
    /// whether it did.
    pub async fn begin_cancel(&self, id: i64, by: u64) -> Result<bool, StoreError> {
        self.call(move |db| {
            let changed = db.execute(
                "UPDATE tickets SET status = 'cancelling', closed_by = ? WHERE id = ? AND status = 'open'",
                params![by, id],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Takes a close or cancel back (its transcript could not be stored, or the channel not
    /// deleted): the ticket is open again.
    pub async fn abort_close(&self, id: i64) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "UPDATE tickets SET status = 'open', closed_by = NULL, close_reason = NULL, close_due_at = NULL \
                 WHERE id = ? AND status IN ('closing', 'cancelling')",
                params![id],
            )?;
            Ok(())
        })
        .await
    }

    /// Ends an active ticket as `status` (closed or cancelled). Returns whether it was active.
    pub async fn finish_ticket(
        &self,
        id: i64,
        status: TicketStatus,
        by: Option<u64>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.call(move |db| {
            let changed = db.execute(
                "UPDATE tickets SET status = ?, closed_at = ?, closed_by = coalesce(?, closed_by), close_due_at = NULL \
                 WHERE id = ? AND status IN ('opening', 'open', 'closing', 'cancelling')",
                params![status.as_str(), at, by, id],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Records that `user` was added to the ticket.
    pub async fn add_member(&self, id: i64, user: u64, by: u64) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "INSERT INTO ticket_members VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                params![id, user, by, Utc::now()],
            )?;
            Ok(())
        })
        .await
    }

    /// Records that `user` was removed from the ticket.
    pub async fn remove_member(&self, id: i64, user: u64) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "DELETE FROM ticket_members WHERE ticket_id = ? AND user_id = ?",
                params![id, user],
            )?;
            Ok(())
        })
        .await
    }

    /// The ticket's members (the opener first, then in the order they were added).
    pub async fn members(&self, id: i64) -> Result<Vec<u64>, StoreError> {
        self.call(move |db| {
            db.query_map(
                "SELECT user_id FROM ticket_members WHERE ticket_id = ? ORDER BY added_at, user_id",
                params![id],
                |row| row.get(0),
            )
        })
        .await
    }
}

/// The reservation's check and insert (in one transaction, under the guild's lock, so
/// concurrent clicks, in this process or another, cannot both pass the limits).
fn reserve(tx: &mut dyn Db, new: NewTicket) -> Result<Reservation, StoreError> {
    tx.lock(&format!("reserve {}", new.guild_id))?;
    let open = active(tx, new.guild_id, new.opener_id)?;
    if open.len() >= new.limit as usize {
        return Ok(Reservation::AtLimit(open));
    }
    if let Some(cap) = new.guild_limit {
        let in_guild: i64 = tx.query_row(
            "SELECT count(*) FROM tickets WHERE guild_id = ? \
                 AND status IN ('opening', 'open', 'closing', 'cancelling')",
            params![new.guild_id],
            |row| row.get(0),
        )?;
        if in_guild >= i64::from(cap) {
            return Ok(Reservation::GuildFull);
        }
    }
    if let Some(cooldown) = new.cooldown.filter(|c| !c.is_zero()) {
        let last: Option<DateTime<Utc>> = tx.query_row(
                "SELECT max(opened_at) FROM tickets WHERE guild_id = ? AND opener_id = ? AND type_id = ?",
                params![new.guild_id, new.opener_id, new.type_id],
                |row| row.get(0),
            )?;
        let wait = chrono::Duration::from_std(cooldown).unwrap_or_default();
        if let Some(until) = last.map(|at| at + wait).filter(|until| *until > Utc::now()) {
            return Ok(Reservation::CoolingDown(until));
        }
    }
    let number: i32 = tx.query_row(
        "SELECT coalesce(max(number), 0) + 1 FROM tickets WHERE guild_id = ?",
        params![new.guild_id],
        |row| row.get(0),
    )?;
    let record = tx.query_row(
            &format!(
                "INSERT INTO tickets (guild_id, number, type_id, opener_id, status, opened_at, transcript_token, answers) \
                 VALUES (?, ?, ?, ?, 'opening', ?, ?, ?) RETURNING {COLUMNS}"
            ),
            params![
                new.guild_id,
                number,
                new.type_id,
                new.opener_id,
                Utc::now(),
                new.transcript_token,
                (!new.answers.is_empty())
                    .then(|| serde_json::to_string(&new.answers).expect("answers serialise"))
            ],
            ticket,
        )?;
    tx.execute(
        "INSERT INTO ticket_members VALUES (?, ?, NULL, ?)",
        params![record.id, new.opener_id, record.opened_at],
    )?;
    Ok(Reservation::Reserved(Box::new(record)))
}
