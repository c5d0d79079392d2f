//! A guild's own layer over the operator's file: the ticket types, texts, staff roles and
//! channels its managers set from the dashboard, within what the file lets them change
//! (`self_service`).
//!
//! A layer is a TOML table of the guild's keys. It is applied by writing its keys over the
//! guild's entry in the file's text and checking the result exactly as the file is checked,
//! so a layer gets the file's own messages, and a layer and a file can never disagree on what
//! is valid.

use std::collections::BTreeMap;

use toml_edit::{DocumentMut, Item, Table};

use super::{Config, GuildConfig};

/// A guild's own keys over its entry in the file (`staff_roles`, `ticket_type`, `texts`, …).
pub type GuildLayer = toml::Table;

/// A part of a guild's settings its managers may change themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Editable {
    /// `staff_roles` and `approver_roles`.
    Staff,
    /// The `[[guild.ticket_type]]` list.
    TicketTypes,
    /// `[guild.texts]`: what the panel and the welcome message say.
    Texts,
    /// `panel_channel`, `log_channel` and `ticket_category`.
    Channels,
}

/// The texts a guild's managers edit from the dashboard: the panel and the welcome message.
pub const EDITABLE_TEXTS: &[&str] = &[
    "panel-title",
    "panel-description",
    "panel-open-button",
    "welcome-title",
    "welcome-description",
];

impl Editable {
    /// Every part, in the order the dashboard shows them.
    pub const ALL: [Editable; 4] = [
        Editable::Staff,
        Editable::TicketTypes,
        Editable::Texts,
        Editable::Channels,
    ];

    /// Its name in `self_service`.
    pub fn name(self) -> &'static str {
        match self {
            Editable::Staff => "staff",
            Editable::TicketTypes => "ticket_types",
            Editable::Texts => "texts",
            Editable::Channels => "channels",
        }
    }

    /// The part named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The names, for messages.
    pub fn known() -> String {
        Self::ALL.map(Editable::name).join(", ")
    }

    /// The guild keys it covers.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Editable::Staff => &["staff_roles", "approver_roles"],
            Editable::TicketTypes => &["ticket_type"],
            Editable::Texts => &["texts"],
            Editable::Channels => &["panel_channel", "log_channel", "ticket_category"],
        }
    }

    /// The part guild key `key` belongs to, if a guild may change it at all.
    pub fn of_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.keys().contains(&key))
    }
}

/// Why guilds' layers could not be applied: each guild's problems, in the file's words with
/// the key below the guild (`ticket_type[1].label: must be 1-100 characters …`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerProblems {
    /// By guild id.
    pub by_guild: BTreeMap<u64, Vec<String>>,
    /// Problems no layer explains (the file itself).
    pub other: Vec<String>,
}

impl Config {
    /// This configuration with each guild's layer written over its entry in the operator's
    /// file, checked as the file is. Only the guilds change (the source stays the operator's
    /// file, and secrets from the environment stay).
    pub fn with_layers(&self, layers: &BTreeMap<u64, GuildLayer>) -> Result<Config, LayerProblems> {
        let mut problems = LayerProblems::default();
        for (guild, layer) in layers {
            let Some(config) = self.guild(*guild) else {
                continue;
            };
            for key in layer.keys() {
                match Editable::of_key(key) {
                    None => problems
                        .by_guild
                        .entry(*guild)
                        .or_default()
                        .push(format!("{key}: not something a guild changes itself")),
                    Some(part) if !config.self_service.contains(&part) => problems
                        .by_guild
                        .entry(*guild)
                        .or_default()
                        .push(format!(
                            "{key}: the operator keeps this in config.toml (self_service does not list {:?})",
                            part.name()
                        )),
                    Some(_) => {}
                }
            }
        }
        if !problems.by_guild.is_empty() {
            return Err(problems);
        }
        let mut document: DocumentMut = self.source.text.parse().map_err(|e| LayerProblems {
            other: vec![format!("the config file no longer parses: {e}")],
            ..LayerProblems::default()
        })?;
        let mut positions = BTreeMap::new();
        if let Some(entries) = document
            .get_mut("guild")
            .and_then(Item::as_array_of_tables_mut)
        {
            for (index, entry) in entries.iter_mut().enumerate() {
                let Some(id) = entry_id(entry) else { continue };
                positions.insert(id, index);
                if let Some(layer) = layers.get(&id) {
                    if let Err(error) = write_layer(entry, layer) {
                        problems
                            .by_guild
                            .entry(id)
                            .or_default()
                            .push(format!("cannot be written as TOML: {error}"));
                    }
                }
            }
        }
        if !problems.by_guild.is_empty() {
            return Err(problems);
        }
        let merged = Config::parse(&self.source.path, document.to_string()).map_err(|error| {
            let mut out = LayerProblems::default();
            for problem in error.problems {
                let owner = positions.iter().find_map(|(id, index)| {
                    let rest = problem.key.strip_prefix(&format!("guild[{index}]"))?;
                    let below = match rest.strip_prefix('.') {
                        Some(key) => Some(key),
                        None if rest.is_empty() => None,
                        // `guild[1]` is not a prefix of `guild[12]`.
                        None => return None,
                    };
                    layers
                        .contains_key(id)
                        .then(|| (*id, below.map(str::to_owned)))
                });
                match owner {
                    Some((id, key)) => out.by_guild.entry(id).or_default().push(match key {
                        Some(key) => format!("{key}: {}", problem.message),
                        None => problem.message,
                    }),
                    None => out.other.push(problem.to_string()),
                }
            }
            out
        })?;
        // Only the layered guilds change, and only in what a layer may hold; the rest
        // (secrets from the environment, plugins, the ceiling) stays as it is.
        let guilds = self
            .guilds
            .iter()
            .map(|mine| match merged.guild(mine.id) {
                Some(layered) if layers.contains_key(&mine.id) => GuildConfig {
                    plugins: mine.plugins.clone(),
                    uploads: mine.uploads.clone(),
                    self_service: mine.self_service.clone(),
                    ..layered.clone()
                },
                _ => mine.clone(),
            })
            .collect();
        Ok(Config {
            guilds,
            ..self.clone()
        })
    }

    /// This configuration with the layers that apply; each guild whose layer does not (the
    /// file changed under it) keeps the file's values, and its problems are returned.
    pub fn with_layers_that_fit(
        &self,
        layers: &BTreeMap<u64, GuildLayer>,
    ) -> (Config, LayerProblems) {
        let mut layers = layers.clone();
        let mut refused = LayerProblems::default();
        // Each round drops the guilds with problems; at most one round per guild.
        loop {
            match self.with_layers(&layers) {
                Ok(config) => return (config, refused),
                Err(problems) => {
                    if problems.by_guild.is_empty() {
                        refused.other.extend(problems.other);
                        return (self.clone(), refused);
                    }
                    for (guild, found) in problems.by_guild {
                        layers.remove(&guild);
                        refused.by_guild.insert(guild, found);
                    }
                }
            }
        }
    }
}

/// The id of a `[[guild]]` entry (an integer or a string of digits).
fn entry_id(entry: &Table) -> Option<u64> {
    let id = entry.get("id")?.as_value()?;
    id.as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .or_else(|| id.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Writes `layer` over a guild's entry: each key replaces the file's, except `texts`, whose
/// keys replace the file's one by one (the file's other overrides stay).
fn write_layer(entry: &mut Table, layer: &GuildLayer) -> Result<(), toml_edit::ser::Error> {
    let written = toml_edit::ser::to_document(layer)?;
    for (key, item) in written.as_table().iter() {
        if key == "texts" {
            if let (Some(texts), Some(ours)) = (
                entry
                    .entry("texts")
                    .or_insert_with(|| Item::Table(Table::new()))
                    .as_table_like_mut(),
                item.as_table_like(),
            ) {
                for (text_key, value) in ours.iter() {
                    texts.insert(text_key, value.clone());
                }
                continue;
            }
        }
        entry.insert(key, item.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FILE: &str = r#"
[[guild]]
id = "111"
panel_channel = 1
log_channel = 2
ticket_category = 3
staff_roles = [10]

[[guild.ticket_type]]
id = "support"
label = "Support"

[guild.texts]
panel-title = "Help desk"

[[guild]]
id = 222
panel_channel = 1
log_channel = 2
ticket_category = 3
staff_roles = [20]
self_service = ["texts"]

[[guild.ticket_type]]
id = "support"
label = "Support"
"#;

    fn file() -> Config {
        Config::parse(Path::new("config.toml"), FILE.into()).expect("valid")
    }

    fn layer(text: &str) -> GuildLayer {
        text.parse().expect("toml")
    }

    #[test]
    fn a_layer_replaces_keys_and_merges_texts() {
        let layers = BTreeMap::from([(
            111,
            layer(
                r#"
staff_roles = ["30", 31]
texts = { panel-description = "Ask us" }
[[ticket_type]]
id = "ban"
label = "Ban appeal"
cooldown_minutes = 60
"#,
            ),
        )]);
        let config = file().with_layers(&layers).expect("fits");
        let guild = config.guild(111).unwrap();
        assert_eq!(guild.staff_roles, vec![30, 31]);
        assert_eq!(guild.approver_roles, vec![30, 31]);
        assert_eq!(guild.ticket_types.len(), 1);
        assert_eq!(guild.ticket_types[0].id, "ban");
        assert_eq!(guild.texts["panel-title"], "Help desk");
        assert_eq!(guild.texts["panel-description"], "Ask us");
        // The other guild and the source are the file's.
        assert_eq!(config.guild(222).unwrap().staff_roles, vec![20]);
        assert_eq!(config.source, file().source);
    }

    #[test]
    fn a_layer_gets_the_files_own_messages_below_its_guild() {
        let long = "x".repeat(101);
        let layers = BTreeMap::from([(
            111,
            layer(&format!(
                "staff_roles = []\n[[ticket_type]]\nid = \"Bad Id\"\nlabel = \"{long}\"\n"
            )),
        )]);
        let problems = file().with_layers(&layers).unwrap_err();
        let mine = &problems.by_guild[&111];
        assert!(mine.contains(
            &"staff_roles: list at least one role: nobody could close tickets".to_owned()
        ));
        assert!(mine.contains(
            &"ticket_type[0].id: use 1-32 lowercase letters, digits, '-' or '_'".to_owned()
        ));
        assert!(mine
            .iter()
            .any(|p| p.starts_with("ticket_type[0].label: must be 1-100")));
        assert!(problems.other.is_empty());
    }

    #[test]
    fn a_problem_about_the_whole_guild_is_the_guilds() {
        let layers = BTreeMap::from([(111, layer("ticket_type = []"))]);
        let problems = file().with_layers(&layers).unwrap_err();
        assert_eq!(
            problems.by_guild[&111],
            vec!["add at least one [[guild.ticket_type]]: the panel offers these".to_owned()]
        );
    }

    #[test]
    fn the_operator_decides_what_a_guild_may_change() {
        let layers = BTreeMap::from([(222, layer("staff_roles = [5]\nnotes = 1"))]);
        let problems = file().with_layers(&layers).unwrap_err();
        assert_eq!(
            problems.by_guild[&222],
            vec![
                "notes: not something a guild changes itself".to_owned(),
                "staff_roles: the operator keeps this in config.toml (self_service does not list \"staff\")".to_owned(),
            ]
        );
        // What it may change applies.
        let layers = BTreeMap::from([(222, layer("texts = { panel-title = \"Oi\" }"))]);
        let config = file().with_layers(&layers).expect("fits");
        assert_eq!(config.guild(222).unwrap().texts["panel-title"], "Oi");
    }

    #[test]
    fn a_layer_that_no_longer_fits_leaves_its_guild_on_the_file() {
        let layers = BTreeMap::from([
            (111, layer("staff_roles = [77]")),
            (222, layer("texts = { no-such-key = \"x\" }")),
        ]);
        let (config, refused) = file().with_layers_that_fit(&layers);
        assert_eq!(config.guild(111).unwrap().staff_roles, vec![77]);
        assert!(config.guild(222).unwrap().texts.is_empty());
        assert_eq!(refused.by_guild.len(), 1);
        assert!(refused.by_guild[&222][0].starts_with("texts.no-such-key: no such text key"));
    }
}
