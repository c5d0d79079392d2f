//! Ticket statistics for operators: per guild, per ticket type and per staff member, plus the
//! item returns decided. Shown by `/stats` in Discord and by `ticketbot stats`, exported as CSV.

use crate::store::{GuildStats, Store, StoreError};

/// Item returns of a guild by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemReturns {
    /// Approved.
    pub approved: u64,
    /// Denied.
    pub denied: u64,
    /// Waiting for a decision.
    pub pending: u64,
}

/// One guild's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The guild.
    pub guild: u64,
    /// Its name, when known (Discord's, or the config's label).
    pub guild_name: Option<String>,
    /// Tickets by type and staff.
    pub tickets: GuildStats,
    /// Item returns.
    pub item_returns: ItemReturns,
}

/// Computes `guild`'s report. Staff are those seen acting with a staff role.
pub async fn report(
    store: &Store,
    guild: u64,
    guild_name: Option<String>,
) -> Result<Report, StoreError> {
    let tickets = store.guild_stats(guild).await?;
    let mut item_returns = ItemReturns::default();
    for value in store
        .plugin_values(guild, "item-return", "request:")
        .await?
    {
        let Ok(request) = serde_json::from_str::<serde_json::Value>(&value) else {
            continue;
        };
        match request["decision"]["approved"].as_bool() {
            Some(true) => item_returns.approved += 1,
            Some(false) => item_returns.denied += 1,
            None => item_returns.pending += 1,
        }
    }
    Ok(Report {
        guild,
        guild_name,
        tickets,
        item_returns,
    })
}

fn minutes(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |m| format!("{m} min"))
}

/// " · rated 4.5★ (3)" when there are ratings.
fn rating(count: u64, average: Option<f64>) -> String {
    match average {
        Some(average) if count > 0 => format!(" · rated {average}★ ({count})"),
        _ => String::new(),
    }
}

/// The report as text (Discord markdown works in a terminal too).
pub fn to_text(report: &Report) -> String {
    let guild = report
        .guild_name
        .clone()
        .unwrap_or_else(|| format!("guild {}", report.guild));
    let mut out = format!("**Tickets by type** — {guild}\n");
    if report.tickets.types.is_empty() {
        out.push_str("no tickets yet\n");
    }
    for t in &report.tickets.types {
        out.push_str(&format!(
            "• {}: {} opened, {} closed, {} cancelled, {} open · first response {} · resolution {}{}\n",
            t.type_id,
            t.opened,
            t.closed,
            t.cancelled,
            t.open,
            minutes(t.median_first_response_min),
            minutes(t.median_resolution_min),
            rating(t.ratings, t.average_rating)
        ));
    }
    out.push_str("**Staff**\n");
    if report.tickets.staff.is_empty() {
        out.push_str("nobody yet\n");
    }
    for s in &report.tickets.staff {
        let who = s.name.clone().unwrap_or_else(|| s.user_id.to_string());
        out.push_str(&format!(
            "• {who}: {} closed, {} claimed, {} first responses · first response {} · resolution {}{}\n",
            s.closed,
            s.claimed,
            s.first_responses,
            minutes(s.median_first_response_min),
            minutes(s.median_resolution_min),
            rating(s.ratings, s.average_rating)
        ));
    }
    let r = report.item_returns;
    out.push_str(&format!(
        "**Item returns**: {} approved, {} denied, {} pending",
        r.approved, r.denied, r.pending
    ));
    out
}

/// A text cell a spreadsheet will not run: one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (a formula, or the start of one) gets a leading `'`, shown as text.
fn text_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Writes reports as one CSV table: a row per guild and type, per guild and staff member, and
/// per guild for item returns.
pub fn write_csv(reports: &[Report], out: impl std::io::Write) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "guild",
        "kind",
        "key",
        "name",
        "opened",
        "closed",
        "cancelled",
        "open",
        "claimed",
        "first_responses",
        "median_first_response_min",
        "median_resolution_min",
        "approved",
        "denied",
        "pending",
        "ratings",
        "average_rating",
    ])?;
    let number = |v: Option<f64>| v.map(|m| m.to_string()).unwrap_or_default();
    for report in reports {
        let guild = report.guild.to_string();
        for t in &report.tickets.types {
            writer.write_record([
                guild.as_str(),
                "type",
                &text_cell(&t.type_id),
                "",
                &t.opened.to_string(),
                &t.closed.to_string(),
                &t.cancelled.to_string(),
                &t.open.to_string(),
                "",
                "",
                &number(t.median_first_response_min),
                &number(t.median_resolution_min),
                "",
                "",
                "",
                &t.ratings.to_string(),
                &number(t.average_rating),
            ])?;
        }
        for s in &report.tickets.staff {
            writer.write_record([
                guild.as_str(),
                "staff",
                &s.user_id.to_string(),
                &text_cell(s.name.as_deref().unwrap_or("")),
                "",
                &s.closed.to_string(),
                "",
                "",
                &s.claimed.to_string(),
                &s.first_responses.to_string(),
                &number(s.median_first_response_min),
                &number(s.median_resolution_min),
                "",
                "",
                "",
                &s.ratings.to_string(),
                &number(s.average_rating),
            ])?;
        }
        let r = report.item_returns;
        writer.write_record([
            guild.as_str(),
            "item-returns",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            &r.approved.to_string(),
            &r.denied.to_string(),
            &r.pending.to_string(),
            "",
            "",
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::text_cell;

    #[test]
    fn formulas_become_text() {
        for formula in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(text_cell(formula), format!("'{formula}"));
        }
        assert_eq!(text_cell("Officer"), "Officer");
        assert_eq!(text_cell(""), "");
    }
}
