//! Statistics per guild, per ticket type and per staff member, computed by the database from the
//! tickets and their captured messages.

use super::sql::{params, upsert, Dialect};

use super::{Store, StoreError};

/// Figures for one ticket type.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeStats {
    /// The type's id.
    pub type_id: String,
    /// Tickets opened.
    pub opened: u64,
    /// Closed by staff.
    pub closed: u64,
    /// Cancelled by their opener.
    pub cancelled: u64,
    /// Still open.
    pub open: u64,
    /// Median minutes from opening to the first answer by someone other than the opener.
    pub median_first_response_min: Option<f64>,
    /// Median minutes from opening to the close.
    pub median_resolution_min: Option<f64>,
    /// Tickets their opener rated.
    pub ratings: u64,
    /// The average of those ratings (1-5).
    pub average_rating: Option<f64>,
}

/// Figures for one staff member.
#[derive(Clone, Debug, PartialEq)]
pub struct StaffStats {
    /// The member's user id.
    pub user_id: u64,
    /// Their name as last seen in a ticket.
    pub name: Option<String>,
    /// Tickets they closed.
    pub closed: u64,
    /// Tickets they hold or held as claimer.
    pub claimed: u64,
    /// Tickets where they answered first.
    pub first_responses: u64,
    /// Median minutes to their first answers.
    pub median_first_response_min: Option<f64>,
    /// Median minutes from opening to close of the tickets they closed.
    pub median_resolution_min: Option<f64>,
    /// Ratings of tickets credited to them (they held it, or closed it unclaimed).
    pub ratings: u64,
    /// The average of those ratings (1-5).
    pub average_rating: Option<f64>,
}

/// A guild's statistics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GuildStats {
    /// Per ticket type.
    pub types: Vec<TypeStats>,
    /// Per staff member (anyone who closed, claimed or answered first).
    pub staff: Vec<StaffStats>,
}

/// Each ticket's first answer by staff (someone seen acting as staff in the guild, not the
/// opener, not a bot). Its first parameter is the guild.
fn first_answers(dialect: Dialect) -> String {
    let responder = dialect.arg_min("m.author_id", "m.sent_at");
    format!(
        "
    WITH staff AS (
        SELECT user_id FROM staff_seen WHERE guild_id = $1
    ),
    first AS (
        SELECT t.id, t.type_id, t.opened_at,
               min(m.sent_at) AS at, {responder} AS responder
        FROM tickets t JOIN ticket_messages m ON m.ticket_id = t.id
        WHERE t.guild_id = $1 AND m.author_id <> t.opener_id AND NOT m.author_bot
          AND m.author_id IN (SELECT user_id FROM staff)
        GROUP BY t.id, t.type_id, t.opened_at
    )"
    )
}

/// Seconds as minutes with one decimal; never negative (a message stamped by Discord a moment
/// before the bot recorded the opening is an answer at once, not "-0 min").
fn minutes(seconds: Option<f64>) -> Option<f64> {
    seconds.map(|s| (s.max(0.0) / 60.0 * 10.0).round() / 10.0 + 0.0)
}

/// An average rating with one decimal.
fn rating(average: Option<f64>) -> Option<f64> {
    average.map(|a| (a * 10.0).round() / 10.0)
}

impl Store {
    /// The statistics of `guild`.
    pub async fn guild_stats(&self, guild: u64) -> Result<GuildStats, StoreError> {
        self.call(move |db| {
            let d = db.dialect();
            let first_answers = first_answers(d);
            let first_response = d.median(&d.seconds_between("t.opened_at", "f.at"));
            let resolution = d.median(&d.seconds_between("t.opened_at", "t.closed_at"));
            let types = db.query_map(
                &format!(
                    "{first_answers}
                SELECT t.type_id,
                       count(*),
                       count(*) FILTER (WHERE t.status = 'closed'),
                       count(*) FILTER (WHERE t.status = 'cancelled'),
                       count(*) FILTER (WHERE t.status IN ('open', 'closing', 'cancelling')),
                       {first_response},
                       {resolution} FILTER (WHERE t.status = 'closed'),
                       count(fb.stars),
                       avg(fb.stars)::FLOAT8
                FROM tickets t LEFT JOIN first f ON f.id = t.id
                LEFT JOIN ticket_feedback fb ON fb.ticket_id = t.id
                WHERE t.guild_id = $1 AND t.status <> 'opening'
                GROUP BY t.type_id ORDER BY t.type_id"
                ),
                params![guild],
                |row| {
                    Ok(TypeStats {
                        type_id: row.get(0)?,
                        opened: row.get::<i64>(1)? as u64,
                        closed: row.get::<i64>(2)? as u64,
                        cancelled: row.get::<i64>(3)? as u64,
                        open: row.get::<i64>(4)? as u64,
                        median_first_response_min: minutes(row.get(5)?),
                        median_resolution_min: minutes(row.get(6)?),
                        ratings: row.get::<i64>(7)? as u64,
                        average_rating: rating(row.get(8)?),
                    })
                },
            )?;
            let staff_first_response = d.median(&d.seconds_between("f.opened_at", "f.at"));
            let names = d.arg_max("author_name", "sent_at");
            let staff = db.query_map(
                &format!(
                    "{first_answers},
                people AS (
                    SELECT id FROM (
                        SELECT closed_by AS id FROM tickets WHERE guild_id = $1 AND closed_by IS NOT NULL
                        UNION SELECT claimed_by FROM tickets WHERE guild_id = $1 AND claimed_by IS NOT NULL
                        UNION SELECT responder FROM first
                    ) AS candidates WHERE id IN (SELECT user_id FROM staff)
                ),
                names AS (
                    SELECT author_id, {names} AS name FROM ticket_messages GROUP BY author_id
                )
                SELECT p.id, n.name,
                       (SELECT count(*) FROM tickets t WHERE t.guild_id = $1 AND t.closed_by = p.id AND t.status = 'closed'),
                       (SELECT count(*) FROM tickets t WHERE t.guild_id = $1 AND t.claimed_by = p.id),
                       (SELECT count(*) FROM first f WHERE f.responder = p.id),
                       (SELECT {staff_first_response} FROM first f WHERE f.responder = p.id),
                       (SELECT {resolution} FROM tickets t
                        WHERE t.guild_id = $1 AND t.closed_by = p.id AND t.status = 'closed'),
                       (SELECT count(*) FROM ticket_feedback fb WHERE fb.guild_id = $1 AND fb.staff_id = p.id),
                       (SELECT avg(stars)::FLOAT8 FROM ticket_feedback fb WHERE fb.guild_id = $1 AND fb.staff_id = p.id)
                FROM people p LEFT JOIN names n ON n.author_id = p.id
                ORDER BY 3 DESC, 5 DESC, p.id"
                ),
                params![guild],
                |row| {
                    Ok(StaffStats {
                        user_id: row.get(0)?,
                        name: row.get(1)?,
                        closed: row.get::<i64>(2)? as u64,
                        claimed: row.get::<i64>(3)? as u64,
                        first_responses: row.get::<i64>(4)? as u64,
                        median_first_response_min: minutes(row.get(5)?),
                        median_resolution_min: minutes(row.get(6)?),
                        ratings: row.get::<i64>(7)? as u64,
                        average_rating: rating(row.get(8)?),
                    })
                },
            )?;
            Ok(GuildStats { types, staff })
        })
        .await
    }

    /// Remembers that `user` acted as staff in `guild` (held a staff role when they did).
    pub async fn saw_staff(&self, guild: u64, user: u64) -> Result<(), StoreError> {
        self.call(move |db| {
            db.execute(
                &upsert(
                    "staff_seen",
                    &["guild_id", "user_id", "last_seen"],
                    &["guild_id", "user_id"],
                ),
                params![guild, user, chrono::Utc::now()],
            )?;
            Ok(())
        })
        .await
    }

    /// Every stored value of a plugin's storage in `guild` whose key starts with `prefix`.
    pub async fn plugin_values(
        &self,
        guild: u64,
        plugin: &str,
        prefix: &str,
    ) -> Result<Vec<String>, StoreError> {
        let (plugin, pattern) = (plugin.to_owned(), format!("{prefix}%"));
        self.call(move |db| {
            let rows = db.query_map(
                "SELECT value FROM plugin_kv WHERE guild_id = ? AND plugin = ? AND key LIKE ?",
                params![guild, plugin, pattern],
                |row| row.get::<Vec<u8>>(0),
            )?;
            Ok(rows
                .iter()
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .collect())
        })
        .await
    }
}
