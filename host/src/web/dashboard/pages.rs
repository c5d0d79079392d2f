//! The dashboard's pages as typed templates (`maud`): every piece of user data is escaped by
//! construction; no script, one stylesheet from this server, images from this server.

use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

use crate::stats::Report;
use crate::store::{TicketFilter, TicketPage, TicketState};

/// Who is signed in, for the header (name, CSRF token of the sign-out form).
pub struct Viewer<'a> {
    /// Their name.
    pub name: &'a str,
    /// The token the sign-out form carries.
    pub csrf: &'a str,
}

/// A page with the header and `body`.
pub fn layout(title: &str, viewer: Option<&Viewer<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · ticketbot" }
                link rel="stylesheet" href="/dashboard/style.css";
                link rel="icon" href="/dashboard/icon.svg" type="image/svg+xml";
            }
            body {
                header {
                    a.home href="/dashboard" { "ticketbot" }
                    @if let Some(viewer) = viewer {
                        form method="post" action="/dashboard/logout" {
                            span.muted { (viewer.name) }
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            button type="submit" id="sign-out" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// Signed out: the way in.
pub fn sign_in() -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            h1 { "Dashboard" }
            p { "Staff see their guild's tickets, transcripts and statistics; players see their own tickets." }
            p { a.button.primary id="sign-in" href="/dashboard/login" { "Sign in with Discord" } }
        },
    )
}

/// A page someone may not see, or that does not exist (one answer for both).
pub fn not_found(viewer: Option<&Viewer<'_>>) -> Markup {
    layout(
        "Not found",
        viewer,
        html! {
            h1 { "Not found" }
            p { "There is nothing here for you." }
        },
    )
}

/// A page that needs signing in.
pub fn needs_sign_in() -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            h1 { "Sign in first" }
            p { a.button.primary href="/dashboard/login" { "Sign in with Discord" } }
        },
    )
}

/// A guild the viewer may open, with what they see there.
pub struct GuildLink {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Whether they are staff there.
    pub staff: bool,
    /// Whether they manage the guild (its plugins' settings).
    pub manages: bool,
}

/// The guilds the viewer may open.
pub fn guilds(viewer: &Viewer<'_>, guilds: &[GuildLink]) -> Markup {
    layout(
        "Guilds",
        Some(viewer),
        html! {
            h1 { "Your guilds" }
            @if guilds.is_empty() {
                p { "None of the guilds this bot serves has you as a member." }
            }
            ul {
                @for g in guilds {
                    li {
                        a href=(format!("/dashboard/g/{}", g.id)) { (g.name) }
                        " "
                        span.muted { @if g.staff { "staff" } @else { "your tickets" } }
                        @if g.manages {
                            " · " a href=(format!("/dashboard/g/{}/server", g.id)) { "settings" }
                            " · " a href=(format!("/dashboard/g/{}/plugins", g.id)) { "plugins" }
                        }
                    }
                }
            }
        },
    )
}

fn tabs(guild: u64, staff: bool) -> Markup {
    html! {
        nav.tabs {
            a href=(format!("/dashboard/g/{guild}")) { "Tickets" }
            @if staff { a href=(format!("/dashboard/g/{guild}/stats")) { "Statistics" } }
        }
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn duration(from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> String {
    let Some(to) = to else {
        return "—".into();
    };
    let minutes = (to - from).num_minutes().max(0);
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 60 * 48 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} d", m / (60 * 24)),
    }
}

/// What the ticket list shows besides its rows.
pub struct TicketList<'a> {
    /// The guild.
    pub guild: u64,
    /// Its name.
    pub guild_name: &'a str,
    /// Whether the viewer is staff (sees everyone's tickets and the filters on people).
    pub staff: bool,
    /// The guild's ticket types (id, label).
    pub types: Vec<(String, String)>,
    /// The filters as given (text fields kept as typed).
    pub query: &'a ListQuery,
    /// The page.
    pub page: TicketPage,
    /// Names of the people in the rows.
    pub names: &'a std::collections::HashMap<u64, String>,
    /// The page number (from 1) and the number of pages.
    pub page_number: u64,
    /// Pages in all.
    pub pages: u64,
    /// Whether ratings exist (the feedback plugin).
    pub ratings: bool,
}

/// The list's query string, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    /// Ticket type.
    #[serde(rename = "type", default)]
    pub type_id: String,
    /// open, closed, cancelled.
    #[serde(default)]
    pub state: String,
    /// Opener: an id or a name.
    #[serde(default)]
    pub opener: String,
    /// Claimer: an id or a name.
    #[serde(default)]
    pub claimer: String,
    /// First day (YYYY-MM-DD).
    #[serde(default)]
    pub from: String,
    /// Last day (YYYY-MM-DD).
    #[serde(default)]
    pub to: String,
    /// Text in the messages.
    #[serde(default)]
    pub q: String,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<u64>,
}

impl ListQuery {
    /// The query string for page `page` with the same filters.
    pub fn with_page(&self, page: u64) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("type", self.type_id.clone()),
            ("state", self.state.clone()),
            ("opener", self.opener.clone()),
            ("claimer", self.claimer.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("q", self.q.clone()),
        ];
        pairs.retain(|(_, v)| !v.is_empty());
        pairs.push(("page", page.to_string()));
        pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The filter the query asks for, before people's names are looked up.
    pub fn filter(&self) -> TicketFilter {
        let day = |text: &str| chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        TicketFilter {
            type_id: Some(self.type_id.clone()).filter(|t| !t.is_empty()),
            state: match self.state.as_str() {
                "open" => Some(TicketState::Open),
                "closed" => Some(TicketState::Closed),
                "cancelled" => Some(TicketState::Cancelled),
                _ => None,
            },
            opener: None,
            claimer: None,
            from: day(&self.from),
            to: day(&self.to),
            text: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
        }
    }
}

fn state_name(state: TicketState) -> &'static str {
    match state {
        TicketState::Open => "open",
        TicketState::Closed => "closed",
        TicketState::Cancelled => "cancelled",
    }
}

/// A guild's tickets, filtered and paged.
pub fn tickets(viewer: &Viewer<'_>, list: &TicketList<'_>) -> Markup {
    let name = |id: u64| {
        list.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let q = list.query;
    layout(
        &format!("Tickets · {}", list.guild_name),
        Some(viewer),
        html! {
            h1 { (list.guild_name) }
            (tabs(list.guild, list.staff))
            form.filters method="get" action=(format!("/dashboard/g/{}", list.guild)) {
                label { "Type" select name="type" {
                    option value="" { "any" }
                    @for (id, label) in &list.types {
                        option value=(id) selected[q.type_id == *id] { (label) }
                    }
                } }
                label { "Status" select name="state" {
                    option value="" { "any" }
                    @for s in ["open", "closed", "cancelled"] {
                        option value=(s) selected[q.state == s] { (s) }
                    }
                } }
                @if list.staff {
                    label { "Opener" input name="opener" value=(q.opener) placeholder="name or id"; }
                    label { "Claimer" input name="claimer" value=(q.claimer) placeholder="name or id"; }
                }
                label { "From" input type="date" name="from" value=(q.from); }
                label { "To" input type="date" name="to" value=(q.to); }
                label { "Text in messages" input type="search" name="q" id="search" value=(q.q); }
                button type="submit" id="filter" { "Show" }
            }
            p.muted id="count" { (list.page.total) " ticket(s)" }
            table id="tickets" {
                thead { tr {
                    th { "#" } th { "Type" } th { "Opener" } th { "Claimer" } th { "Status" }
                    th { "Opened" } th { "Closed" } th { "Duration" }
                    @if list.ratings { th { "Rating" } }
                    th { "Transcript" }
                } }
                tbody {
                    @for row in &list.page.rows {
                        tr {
                            td data-label="#" { (row.number) }
                            td data-label="Type" { (row.type_id) }
                            td data-label="Opener" { (name(row.opener)) }
                            td data-label="Claimer" { @if let Some(c) = row.claimer { (name(c)) } @else { "—" } }
                            td data-label="Status" { (state_name(row.state)) }
                            td data-label="Opened" { (time(row.opened_at)) }
                            td data-label="Closed" { @if let Some(at) = row.closed_at { (time(at)) } @else { "—" } }
                            td data-label="Duration" { (duration(row.opened_at, row.closed_at)) }
                            @if list.ratings {
                                td data-label="Rating" { @if let Some(s) = row.stars { (s) "★" } @else { "—" } }
                            }
                            td data-label="Transcript" {
                                @if let Some(token) = &row.transcript {
                                    a.transcript href=(format!("/api/ticket/{token}")) { "Open" }
                                } @else { span.muted { "not yet" } }
                            }
                        }
                    }
                }
            }
            div.pages {
                @if list.page_number > 1 {
                    a href=(format!("?{}", q.with_page(list.page_number - 1))) { "← Newer" }
                }
                span.muted { "Page " (list.page_number) " of " (list.pages.max(1)) }
                @if list.page_number < list.pages {
                    a href=(format!("?{}", q.with_page(list.page_number + 1))) { "Older →" }
                }
            }
        },
    )
}

fn minutes(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |m| format!("{m:.1} min"))
}

/// A guild's statistics: charts, the same numbers as tables, and the CSV.
pub fn stats(
    viewer: &Viewer<'_>,
    guild: u64,
    guild_name: &str,
    report: &Report,
    days: &[crate::store::DayCount],
) -> Markup {
    let chart = |name: &str, caption: &str| {
        html! {
            figure {
                figcaption { (caption) }
                img src=(format!("/dashboard/g/{guild}/charts/{name}.svg")) alt=(caption);
            }
        }
    };
    let r = report.item_returns;
    layout(
        &format!("Statistics · {guild_name}"),
        Some(viewer),
        html! {
            h1 { (guild_name) }
            (tabs(guild, true))
            p { a.button href=(format!("/dashboard/g/{guild}/stats.csv")) id="csv" { "Download CSV" } }
            (chart("daily", "Tickets opened and closed per day (last 30 days)"))
            table id="daily" {
                thead { tr { th { "Day" } th { "Opened" } th { "Closed" } } }
                tbody { @for d in days.iter().rev().filter(|d| d.opened + d.closed > 0) {
                    tr { td data-label="Day" { (d.day) } td data-label="Opened" { (d.opened) } td data-label="Closed" { (d.closed) } }
                } }
            }
            (chart("first-response-staff", "Median first response per staff member"))
            (chart("resolution-type", "Median resolution per ticket type"))
            h2 { "By ticket type" }
            table id="types" {
                thead { tr { th { "Type" } th { "Opened" } th { "Closed" } th { "Cancelled" } th { "Open" } th { "First response" } th { "Resolution" } th { "Rating" } } }
                tbody { @for t in &report.tickets.types {
                    tr {
                        td data-label="Type" { (t.type_id) } td data-label="Opened" { (t.opened) } td data-label="Closed" { (t.closed) }
                        td data-label="Cancelled" { (t.cancelled) } td data-label="Open" { (t.open) }
                        td data-label="First response" { (minutes(t.median_first_response_min)) }
                        td data-label="Resolution" { (minutes(t.median_resolution_min)) }
                        td data-label="Rating" { @if let Some(a) = t.average_rating { (format!("{a:.1}★ ({})", t.ratings)) } @else { "—" } }
                    }
                } }
            }
            h2 { "By staff member" }
            table id="staff" {
                thead { tr { th { "Staff" } th { "Closed" } th { "Claimed" } th { "First responses" } th { "First response" } th { "Resolution" } th { "Rating" } } }
                tbody { @for s in &report.tickets.staff {
                    tr {
                        td data-label="Staff" { (s.name.clone().unwrap_or_else(|| s.user_id.to_string())) }
                        td data-label="Closed" { (s.closed) } td data-label="Claimed" { (s.claimed) }
                        td data-label="First responses" { (s.first_responses) }
                        td data-label="First response" { (minutes(s.median_first_response_min)) }
                        td data-label="Resolution" { (minutes(s.median_resolution_min)) }
                        td data-label="Rating" { @if let Some(a) = s.average_rating { (format!("{a:.1}★ ({})", s.ratings)) } @else { "—" } }
                    }
                } }
            }
            (chart("item-returns", "Item returns by outcome"))
            table id="item-returns" {
                thead { tr { th { "Approved" } th { "Denied" } th { "Pending" } } }
                tbody { tr { td data-label="Approved" { (r.approved) } td data-label="Denied" { (r.denied) } td data-label="Pending" { (r.pending) } } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_link_keeps_the_filters_encoded() {
        let query = ListQuery {
            q: "itens & ouro".into(),
            state: "closed".into(),
            ..Default::default()
        };
        assert_eq!(query.with_page(2), "state=closed&q=itens+%26+ouro&page=2");
        let filter = query.filter();
        assert_eq!(filter.state, Some(TicketState::Closed));
        assert_eq!(filter.text.as_deref(), Some("itens & ouro"));
    }

    #[test]
    fn user_text_is_escaped() {
        let viewer = Viewer {
            name: "<script>x</script>",
            csrf: "t",
        };
        let page = not_found(Some(&viewer)).into_string();
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
    }
}
