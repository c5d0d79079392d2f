//! The small guild a trial runs in: a cast of users, one ticket, the plugin's storage and
//! timers, and a clock the script moves. It answers the plugin's reads as the bot would.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::plugins::contract as c;
use crate::plugins::HostServices;
use crate::store::TicketStatus;

use super::script::HttpAnswer;

/// The guild's id in a trial.
pub const GUILD: u64 = 900_000_000_000_000_001;
/// The ticket's channel.
pub const TICKET_CHANNEL: u64 = 900_000_000_000_000_010;
/// The staff role.
pub const STAFF_ROLE: u64 = 900_000_000_000_000_020;
/// The approver role.
pub const APPROVER_ROLE: u64 = 900_000_000_000_000_021;

/// Someone in the trial's guild.
#[derive(Clone, Debug)]
pub struct Person {
    /// The name scripts use (`opener`, `member`, `staff`, `approver`, `outsider`).
    pub role: &'static str,
    /// Their Discord id.
    pub id: u64,
    /// Their display name.
    pub name: &'static str,
    /// Staff for the ticket.
    pub staff: bool,
    /// Holds the approver role.
    pub approver: bool,
}

impl Person {
    /// Their roles in the guild.
    pub fn roles(&self) -> Vec<u64> {
        let mut roles = Vec::new();
        if self.staff {
            roles.push(STAFF_ROLE);
        }
        if self.approver {
            roles.push(APPROVER_ROLE);
        }
        roles
    }

    /// As a plugin sees them.
    pub fn user(&self) -> c::User {
        c::User {
            id: self.id,
            name: self.name.into(),
            roles: self.roles(),
            is_staff: self.staff,
            is_approver: self.approver,
        }
    }
}

/// Everyone a script may name.
pub const CAST: [Person; 5] = [
    Person {
        role: "opener",
        id: 900_000_000_000_000_101,
        name: "Ana",
        staff: false,
        approver: false,
    },
    Person {
        role: "member",
        id: 900_000_000_000_000_102,
        name: "Bruno",
        staff: false,
        approver: false,
    },
    Person {
        role: "staff",
        id: 900_000_000_000_000_103,
        name: "Carla",
        staff: true,
        approver: false,
    },
    Person {
        role: "approver",
        id: 900_000_000_000_000_104,
        name: "Davi",
        staff: true,
        approver: true,
    },
    Person {
        role: "outsider",
        id: 900_000_000_000_000_105,
        name: "Eva",
        staff: false,
        approver: false,
    },
];

/// The member of the cast a script names, or what to write instead.
pub fn person(role: &str) -> Result<&'static Person, String> {
    CAST.iter().find(|p| p.role == role).ok_or_else(|| {
        format!("no one called {role:?}; use opener, member, staff, approver or outsider")
    })
}

/// The member of the cast with Discord id `id`.
pub fn person_by_id(id: u64) -> Option<&'static Person> {
    CAST.iter().find(|p| p.id == id)
}

/// A timer the plugin scheduled.
#[derive(Clone, Debug)]
pub struct PendingTimer {
    /// When it falls due (the trial's clock, ms).
    pub due_ms: u64,
    /// What it carries.
    pub payload: String,
}

/// The trial's ticket.
#[derive(Clone, Debug)]
pub struct Ticket {
    /// Where it is in its life.
    pub status: TicketStatus,
    /// Its channel's name.
    pub channel_name: String,
    /// Opener and added members.
    pub members: Vec<u64>,
    /// Its claimer.
    pub claimer: Option<u64>,
    /// The label a plugin set.
    pub status_label: Option<String>,
    /// Who closed it.
    pub closed_by: Option<u64>,
    /// When it opened.
    pub opened_at_ms: u64,
}

/// Everything a trial changes as it runs.
pub struct World {
    /// The plugin's storage in the guild (shared with the plugin's reads).
    pub storage: Arc<Mutex<BTreeMap<String, String>>>,
    /// Pending timers by key.
    pub timers: BTreeMap<String, PendingTimer>,
    /// The clock (ms since the Unix epoch).
    pub now_ms: u64,
    /// The ticket.
    pub ticket: Ticket,
    /// Voice channels the plugin created, by id, with who is in them.
    pub voice: BTreeMap<u64, Vec<u64>>,
    /// The next id handed out for a message or channel.
    pub next_id: u64,
}

impl World {
    /// A guild with one open ticket of the opener's, with the member added, at `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        let opener = CAST[0].id;
        Self {
            storage: Arc::default(),
            timers: BTreeMap::new(),
            now_ms,
            ticket: Ticket {
                status: TicketStatus::Open,
                channel_name: "ticket-0001".into(),
                members: vec![opener, CAST[1].id],
                claimer: None,
                status_label: None,
                closed_by: None,
                opened_at_ms: now_ms,
            },
            voice: BTreeMap::new(),
            next_id: 900_000_000_000_001_000,
        }
    }

    /// A fresh id for something the plugin made.
    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The ticket as a plugin sees it.
    pub fn plugin_ticket(&self) -> c::Ticket {
        let t = &self.ticket;
        c::Ticket {
            id: 1,
            number: 1,
            type_id: "support".into(),
            channel_id: TICKET_CHANNEL,
            opener: CAST[0].id,
            claimer: t.claimer,
            members: t.members.clone(),
            status_label: t.status_label.clone(),
            status: match t.status {
                TicketStatus::Opening | TicketStatus::Open => c::TicketStatus::Open,
                TicketStatus::Closing => c::TicketStatus::Closing,
                TicketStatus::Closed => c::TicketStatus::Closed,
                TicketStatus::Cancelling | TicketStatus::Cancelled => c::TicketStatus::Cancelled,
            },
            closed_by: t.closed_by,
            opened_at_ms: t.opened_at_ms,
        }
    }

    /// The stored value under `key`.
    pub fn stored(&self, key: &str) -> Option<String> {
        self.storage
            .lock()
            .expect("trial storage")
            .get(key)
            .cloned()
    }
}

/// The host's answers during a trial: storage from the world, roles from the cast, HTTP from
/// the script.
pub struct TrialServices {
    /// The plugin's storage.
    pub storage: Arc<Mutex<BTreeMap<String, String>>>,
    /// Scripted HTTP answers.
    pub http: Arc<[HttpAnswer]>,
}

impl HostServices for TrialServices {
    fn get(
        &self,
        _guild: u64,
        _plugin: &str,
        key: &str,
        _within: Duration,
    ) -> Result<Option<String>, String> {
        Ok(self
            .storage
            .lock()
            .expect("trial storage")
            .get(key)
            .cloned())
    }

    fn member_roles(
        &self,
        _guild: u64,
        user: u64,
        _within: Duration,
    ) -> Result<Option<Vec<u64>>, String> {
        Ok(person_by_id(user).map(Person::roles))
    }

    fn http(
        &self,
        _guild: u64,
        _plugin: &str,
        request: &c::HttpRequest,
    ) -> Result<c::HttpResponse, String> {
        let answer = self
            .http
            .iter()
            .find(|a| request.url.starts_with(&a.url))
            .ok_or_else(|| {
                format!(
                    "plugin try sends nothing to the network, and the script has no \"http\" answer for {}",
                    request.url
                )
            })?;
        Ok(c::HttpResponse {
            status: answer.status,
            headers: Vec::new(),
            body: answer.body.clone(),
        })
    }
}
