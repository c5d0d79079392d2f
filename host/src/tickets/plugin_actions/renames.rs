//! Channel renames: Discord allows two per channel per ten minutes, so the host counts them and
//! answers "wait N minutes" before asking Discord, rather than let a rename hang or fail.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::plugins::contract as c;
use crate::store::{TicketRecord, TicketStatus};
use crate::tickets::Tickets;
use crate::ui::Reply;

impl Tickets {
    /// Renames and moves need a live ticket, and Discord allows two renames per channel per
    /// ten minutes: say so now rather than let the rename hang or fail later.
    pub(super) fn channel_change_refusal(
        &self,
        guild: u64,
        ticket: Option<&TicketRecord>,
        effects: &[c::Effect],
    ) -> Option<Reply> {
        let texts = self.texts(Some(guild));
        let changes = effects
            .iter()
            .any(|e| matches!(e, c::Effect::Rename(_) | c::Effect::MoveTo(_)));
        if !changes {
            return None;
        }
        let Some(ticket) = ticket.filter(|t| t.status == TicketStatus::Open) else {
            return Some(Reply::private(texts.get("ticket-closed", &[])));
        };
        let renames = effects.iter().any(|e| matches!(e, c::Effect::Rename(_)));
        let channel = ticket.channel_id?;
        if renames {
            if let Some(wait) = self.renames.wait(channel) {
                let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
                return Some(Reply::private(
                    texts.get("rename-limited", &[("minutes", &minutes)]),
                ));
            }
        }
        None
    }
}

/// Renames per channel in the last ten minutes.
#[derive(Default)]
pub struct RenameLog(Mutex<HashMap<u64, Vec<Instant>>>);

impl RenameLog {
    const WINDOW: Duration = Duration::from_secs(600);
    const PER_WINDOW: usize = 2;

    /// How long until `channel` may be renamed again, if it may not now.
    pub fn wait(&self, channel: u64) -> Option<Duration> {
        let mut log = self.0.lock().expect("rename lock");
        let times = log.entry(channel).or_default();
        times.retain(|t| t.elapsed() < Self::WINDOW);
        (times.len() >= Self::PER_WINDOW).then(|| Self::WINDOW.saturating_sub(times[0].elapsed()))
    }

    /// A rename happened now.
    pub fn record(&self, channel: u64) {
        self.0
            .lock()
            .expect("rename lock")
            .entry(channel)
            .or_default()
            .push(Instant::now());
    }

    /// Discord said no: count the window as used from now.
    pub fn exhaust(&self, channel: u64) {
        let now = Instant::now();
        self.0
            .lock()
            .expect("rename lock")
            .insert(channel, vec![now; Self::PER_WINDOW]);
    }
}

/// A Discord channel name from what a user typed: lowercase, spaces to dashes, at most 100.
pub fn channel_name(typed: &str) -> Option<String> {
    let name: String = typed
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .take(100)
        .collect();
    name.chars().any(char::is_alphanumeric).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_windows() {
        assert_eq!(
            channel_name("  Devolução Pendente "),
            Some("devolução-pendente".into())
        );
        assert_eq!(channel_name("!!!"), None);
        let log = RenameLog::default();
        assert_eq!(log.wait(1), None);
        log.record(1);
        log.record(1);
        assert!(log.wait(1).is_some_and(|w| w > Duration::from_secs(590)));
        assert_eq!(log.wait(2), None);
        log.exhaust(2);
        assert!(log.wait(2).is_some());
    }
}
