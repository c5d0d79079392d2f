//! custom_ids of plugin components: `pl:<plugin>:<ticket>:<kind>:<suffix>`.
//!
//! The plugin's id routes a click to the right plugin, the ticket id gives it its context (also
//! after a restart: nothing is held in memory), and the kind says what the suffix means.

use std::fmt;

/// The plugins' prefix.
pub const PREFIX: &str = "pl";
/// Discord's limit on a custom_id.
pub const MAX_LEN: usize = 100;

/// What a plugin custom_id belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluginIdKind {
    /// One of the plugin's ticket buttons on the welcome message; the suffix is its id.
    TicketButton,
    /// A component the plugin posted; the suffix is the plugin's.
    Component,
    /// A modal the plugin opened; the suffix is the plugin's.
    Modal,
}

/// A parsed plugin custom_id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginCustomId {
    /// The plugin's id.
    pub plugin: String,
    /// The ticket's database id (0 when none).
    pub ticket: i64,
    /// What it belongs to.
    pub kind: PluginIdKind,
    /// The plugin's own part.
    pub suffix: String,
}

impl PluginCustomId {
    /// Parses `text` if it is a plugin custom_id.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(5, ':');
        if parts.next()? != PREFIX {
            return None;
        }
        let plugin = parts.next().filter(|p| !p.is_empty())?.to_owned();
        let ticket = parts.next()?.parse::<i64>().ok().filter(|t| *t >= 0)?;
        let kind = match parts.next()? {
            "b" => PluginIdKind::TicketButton,
            "c" => PluginIdKind::Component,
            "m" => PluginIdKind::Modal,
            _ => return None,
        };
        let suffix = parts.next()?.to_owned();
        Some(Self {
            plugin,
            ticket,
            kind,
            suffix,
        })
    }

    /// The custom_id, or an error when it exceeds Discord's limit.
    pub fn render(&self) -> Result<String, String> {
        let text = self.to_string();
        if text.len() > MAX_LEN {
            return Err(format!(
                "the custom id {:?} is longer than {MAX_LEN} characters",
                self.suffix
            ));
        }
        Ok(text)
    }
}

impl fmt::Display for PluginCustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PluginIdKind::TicketButton => "b",
            PluginIdKind::Component => "c",
            PluginIdKind::Modal => "m",
        };
        write!(
            f,
            "{PREFIX}:{}:{}:{kind}:{}",
            self.plugin, self.ticket, self.suffix
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_colons_in_the_suffix() {
        let id = PluginCustomId {
            plugin: "item-return".into(),
            ticket: 42,
            kind: PluginIdKind::Component,
            suffix: "approve:7".into(),
        };
        assert_eq!(id.to_string(), "pl:item-return:42:c:approve:7");
        assert_eq!(PluginCustomId::parse(&id.to_string()), Some(id));
        for bad in [
            "pl",
            "pl:x",
            "pl::1:b:x",
            "pl:x:-1:b:y",
            "pl:x:1:z:y",
            "pl:x:one:b:y",
            "tb:open",
            "pl:x:1:b",
        ] {
            assert_eq!(PluginCustomId::parse(bad), None, "{bad}");
        }
        let long = PluginCustomId {
            suffix: "x".repeat(100),
            ..PluginCustomId::parse("pl:p:1:b:x").unwrap()
        };
        assert!(long.render().is_err());
    }
}
