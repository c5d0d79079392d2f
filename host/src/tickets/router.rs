//! custom_ids: stable, prefixed, parseable, so buttons keep working across restarts.
//!
//! Every component the core posts carries a [`CustomId`]; the router parses what comes back and
//! explains, rather than ignores, what it does not know. Plugins will own the `pl:` namespace.

use std::fmt;

/// The core's prefix.
const CORE: &str = "tb";

/// A component action the core handles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomId {
    /// The panel's *Open ticket* button.
    OpenPanel,
    /// The select of ticket types shown after *Open ticket*.
    ChooseType,
}

/// A custom_id the bot does not (or no longer) know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownId(pub String);

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomId::OpenPanel => write!(f, "{CORE}:open"),
            CustomId::ChooseType => write!(f, "{CORE}:type"),
        }
    }
}

impl CustomId {
    /// Parses a custom_id sent back by Discord.
    pub fn parse(text: &str) -> Result<Self, UnknownId> {
        let mut parts = text.split(':');
        let unknown = || UnknownId(text.to_owned());
        if parts.next() != Some(CORE) {
            return Err(unknown());
        }
        let parsed = match parts.next() {
            Some("open") => CustomId::OpenPanel,
            Some("type") => CustomId::ChooseType,
            _ => return Err(unknown()),
        };
        if parts.next().is_some() {
            return Err(unknown());
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_strangers() {
        for id in [CustomId::OpenPanel, CustomId::ChooseType] {
            assert_eq!(CustomId::parse(&id.to_string()), Ok(id));
        }
        for text in [
            "",
            "tb",
            "tb:",
            "tb:nope",
            "tb:open:extra",
            "open",
            "pl:poke:x",
            "abrir_ticket",
        ] {
            assert_eq!(
                CustomId::parse(text),
                Err(UnknownId(text.to_owned())),
                "{text}"
            );
        }
    }
}
