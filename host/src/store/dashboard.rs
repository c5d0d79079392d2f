//! What the web dashboard reads and keeps: a guild's tickets filtered, searched and paged, the
//! tickets opened and closed per day, and signed-in sessions (stored by the hash of their id,
//! with an expiry).

use super::sql::{params, Value as Sql};
use chrono::{DateTime, NaiveDate, Utc};

use super::{Store, StoreError};

/// Which tickets a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Only this ticket type.
    pub type_id: Option<String>,
    /// Only tickets in this state.
    pub state: Option<TicketState>,
    /// Only tickets opened by this user.
    pub opener: Option<u64>,
    /// Only tickets claimed by this user.
    pub claimer: Option<u64>,
    /// Opened on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Opened on or before this day (UTC).
    pub to: Option<NaiveDate>,
    /// Only tickets with a captured message containing this text (any case).
    pub text: Option<String>,
}

/// A ticket's state as the dashboard groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketState {
    /// Opening, open or being closed.
    Open,
    /// Closed by staff (or its channel deleted).
    Closed,
    /// Cancelled by its opener.
    Cancelled,
}

impl TicketState {
    /// The stored statuses it covers.
    fn statuses(self) -> &'static [&'static str] {
        match self {
            TicketState::Open => &["opening", "open", "closing"],
            TicketState::Closed => &["closed"],
            TicketState::Cancelled => &["cancelling", "cancelled"],
        }
    }

    /// The state of a stored status.
    fn of(status: &str) -> Self {
        match status {
            "closed" => TicketState::Closed,
            "cancelling" | "cancelled" => TicketState::Cancelled,
            _ => TicketState::Open,
        }
    }
}

/// One row of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketRow {
    /// Database id.
    pub id: i64,
    /// Number within the guild.
    pub number: i32,
    /// Type id.
    pub type_id: String,
    /// Who opened it.
    pub opener: u64,
    /// Who claimed it.
    pub claimer: Option<u64>,
    /// Its state.
    pub state: TicketState,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it ended.
    pub closed_at: Option<DateTime<Utc>>,
    /// Its rating, when the feedback plugin collected one.
    pub stars: Option<u8>,
    /// When a transcript is stored: the token it was imported with, or empty when the link
    /// is derived from the link key (the dashboard fills it in).
    pub transcript: Option<String>,
}

/// One page of a list and how many tickets match in all.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketPage {
    /// The rows, newest first.
    pub rows: Vec<TicketRow>,
    /// Matching tickets in all.
    pub total: u64,
}

/// Tickets opened and closed on one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayCount {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Opened that day.
    pub opened: u64,
    /// Closed or cancelled that day.
    pub closed: u64,
}

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSession {
    /// The Discord user.
    pub user_id: u64,
    /// Their name at sign-in.
    pub user_name: String,
    /// The guilds they were in at sign-in (Discord's list).
    pub guilds: Vec<u64>,
    /// The token forms must carry (CSRF).
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The start of `day` (UTC).
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The WHERE clause and parameters for `filter` in `guild`.
fn conditions(guild: u64, filter: &TicketFilter) -> (String, Vec<Sql>) {
    let mut clause = String::from("t.guild_id = ?");
    let mut values = vec![Sql::U64(guild)];
    if let Some(type_id) = &filter.type_id {
        clause.push_str(" AND t.type_id = ?");
        values.push(Sql::Text(type_id.clone()));
    }
    if let Some(state) = filter.state {
        let statuses = state.statuses();
        clause.push_str(&format!(
            " AND t.status IN ({})",
            vec!["?"; statuses.len()].join(", ")
        ));
        values.extend(statuses.iter().map(|s| Sql::Text((*s).into())));
    }
    if let Some(opener) = filter.opener {
        clause.push_str(" AND t.opener_id = ?");
        values.push(Sql::U64(opener));
    }
    if let Some(claimer) = filter.claimer {
        clause.push_str(" AND t.claimed_by = ?");
        values.push(Sql::U64(claimer));
    }
    if let Some(from) = filter.from {
        clause.push_str(" AND t.opened_at >= ?");
        values.push(Sql::Time(midnight(from)));
    }
    if let Some(to) = filter.to.and_then(|d| d.succ_opt()) {
        clause.push_str(" AND t.opened_at < ?");
        values.push(Sql::Time(midnight(to)));
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        clause.push_str(
            " AND t.id IN (SELECT m.ticket_id FROM ticket_messages m \
             WHERE m.content ILIKE ? ESCAPE '\\')",
        );
        values.push(Sql::Text(format!("%{}%", like_escape(text.trim()))));
    }
    (clause, values)
}

impl Store {
    /// A page (`offset`, `limit`) of `guild`'s tickets matching `filter`, newest first.
    pub async fn dashboard_tickets(
        &self,
        guild: u64,
        filter: TicketFilter,
        offset: u64,
        limit: u64,
    ) -> Result<TicketPage, StoreError> {
        self.read(move |db| {
            let (clause, values) = conditions(guild, &filter);
            let total: i64 = db.query_row(
                &format!("SELECT count(*) FROM tickets t WHERE {clause}"),
                &values,
                |row| row.get(0),
            )?;
            let rows = db.query_map(
                &format!(
                    "SELECT t.id, t.number, t.type_id, t.opener_id, t.claimed_by, t.status, \
                 t.opened_at, t.closed_at, f.stars, \
                 CASE WHEN EXISTS (SELECT 1 FROM transcripts r WHERE r.ticket_id = t.id) \
                      THEN t.transcript_token END \
                 FROM tickets t LEFT JOIN ticket_feedback f ON f.ticket_id = t.id \
                 WHERE {clause} ORDER BY t.opened_at DESC, t.id DESC LIMIT {limit} OFFSET {offset}"
                ),
                &values,
                |row| {
                    Ok(TicketRow {
                        id: row.get(0)?,
                        number: row.get(1)?,
                        type_id: row.get(2)?,
                        opener: row.get(3)?,
                        claimer: row.get(4)?,
                        state: TicketState::of(&row.get::<String>(5)?),
                        opened_at: row.get(6)?,
                        closed_at: row.get(7)?,
                        stars: row.get(8)?,
                        transcript: row.get(9)?,
                    })
                },
            )?;
            Ok(TicketPage {
                rows,
                total: total.max(0) as u64,
            })
        })
        .await
    }

    /// The names `users` last had in `guild`'s tickets (as captured with their messages).
    pub async fn user_names(
        &self,
        guild: u64,
        users: Vec<u64>,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        self.read(move |db| {
            let marks = vec!["?"; users.len()].join(", ");
            let mut values = vec![Sql::U64(guild)];
            values.extend(users.iter().map(|u| Sql::U64(*u)));
            let latest = db.dialect().arg_max("m.author_name", "m.sent_at");
            let names = db.query_map(
                &format!(
                    "SELECT m.author_id, {latest} FROM ticket_messages m \
                 JOIN tickets t ON t.id = m.ticket_id \
                 WHERE t.guild_id = ? AND m.author_id IN ({marks}) GROUP BY m.author_id"
                ),
                &values,
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            Ok(names)
        })
        .await
    }

    /// The users whose captured name in `guild`'s tickets contains `name` (any case).
    pub async fn users_named(&self, guild: u64, name: String) -> Result<Vec<u64>, StoreError> {
        self.read(move |db| {
            let ids = db.query_map(
                "SELECT DISTINCT m.author_id FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id \
                 WHERE t.guild_id = ? AND m.author_name ILIKE ? ESCAPE '\\' LIMIT 50",
                    params![guild, format!("%{}%", like_escape(&name))],
                    |row| row.get(0),
                )?;
            Ok(ids)
        })
        .await
    }

    /// Tickets opened and ended per day in `guild` over the `days` days up to today (UTC),
    /// every day present (zeros included), oldest first.
    pub async fn daily_counts(&self, guild: u64, days: u32) -> Result<Vec<DayCount>, StoreError> {
        self.read(move |db| {
            let today = Utc::now().date_naive();
            let first = today - chrono::Duration::days(i64::from(days.max(1)) - 1);
            let start = midnight(first);
            let mut counts: Vec<DayCount> = first
                .iter_days()
                .take_while(|d| *d <= today)
                .map(|day| DayCount {
                    day,
                    opened: 0,
                    closed: 0,
                })
                .collect();
            for (column, opened) in [("opened_at", true), ("closed_at", false)] {
                let rows = db.query_map(
                    &format!(
                        "SELECT CAST({column} AS DATE), count(*) FROM tickets \
                     WHERE guild_id = ? AND {column} >= ? GROUP BY 1"
                    ),
                    params![guild, start],
                    |row| Ok((row.get::<NaiveDate>(0)?, row.get::<i64>(1)?)),
                )?;
                for (day, n) in rows {
                    if let Some(count) = counts.iter_mut().find(|c| c.day == day) {
                        if opened {
                            count.opened = n.max(0) as u64;
                        } else {
                            count.closed = n.max(0) as u64;
                        }
                    }
                }
            }
            Ok(counts)
        })
        .await
    }

    /// Keeps a new session under the hash of its id.
    pub async fn create_session(
        &self,
        id_hash: Vec<u8>,
        session: WebSession,
    ) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "DELETE FROM web_sessions WHERE expires_at < ?",
                params![Utc::now()],
            )?;
            db.execute(
                "INSERT INTO web_sessions (id_hash, user_id, user_name, guilds, csrf, created_at, expires_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![
                    id_hash,
                    session.user_id,
                    session.user_name,
                    serde_json::to_string(&session.guilds).unwrap_or_default(),
                    session.csrf,
                    Utc::now(),
                    session.expires_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The session with this id hash, if it has not expired.
    pub async fn session(&self, id_hash: Vec<u8>) -> Result<Option<WebSession>, StoreError> {
        self.read(move |db| {
            let found = db.query_opt(
                "SELECT user_id, user_name, guilds, csrf, expires_at FROM web_sessions \
                     WHERE id_hash = ? AND expires_at > ?",
                params![id_hash, Utc::now()],
                |row| {
                    Ok(WebSession {
                        user_id: row.get(0)?,
                        user_name: row.get(1)?,
                        guilds: serde_json::from_str(&row.get::<String>(2)?).unwrap_or_default(),
                        csrf: row.get(3)?,
                        expires_at: row.get(4)?,
                    })
                },
            )?;
            Ok(found)
        })
        .await
    }

    /// Ends the session with this id hash.
    pub async fn delete_session(&self, id_hash: Vec<u8>) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                "DELETE FROM web_sessions WHERE id_hash = ?",
                params![id_hash],
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_text_literally() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn every_filter_adds_its_condition() {
        let filter = TicketFilter {
            type_id: Some("support".into()),
            state: Some(TicketState::Open),
            opener: Some(7),
            claimer: Some(8),
            from: NaiveDate::from_ymd_opt(2026, 1, 1),
            to: NaiveDate::from_ymd_opt(2026, 1, 31),
            text: Some("itens".into()),
        };
        let (clause, values) = conditions(1, &filter);
        assert_eq!(clause.matches('?').count(), values.len());
        assert!(clause.contains("t.status IN (?, ?, ?)"));
        assert!(values.contains(&Sql::Time(midnight(
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        ))));
        assert!(values.contains(&Sql::Text("%itens%".into())));
    }
}
