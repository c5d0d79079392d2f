//! custom_ids: stable, prefixed, parseable, so buttons keep working across restarts.
//!
//! Every component the core posts carries a [`CustomId`]; the router parses what comes back and
//! explains, rather than ignores, what it does not know. Ticket buttons carry the ticket's
//! database id, so a button of a closed ticket is recognised as such. Plugins own `pl:`.

use std::fmt;

/// The core's prefix.
const CORE: &str = "tb";

/// A button on a ticket's welcome message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketAction {
    /// The opener cancels the ticket.
    Cancel,
    /// A staff member takes the ticket.
    Claim,
    /// The claim is released.
    Unclaim,
    /// The claim is handed to another staff member (mentioned next).
    Handover,
    /// Users mentioned next are added.
    AddMember,
    /// Users mentioned next are removed.
    RemoveMember,
    /// A staff note (a form opens).
    AddNote,
    /// Staff close the ticket (a reason form opens).
    Close,
    /// Staff ask the opener whether the ticket may be closed.
    RequestClose,
    /// The opener agrees to a close request.
    ConfirmClose,
    /// The opener keeps the ticket open.
    KeepOpen,
}

const ACTIONS: &[(TicketAction, &str)] = &[
    (TicketAction::Cancel, "cancel"),
    (TicketAction::Claim, "claim"),
    (TicketAction::Unclaim, "unclaim"),
    (TicketAction::Handover, "handover"),
    (TicketAction::AddMember, "add"),
    (TicketAction::RemoveMember, "remove"),
    (TicketAction::AddNote, "note"),
    (TicketAction::Close, "close"),
    (TicketAction::RequestClose, "closereq"),
    (TicketAction::ConfirmClose, "closeyes"),
    (TicketAction::KeepOpen, "closeno"),
];

impl TicketAction {
    fn word(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(a, _)| *a == self)
            .map(|(_, w)| *w)
            .unwrap_or("?")
    }
}

/// A component action the core handles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomId {
    /// The panel's *Open ticket* button.
    OpenPanel,
    /// The select of ticket types shown after *Open ticket*.
    ChooseType,
    /// A button of ticket `ticket`.
    Ticket {
        /// What it does.
        action: TicketAction,
        /// The ticket's database id.
        ticket: i64,
    },
    /// The close form (reason) of ticket `ticket`.
    CloseForm {
        /// The ticket's database id.
        ticket: i64,
    },
    /// The staff note form of ticket `ticket`.
    NoteForm {
        /// The ticket's database id.
        ticket: i64,
    },
    /// The opening questions of a ticket type, answered before its channel is created.
    Questions {
        /// The ticket type's id.
        type_id: String,
    },
}

/// The text field of the close form.
pub const REASON_FIELD: &str = "reason";
/// The text field of the note form.
pub const NOTE_FIELD: &str = "note";

/// A custom_id the bot does not (or no longer) know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownId(pub String);

/// Where a component's custom_id leads: a core action or a plugin. Parsed once, here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// One of the core's buttons, menus or forms.
    Core(CustomId),
    /// A plugin's component (`pl:…`).
    Plugin(super::plugin_ids::PluginCustomId),
}

impl Route {
    /// The route of `text`, or why it has none.
    pub fn parse(text: &str) -> Result<Self, UnknownId> {
        if let Some(plugin) = super::plugin_ids::PluginCustomId::parse(text) {
            return Ok(Route::Plugin(plugin));
        }
        CustomId::parse(text).map(Route::Core)
    }
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomId::OpenPanel => write!(f, "{CORE}:open"),
            CustomId::ChooseType => write!(f, "{CORE}:type"),
            CustomId::Ticket { action, ticket } => write!(f, "{CORE}:{}:{ticket}", action.word()),
            CustomId::CloseForm { ticket } => write!(f, "{CORE}:closeform:{ticket}"),
            CustomId::NoteForm { ticket } => write!(f, "{CORE}:noteform:{ticket}"),
            CustomId::Questions { type_id } => write!(f, "{CORE}:ask:{type_id}"),
        }
    }
}

impl CustomId {
    /// A ticket button's id.
    pub fn ticket(action: TicketAction, ticket: i64) -> Self {
        CustomId::Ticket { action, ticket }
    }

    /// Parses a custom_id sent back by Discord.
    pub fn parse(text: &str) -> Result<Self, UnknownId> {
        let unknown = || UnknownId(text.to_owned());
        let parts: Vec<&str> = text.split(':').collect();
        let ticket_id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        match parts.as_slice() {
            [CORE, "open"] => Ok(CustomId::OpenPanel),
            [CORE, "type"] => Ok(CustomId::ChooseType),
            [CORE, "closeform", id] => ticket_id(id)
                .map(|ticket| CustomId::CloseForm { ticket })
                .ok_or_else(unknown),
            [CORE, "noteform", id] => ticket_id(id)
                .map(|ticket| CustomId::NoteForm { ticket })
                .ok_or_else(unknown),
            [CORE, "ask", type_id] if !type_id.is_empty() => Ok(CustomId::Questions {
                type_id: (*type_id).to_owned(),
            }),
            [CORE, word, id] => {
                let action = ACTIONS
                    .iter()
                    .find(|(_, w)| w == word)
                    .map(|(a, _)| *a)
                    .ok_or_else(unknown)?;
                ticket_id(id)
                    .map(|ticket| CustomId::Ticket { action, ticket })
                    .ok_or_else(unknown)
            }
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_strangers() {
        let mut ids = vec![
            CustomId::OpenPanel,
            CustomId::ChooseType,
            CustomId::CloseForm { ticket: 7 },
            CustomId::NoteForm { ticket: 8 },
            CustomId::Questions {
                type_id: "report".into(),
            },
        ];
        ids.extend(
            ACTIONS
                .iter()
                .map(|(action, _)| CustomId::ticket(*action, 42)),
        );
        for id in ids {
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
            "tb:claim",
            "tb:claim:x",
            "tb:claim:0",
            "tb:claim:-3",
            "tb:fly:3",
            "tb:closeform:",
            "tb:ask:",
        ] {
            assert_eq!(
                CustomId::parse(text),
                Err(UnknownId(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn one_parse_routes_core_and_plugin_ids() {
        assert_eq!(
            Route::parse("tb:claim:4"),
            Ok(Route::Core(CustomId::ticket(TicketAction::Claim, 4)))
        );
        match Route::parse("pl:poke:4:b:poke") {
            Ok(Route::Plugin(id)) => assert_eq!((id.plugin.as_str(), id.ticket), ("poke", 4)),
            other => panic!("{other:?}"),
        }
        for text in ["pl:poke:x", "pl:", "tb:fly:3", "pl:poke:4:z:x"] {
            assert_eq!(
                Route::parse(text),
                Err(UnknownId(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn fits_discords_limit() {
        let longest = CustomId::ticket(TicketAction::Handover, i64::MAX).to_string();
        assert!(longest.len() <= 100, "{longest}");
    }
}
