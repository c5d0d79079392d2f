//! A guild's settings for a plugin, checked against the schema in the plugin's manifest before
//! the plugin ever sees them: types, bounds, required keys and defaults (in the guild's
//! language), so `ticketbot check` reports a wrong setting by its key without running the
//! plugin, and the plugin receives complete, normalised JSON. The reserved table `label` holds
//! a guild's own labels for the plugin's buttons (`label.<button id> = "..."`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::contract::{pick, Setting, SettingKind, TicketButton, ValueKind};

/// The key of the table of button labels.
pub const LABELS: &str = "label";

/// Settings that passed the schema.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    /// What the plugin receives: every setting of the schema, defaults filled.
    pub json: Value,
    /// The guild's labels for the plugin's buttons, by button id.
    pub labels: HashMap<String, String>,
}

/// A setting that is wrong: its key path (e.g. `categories[1].id`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    /// Where, below `settings`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Checks `table` against `schema`. With `strict` (a plugin of contract 0.2 or later) keys the
/// schema does not name are errors; an older plugin, which has no schema, gets every key as
/// given. `locale` picks the defaults.
pub fn check(
    schema: &[Setting],
    buttons: &[TicketButton],
    table: &toml::Table,
    locale: &str,
    strict: bool,
) -> Result<Checked, Vec<SettingError>> {
    let mut errors = Vec::new();
    let mut error = |key: String, message: String| errors.push(SettingError { key, message });
    let mut labels = HashMap::new();
    if let Some(given) = table.get(LABELS) {
        match given.as_table() {
            Some(given) => {
                for (id, label) in given {
                    let key = format!("{LABELS}.{id}");
                    if !buttons.iter().any(|b| &b.id == id) {
                        let ids: Vec<&str> = buttons.iter().map(|b| b.id.as_str()).collect();
                        error(
                            key,
                            format!(
                                "the plugin has no button {id:?} (its buttons: {})",
                                ids.join(", ")
                            ),
                        );
                    } else {
                        match label.as_str().map(str::trim) {
                            Some(text) if (1..=80).contains(&text.chars().count()) => {
                                labels.insert(id.clone(), text.to_owned());
                            }
                            _ => error(key, "a label of 1 to 80 characters".into()),
                        }
                    }
                }
            }
            None => error(
                LABELS.into(),
                "a table of button labels, e.g. `label.poke = \"Cutucar\"`".into(),
            ),
        }
    }
    let mut json = Map::new();
    if !strict {
        for (key, value) in table {
            if key != LABELS {
                json.insert(key.clone(), toml_to_json(value));
            }
        }
    } else {
        for (key, _) in table {
            if key != LABELS && !schema.iter().any(|s| &s.key == key) {
                let known: Vec<&str> = schema.iter().map(|s| s.key.as_str()).collect();
                error(
                    key.clone(),
                    if known.is_empty() {
                        "unknown setting; this plugin has no settings".into()
                    } else {
                        format!("unknown setting; known: {}", known.join(", "))
                    },
                );
            }
        }
        for setting in schema {
            let value = match table.get(&setting.key) {
                Some(given) => match kind_value(&setting.kind, given, &setting.key) {
                    Ok(value) => value,
                    Err((key, message)) => {
                        error(key, message);
                        continue;
                    }
                },
                None => {
                    let default = pick(&setting.default, locale);
                    if default.is_empty() {
                        error(setting.key.clone(), "required".into());
                        continue;
                    }
                    match serde_json::from_str(default) {
                        Ok(value) => value,
                        Err(e) => {
                            error(
                                setting.key.clone(),
                                format!("the plugin's default is not JSON: {e}"),
                            );
                            continue;
                        }
                    }
                }
            };
            json.insert(setting.key.clone(), value);
        }
    }
    if errors.is_empty() {
        Ok(Checked {
            json: Value::Object(json),
            labels,
        })
    } else {
        Err(errors)
    }
}

fn kind_value(
    kind: &SettingKind,
    given: &toml::Value,
    key: &str,
) -> Result<Value, (String, String)> {
    match kind {
        SettingKind::Single(kind) => one_value(kind, given).map_err(|m| (key.to_owned(), m)),
        SettingKind::Many((kind, max)) => {
            let items = given
                .as_array()
                .ok_or_else(|| (key.to_owned(), format!("a list of {}", describe(kind))))?;
            if items.len() > *max as usize {
                return Err((key.to_owned(), format!("at most {max} items")));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| one_value(kind, item).map_err(|m| (format!("{key}[{i}]"), m)))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        SettingKind::Table((columns, max)) => {
            let rows = given
                .as_array()
                .ok_or_else(|| (key.to_owned(), format!("a list of tables ([[...{key}]])")))?;
            if rows.len() > *max as usize {
                return Err((key.to_owned(), format!("at most {max} rows")));
            }
            let mut out = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let here = format!("{key}[{i}]");
                let row = row
                    .as_table()
                    .ok_or_else(|| (here.clone(), "a table".to_owned()))?;
                let mut object = Map::new();
                for (column, _) in row {
                    if !columns.iter().any(|c| &c.key == column) {
                        let known: Vec<&str> = columns.iter().map(|c| c.key.as_str()).collect();
                        return Err((
                            format!("{here}.{column}"),
                            format!("unknown; known: {}", known.join(", ")),
                        ));
                    }
                }
                for column in columns {
                    let at = format!("{here}.{}", column.key);
                    let value = match (row.get(&column.key), &column.default) {
                        (Some(given), _) => one_value(&column.kind, given).map_err(|m| (at, m))?,
                        (None, Some(default)) => serde_json::from_str(default)
                            .map_err(|e| (at, format!("the plugin's default is not JSON: {e}")))?,
                        (None, None) => return Err((at, "required".to_owned())),
                    };
                    object.insert(column.key.clone(), value);
                }
                out.push(Value::Object(object));
            }
            Ok(Value::Array(out))
        }
    }
}

/// What a value of `kind` looks like, for messages.
fn describe(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Text(b) => format!("texts of {} to {} characters", b.min_length, b.max_length),
        ValueKind::Integer(b) => format!("whole numbers from {} to {}", b.min, b.max),
        ValueKind::Boolean => "true or false".into(),
        ValueKind::Duration(_) => "durations".into(),
        ValueKind::Channel => "channel ids".into(),
        ValueKind::Category => "category ids".into(),
        ValueKind::Role => "role ids".into(),
        ValueKind::Choice(words) => format!("one of {}", words.join(", ")),
    }
}

fn one_value(kind: &ValueKind, given: &toml::Value) -> Result<Value, String> {
    match kind {
        ValueKind::Text(bounds) => {
            let text = given.as_str().ok_or("a text in quotes")?;
            let length = text.chars().count() as u32;
            if length < bounds.min_length || length > bounds.max_length {
                return Err(format!(
                    "{} to {} characters (this is {length})",
                    bounds.min_length, bounds.max_length
                ));
            }
            Ok(Value::String(text.to_owned()))
        }
        ValueKind::Integer(bounds) => {
            let n = given.as_integer().ok_or("a whole number")?;
            if n < bounds.min || n > bounds.max {
                return Err(format!("between {} and {}", bounds.min, bounds.max));
            }
            Ok(Value::from(n))
        }
        ValueKind::Boolean => given
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| "true or false".into()),
        ValueKind::Duration(bounds) => {
            let seconds = match given {
                toml::Value::Integer(n) => *n,
                toml::Value::String(text) => parse_duration(text).ok_or_else(|| {
                    format!("{text:?} is not a duration: a number of seconds, or a number with s, m, h or d (\"90s\", \"5m\", \"2h\", \"1d\")")
                })?,
                _ => return Err("a duration: seconds, or a text like \"5m\"".into()),
            };
            if seconds < bounds.min || seconds > bounds.max {
                return Err(format!("between {} and {} seconds", bounds.min, bounds.max));
            }
            Ok(Value::from(seconds))
        }
        ValueKind::Channel | ValueKind::Category | ValueKind::Role => {
            let id = match given {
                toml::Value::Integer(n) if *n > 0 => Some(*n as u64),
                toml::Value::String(s) => s.trim().parse::<u64>().ok().filter(|n| *n > 0),
                _ => None,
            };
            let what = match kind {
                ValueKind::Channel => "a channel id",
                ValueKind::Category => "a category id",
                _ => "a role id",
            };
            id.map(Value::from).ok_or_else(|| what.to_owned())
        }
        ValueKind::Choice(words) => match given.as_str() {
            Some(word) if words.iter().any(|w| w == word) => Ok(Value::String(word.to_owned())),
            _ => Err(format!("one of {}", words.join(", "))),
        },
    }
}

/// Seconds in `text`: `"90"`, `"90s"`, `"5m"`, `"2h"` or `"1d"`.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (at, c) if c.is_ascii_alphabetic() => (&text[..at], c),
        _ => (text, 's'),
    };
    let n: i64 = number.trim().parse().ok()?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    n.checked_mul(factor).filter(|s| *s >= 0)
}

/// A TOML value as JSON (TOML dates become strings).
pub fn toml_to_json(value: &toml::Value) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::contract::{Audience, ButtonStyle, Column, IntegerBounds, TextBounds};

    fn setting(key: &str, kind: SettingKind, default: &str) -> Setting {
        Setting {
            key: key.into(),
            label: vec![("en".into(), key.into())],
            help: Vec::new(),
            kind,
            default: if default.is_empty() {
                Vec::new()
            } else {
                vec![
                    ("en".into(), default.into()),
                    ("pt-BR".into(), default.to_string()),
                ]
            },
        }
    }

    fn schema() -> Vec<Setting> {
        vec![
            setting(
                "cooldown",
                SettingKind::Single(ValueKind::Duration(IntegerBounds { min: 0, max: 3600 })),
                "300",
            ),
            setting("channel", SettingKind::Single(ValueKind::Channel), ""),
            setting(
                "greeting",
                SettingKind::Single(ValueKind::Text(TextBounds {
                    min_length: 1,
                    max_length: 10,
                })),
                "\"Oi\"",
            ),
            setting(
                "categories",
                SettingKind::Table((
                    vec![
                        Column {
                            key: "id".into(),
                            label: Vec::new(),
                            kind: ValueKind::Category,
                            default: None,
                        },
                        Column {
                            key: "label".into(),
                            label: Vec::new(),
                            kind: ValueKind::Text(TextBounds {
                                min_length: 1,
                                max_length: 100,
                            }),
                            default: None,
                        },
                    ],
                    2,
                )),
                "[]",
            ),
        ]
    }

    fn buttons() -> Vec<TicketButton> {
        vec![TicketButton {
            id: "poke".into(),
            label: vec![("en".into(), "Poke".into())],
            emoji: None,
            style: ButtonStyle::Primary,
            audience: Audience::Staff,
        }]
    }

    fn run(toml_text: &str) -> Result<Checked, Vec<SettingError>> {
        let table: toml::Table = toml_text.parse().unwrap();
        check(&schema(), &buttons(), &table, "pt-BR", true)
    }

    #[test]
    fn defaults_fill_and_values_normalise() {
        let checked =
            run("channel = \"123\"\ncooldown = \"5m\"\nlabel.poke = \"Cutucar\"").unwrap();
        assert_eq!(
            checked.json,
            serde_json::json!({"cooldown": 300, "channel": 123, "greeting": "Oi", "categories": []})
        );
        assert_eq!(checked.labels["poke"], "Cutucar");
    }

    #[test]
    fn every_wrong_key_is_named() {
        let errors = run(
            "cooldown = \"5 minutes\"\ngreeting = \"far too long a greeting\"\nextra = 1\n\
             label.nope = \"x\"\n[[categories]]\nid = 5\n[[categories]]\nid = 6\nlabel = \"\"\n",
        )
        .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "label.nope",
                "extra",
                "cooldown",
                "channel",
                "greeting",
                "categories[0].label"
            ],
            "{errors:?}"
        );
        assert!(errors
            .iter()
            .any(|e| e.key == "channel" && e.message == "required"));
    }

    #[test]
    fn older_plugins_get_what_was_given() {
        let table: toml::Table = "anything = 5\nlabel.poke = \"Cutucar\"".parse().unwrap();
        let checked = check(&[], &buttons(), &table, "en", false).unwrap();
        assert_eq!(checked.json, serde_json::json!({"anything": 5}));
        assert_eq!(checked.labels["poke"], "Cutucar");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration(" 2h "), Some(7200));
        assert_eq!(parse_duration("1d"), Some(86_400));
        assert_eq!(parse_duration("5 minutes"), None);
        assert_eq!(parse_duration("-5m"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("9223372036854775807d"), None);
        assert_eq!(parse_duration("5é"), None);
        assert_eq!(parse_duration(""), None);
    }
}
