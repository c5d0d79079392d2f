//! What a plugin may ask for, decided before anything is done: the capability each effect
//! needs, the bounds on effects, and who may use a plugin's buttons and forms. All or nothing:
//! one effect the guild did not grant, or beyond a bound, refuses the whole outcome.

use crate::capability::Capability;
use crate::plugins::contract as c;
use crate::store::TicketStatus;

/// The most effects one outcome may ask for.
pub const MAX_EFFECTS: usize = 25;
/// Longest timer key and storage key, in bytes.
pub const MAX_KEY_BYTES: usize = 128;
/// Largest timer payload, in bytes.
pub const MAX_TIMER_PAYLOAD_BYTES: usize = 4096;
/// Largest stored value, in bytes.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;
/// Longest note, in characters (a Discord message).
pub const MAX_NOTE_CHARS: usize = 2000;
/// Most storage keys of one plugin in one guild.
pub const MAX_STORAGE_KEYS: u64 = 10_000;
/// Most stored bytes (values) of one plugin in one guild.
pub const MAX_STORAGE_BYTES: u64 = 8 << 20;
/// Most timers one plugin may have pending for one ticket.
pub const MAX_TIMERS_PER_TICKET: u64 = 50;
/// Longest timer delay: thirty days.
pub const MAX_TIMER_DELAY_MS: u64 = 30 * 24 * 3600 * 1000;
/// Longest status label, in characters.
pub const MAX_STATUS_CHARS: usize = 32;
/// Longest close reason, in characters (the close form's limit).
pub const MAX_REASON_CHARS: usize = 500;
/// Most users one post may ping besides the ticket's own people.
pub const MAX_MENTIONS: usize = 10;
/// Longest feedback comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// Why an outcome was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An effect needs a capability the guild did not grant.
    NotGranted(Capability),
    /// An effect breaks a bound or a rule.
    Invalid(String),
}

/// The capability an effect needs (none for posting in the ticket's own channel without
/// extra mentions).
pub fn capability(effect: &c::Effect) -> Option<Capability> {
    Some(match effect {
        c::Effect::Post(post) => match (&post.channel, post.mention.is_empty()) {
            (c::Channel::Ticket, true) => return None,
            (c::Channel::Ticket, false) => Capability::MentionUsers,
            _ => Capability::PostMessages,
        },
        c::Effect::Edit(_) => Capability::PostMessages,
        c::Effect::SendDm(_) => Capability::Dm,
        c::Effect::Rename(_) => Capability::RenameChannel,
        c::Effect::MoveTo(_) => Capability::MoveChannel,
        c::Effect::CreateVoice(_) | c::Effect::DeleteVoice(_) => Capability::VoiceChannels,
        c::Effect::AddNote(_) => Capability::Notes,
        c::Effect::Schedule(_) | c::Effect::CancelTimer(_) => Capability::Timers,
        c::Effect::Store(_) | c::Effect::Forget(_) => Capability::Storage,
        c::Effect::CloseTicket(_) | c::Effect::RequestClose => Capability::CloseTickets,
        c::Effect::AddMember(_) | c::Effect::RemoveMember(_) => Capability::ManageMembers,
        c::Effect::SetStatus(_) => Capability::TicketStatus,
        c::Effect::RecordFeedback(_) => Capability::Feedback,
    })
}

/// The second capability an effect needs, when it needs two (a post elsewhere that also pings).
fn extra_capability(effect: &c::Effect) -> Option<Capability> {
    match effect {
        c::Effect::Post(post)
            if !matches!(post.channel, c::Channel::Ticket) && !post.mention.is_empty() =>
        {
            Some(Capability::MentionUsers)
        }
        _ => None,
    }
}

/// The effect's name in logs.
pub fn effect_name(effect: &c::Effect) -> &'static str {
    match effect {
        c::Effect::Post(_) => "post",
        c::Effect::Edit(_) => "edit",
        c::Effect::SendDm(_) => "send-dm",
        c::Effect::Rename(_) => "rename",
        c::Effect::MoveTo(_) => "move-to",
        c::Effect::CreateVoice(_) => "create-voice",
        c::Effect::DeleteVoice(_) => "delete-voice",
        c::Effect::AddNote(_) => "add-note",
        c::Effect::Schedule(_) => "schedule",
        c::Effect::CancelTimer(_) => "cancel-timer",
        c::Effect::Store(_) => "store",
        c::Effect::Forget(_) => "forget",
        c::Effect::CloseTicket(_) => "close-ticket",
        c::Effect::RequestClose => "request-close",
        c::Effect::AddMember(_) => "add-member",
        c::Effect::RemoveMember(_) => "remove-member",
        c::Effect::SetStatus(_) => "set-status",
        c::Effect::RecordFeedback(_) => "record-feedback",
    }
}

/// Checks every effect of `outcome` against what was `granted` and the bounds; `ticket` is
/// the status of the ticket the event concerns, if any.
pub fn check_effects(
    granted: &[Capability],
    ticket: Option<TicketStatus>,
    outcome: &c::Outcome,
) -> Result<(), Refusal> {
    let invalid = |message: String| Err(Refusal::Invalid(message));
    if outcome.effects.len() > MAX_EFFECTS {
        return invalid(format!(
            "{} effects in one outcome; at most {MAX_EFFECTS}",
            outcome.effects.len()
        ));
    }
    for effect in &outcome.effects {
        for needed in [capability(effect), extra_capability(effect)]
            .into_iter()
            .flatten()
        {
            if !granted.contains(&needed) {
                return Err(Refusal::NotGranted(needed));
            }
        }
        // (A cancelling ticket is ending: no new voice channel for it either.)
        let ended =
            ticket.is_some_and(|s| !matches!(s, TicketStatus::Open | TicketStatus::Closing));
        // A close asked for while one is in progress is no plugin's fault (a timer and a staff
        // member may meet): it is let through, and the close in progress simply stands.
        let closing = ticket.is_some_and(|s| matches!(s, TicketStatus::Closing));
        if matches!(effect, c::Effect::CloseTicket(_)) && closing {
            continue;
        }
        let needs_open = matches!(
            effect,
            c::Effect::CreateVoice(_)
                | c::Effect::CloseTicket(_)
                | c::Effect::RequestClose
                | c::Effect::AddMember(_)
                | c::Effect::RemoveMember(_)
                | c::Effect::SetStatus(_)
        );
        if needs_open && (ticket.is_none() || ended) {
            return invalid(format!(
                "{} needs a ticket that is still open",
                effect_name(effect)
            ));
        }
        let key_ok = |key: &str| !key.is_empty() && key.len() <= MAX_KEY_BYTES;
        match effect {
            c::Effect::Schedule(timer) => {
                if !key_ok(&timer.key) {
                    return invalid(format!("a timer key has 1 to {MAX_KEY_BYTES} bytes"));
                }
                if timer.payload.len() > MAX_TIMER_PAYLOAD_BYTES {
                    return invalid(format!(
                        "a timer payload of {} bytes; at most {MAX_TIMER_PAYLOAD_BYTES}",
                        timer.payload.len()
                    ));
                }
                if timer.delay_ms > MAX_TIMER_DELAY_MS {
                    return invalid("a timer more than thirty days away".into());
                }
            }
            c::Effect::CancelTimer(key) | c::Effect::Forget(key) if !key_ok(key) => {
                return invalid(format!("a key has 1 to {MAX_KEY_BYTES} bytes"));
            }
            c::Effect::Store((key, value)) => {
                if !key_ok(key) {
                    return invalid(format!("a storage key has 1 to {MAX_KEY_BYTES} bytes"));
                }
                if value.len() > MAX_VALUE_BYTES {
                    return invalid(format!(
                        "a stored value of {} bytes; at most {MAX_VALUE_BYTES}",
                        value.len()
                    ));
                }
            }
            c::Effect::CreateVoice((_, key)) if !key_ok(key) => {
                return invalid(format!("a storage key has 1 to {MAX_KEY_BYTES} bytes"));
            }
            c::Effect::AddNote(note) if note.chars().count() > MAX_NOTE_CHARS => {
                return invalid(format!("a note has at most {MAX_NOTE_CHARS} characters"));
            }
            c::Effect::SetStatus(label) if label.chars().count() > MAX_STATUS_CHARS => {
                return invalid(format!(
                    "a status label has at most {MAX_STATUS_CHARS} characters"
                ));
            }
            c::Effect::CloseTicket(reason) if reason.chars().count() > MAX_REASON_CHARS => {
                return invalid(format!(
                    "a close reason has at most {MAX_REASON_CHARS} characters"
                ));
            }
            c::Effect::RecordFeedback(f) => {
                if ticket.is_none() {
                    return invalid("feedback needs a ticket".into());
                }
                if !(1..=5).contains(&f.stars) {
                    return invalid("feedback has 1 to 5 stars".into());
                }
                if f.comment
                    .as_ref()
                    .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
                {
                    return invalid(format!(
                        "a feedback comment has at most {MAX_COMMENT_CHARS} characters"
                    ));
                }
            }
            c::Effect::Post(post) if post.mention.len() > MAX_MENTIONS => {
                return invalid(format!(
                    "a post pings at most {MAX_MENTIONS} users besides the ticket's own"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Who may use a plugin's forms and the components it shows in a ticket: whoever may press
/// its ticket buttons (the widest audience among them; staff if it has none).
pub fn component_audience(manifest: &c::Manifest) -> c::Audience {
    let rank = |a: &c::Audience| match a {
        c::Audience::Staff => 0,
        c::Audience::Opener => 1,
        c::Audience::Participants => 2,
        c::Audience::Anyone => 3,
    };
    manifest
        .buttons
        .iter()
        .map(|b| b.audience)
        .max_by_key(rank)
        .unwrap_or(c::Audience::Staff)
}

/// Who acts, as far as a ticket's audiences are concerned.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    /// Staff for the ticket's type.
    pub staff: bool,
    /// The ticket's opener.
    pub opener: bool,
    /// An added member.
    pub member: bool,
}

/// Whether someone of `standing` may act for `audience`, and the refusal's text key if not.
pub fn audience_allows(audience: c::Audience, standing: Standing) -> Result<(), &'static str> {
    let allowed = match audience {
        c::Audience::Anyone => true,
        c::Audience::Staff => standing.staff,
        c::Audience::Opener => standing.opener,
        c::Audience::Participants => standing.staff || standing.opener || standing.member,
    };
    if allowed {
        return Ok(());
    }
    Err(match audience {
        c::Audience::Staff => "not-staff",
        c::Audience::Opener => "only-opener",
        _ => "not-participant",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(effects: Vec<c::Effect>) -> c::Outcome {
        c::Outcome {
            reply: None,
            effects,
        }
    }

    fn post(channel: c::Channel, mention: Vec<u64>) -> c::Effect {
        c::Effect::Post(c::Post {
            channel,
            message: c::Message {
                content: Some("hi".into()),
                embeds: Vec::new(),
                rows: Vec::new(),
            },
            mention,
        })
    }

    const OPEN: Option<TicketStatus> = Some(TicketStatus::Open);

    #[test]
    fn a_post_in_the_ticket_needs_nothing_unless_it_pings_others() {
        assert_eq!(
            check_effects(&[], OPEN, &outcome(vec![post(c::Channel::Ticket, vec![])])),
            Ok(())
        );
        assert_eq!(
            check_effects(&[], OPEN, &outcome(vec![post(c::Channel::Ticket, vec![5])])),
            Err(Refusal::NotGranted(Capability::MentionUsers))
        );
        assert_eq!(
            check_effects(
                &[Capability::PostMessages],
                OPEN,
                &outcome(vec![post(c::Channel::Log, vec![5])])
            ),
            Err(Refusal::NotGranted(Capability::MentionUsers)),
            "elsewhere and pinging needs both"
        );
        assert_eq!(
            check_effects(
                &[Capability::PostMessages, Capability::MentionUsers],
                OPEN,
                &outcome(vec![post(c::Channel::Setting("channel".into()), vec![5])])
            ),
            Ok(())
        );
    }

    #[test]
    fn one_ungranted_effect_refuses_the_whole_outcome() {
        let effects = vec![
            c::Effect::Store(("k".into(), "v".into())),
            c::Effect::CloseTicket("done".into()),
        ];
        assert_eq!(
            check_effects(&[Capability::Storage], OPEN, &outcome(effects)),
            Err(Refusal::NotGranted(Capability::CloseTickets))
        );
    }

    #[test]
    fn ticket_changes_need_an_open_ticket() {
        let granted = Capability::ALL;
        for effect in [
            c::Effect::CloseTicket(String::new()),
            c::Effect::RequestClose,
            c::Effect::AddMember(1),
            c::Effect::RemoveMember(1),
            c::Effect::SetStatus("x".into()),
        ] {
            for status in [
                None,
                Some(TicketStatus::Closed),
                Some(TicketStatus::Cancelling),
            ] {
                assert!(
                    matches!(
                        check_effects(&granted, status, &outcome(vec![effect.clone()])),
                        Err(Refusal::Invalid(_))
                    ),
                    "{effect:?} on {status:?}"
                );
            }
            assert_eq!(
                check_effects(&granted, OPEN, &outcome(vec![effect])),
                Ok(())
            );
        }
    }

    #[test]
    fn a_close_asked_for_during_a_close_is_no_fault() {
        let granted = [Capability::CloseTickets];
        let close = outcome(vec![c::Effect::CloseTicket("timer".into())]);
        assert_eq!(
            check_effects(&granted, Some(TicketStatus::Closing), &close),
            Ok(())
        );
        assert!(matches!(
            check_effects(&granted, Some(TicketStatus::Closed), &close),
            Err(Refusal::Invalid(_))
        ));
        // Feedback comes after the end.
        let rated = outcome(vec![c::Effect::RecordFeedback(c::Feedback {
            stars: 5,
            comment: None,
        })]);
        assert_eq!(
            check_effects(&[Capability::Feedback], Some(TicketStatus::Closed), &rated),
            Ok(())
        );
        assert_eq!(
            check_effects(&[], Some(TicketStatus::Closed), &rated),
            Err(Refusal::NotGranted(Capability::Feedback))
        );
    }

    #[test]
    fn bounds() {
        let granted = Capability::ALL;
        let too_many: Vec<c::Effect> = (0..=MAX_EFFECTS)
            .map(|i| c::Effect::Forget(format!("k{i}")))
            .collect();
        let long = |n: usize| "é".repeat(n);
        for effects in [
            too_many,
            vec![c::Effect::Store((String::new(), "v".into()))],
            vec![c::Effect::Store((
                "k".into(),
                "v".repeat(MAX_VALUE_BYTES + 1),
            ))],
            vec![c::Effect::Forget("k".repeat(MAX_KEY_BYTES + 1))],
            vec![c::Effect::AddNote(long(MAX_NOTE_CHARS + 1))],
            vec![c::Effect::SetStatus(long(MAX_STATUS_CHARS + 1))],
            vec![c::Effect::CloseTicket(long(MAX_REASON_CHARS + 1))],
            vec![c::Effect::RecordFeedback(c::Feedback {
                stars: 0,
                comment: None,
            })],
            vec![c::Effect::RecordFeedback(c::Feedback {
                stars: 6,
                comment: None,
            })],
            vec![c::Effect::RecordFeedback(c::Feedback {
                stars: 5,
                comment: Some(long(MAX_COMMENT_CHARS + 1)),
            })],
            vec![post(
                c::Channel::Ticket,
                (0..=MAX_MENTIONS as u64).collect(),
            )],
            vec![c::Effect::Schedule(c::Timer {
                key: "t".into(),
                delay_ms: MAX_TIMER_DELAY_MS + 1,
                payload: String::new(),
            })],
            vec![c::Effect::Schedule(c::Timer {
                key: "t".into(),
                delay_ms: 1,
                payload: "p".repeat(MAX_TIMER_PAYLOAD_BYTES + 1),
            })],
        ] {
            assert!(matches!(
                check_effects(&granted, OPEN, &outcome(effects)),
                Err(Refusal::Invalid(_))
            ));
        }
        // At the bounds, in characters not bytes.
        assert_eq!(
            check_effects(
                &granted,
                OPEN,
                &outcome(vec![
                    c::Effect::SetStatus(long(MAX_STATUS_CHARS)),
                    c::Effect::AddNote(long(MAX_NOTE_CHARS)),
                ])
            ),
            Ok(())
        );
    }

    #[test]
    fn audiences() {
        let who = |staff, opener, member| Standing {
            staff,
            opener,
            member,
        };
        assert_eq!(
            audience_allows(c::Audience::Staff, who(false, true, false)),
            Err("not-staff")
        );
        assert_eq!(
            audience_allows(c::Audience::Opener, who(true, false, false)),
            Err("only-opener")
        );
        assert_eq!(
            audience_allows(c::Audience::Participants, who(false, false, false)),
            Err("not-participant")
        );
        assert_eq!(
            audience_allows(c::Audience::Participants, who(false, false, true)),
            Ok(())
        );
        assert_eq!(
            audience_allows(c::Audience::Anyone, who(false, false, false)),
            Ok(())
        );
    }
}
