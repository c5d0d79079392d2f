//! The script `ticketbot plugin try` runs: the guild's choices for the plugin (language,
//! grants, settings, HTTP answers) and the steps, each an event as one of the cast, with what
//! to expect. JSON, so an author writes it by hand and a test generates it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// A whole script.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The guild's language (`en` or `pt-BR`; default `en`).
    pub locale: Option<String>,
    /// Capabilities the guild grants (default: none).
    #[serde(default)]
    pub grant: Vec<String>,
    /// The plugin's settings, as in `[guild.plugin.settings]`.
    #[serde(default)]
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Answers to the plugin's HTTP requests, first match wins (nothing goes to the network).
    #[serde(default)]
    pub http: Vec<HttpAnswer>,
    /// What happens, in order.
    pub steps: Vec<Step>,
}

/// A scripted answer to HTTP requests whose URL starts with `url`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpAnswer {
    /// The start of the URLs it answers.
    pub url: String,
    /// The status (default 200).
    #[serde(default = "ok_status")]
    pub status: u16,
    /// The body.
    #[serde(default)]
    pub body: String,
}

fn ok_status() -> u16 {
    200
}

/// One step: exactly one action, who does it, and what must follow.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Press the plugin's ticket button with this id.
    pub press: Option<String>,
    /// Use a component the plugin posted (its custom id) ...
    pub component: Option<String>,
    /// ... choosing these values of a select.
    #[serde(default)]
    pub values: Vec<String>,
    /// Submit the plugin's form with this custom id ...
    pub submit: Option<String>,
    /// ... with these fields (input id to value); also the answers for `opened`.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Fire the pending timer with this key now.
    pub timer: Option<String>,
    /// Let this much time pass (`90s`, `5m`, `2h`, `1d`); timers that fall due fire.
    pub wait: Option<String>,
    /// The user joins (`join`) or leaves (`leave`) the plugin's voice channel.
    pub voice: Option<String>,
    /// The user posts this message in the ticket.
    pub message: Option<String>,
    /// The ticket opens (the plugin gets its answers from `fields`).
    #[serde(default)]
    pub opened: bool,
    /// The ticket is closed (by the user given with `as`, staff by default).
    #[serde(default)]
    pub close: bool,
    /// The ticket is claimed by this member of the cast (`nobody` releases it).
    pub claim: Option<String>,
    /// This member of the cast leaves the guild.
    pub leave: Option<String>,
    /// Who acts: opener, member, staff, approver or outsider (default: opener).
    #[serde(rename = "as")]
    pub actor: Option<String>,
    /// What must follow; the run fails when it does not.
    #[serde(default)]
    pub expect: Expect,
}

/// What a step must lead to. Every field is optional; an unmet one fails the run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The answer to the user contains this text.
    pub reply: Option<String>,
    /// The answer is private (only the user sees it) or not.
    pub private: Option<bool>,
    /// The effects performed, by name, in order (`post`, `store`, `schedule`, ...).
    pub effects: Option<Vec<String>>,
    /// After the step, these storage keys hold these values (`null`: absent).
    #[serde(default)]
    pub storage: BTreeMap<String, Option<String>>,
    /// The step fails (the plugin crashes, returns an error, or is refused), with a message
    /// containing this text. Without it, any failure fails the run.
    pub error: Option<String>,
    /// The keys of the timers pending after the step, in any order.
    pub timers: Option<Vec<String>>,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A ticket button.
    Press(String),
    /// A posted component.
    Component(String, Vec<String>),
    /// A form.
    Submit(String, Vec<(String, String)>),
    /// A timer, now.
    Timer(String),
    /// Time passes (milliseconds).
    Wait(u64),
    /// Voice: joined or not.
    Voice(bool),
    /// A message in the ticket.
    Message(String),
    /// The ticket opened, with answers.
    Opened(Vec<(String, String)>),
    /// The ticket closed.
    Close,
    /// The claimer changes to this role of the cast (none: released).
    Claim(Option<String>),
    /// A member of the cast leaves the guild.
    Leave(String),
}

impl Step {
    /// The step's one action, or what is wrong with it.
    pub fn action(&self) -> Result<Action, String> {
        let fields = || {
            self.fields
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        let mut found = Vec::new();
        if let Some(id) = &self.press {
            found.push(Action::Press(id.clone()));
        }
        if let Some(id) = &self.component {
            found.push(Action::Component(id.clone(), self.values.clone()));
        }
        if let Some(id) = &self.submit {
            found.push(Action::Submit(id.clone(), fields()));
        }
        if let Some(key) = &self.timer {
            found.push(Action::Timer(key.clone()));
        }
        if let Some(wait) = &self.wait {
            let seconds = crate::plugins::settings::parse_duration(wait)
                .filter(|s| *s >= 0)
                .ok_or_else(|| {
                    format!("\"wait\": {wait:?} is not a duration like 90s, 5m, 2h or 1d")
                })?;
            found.push(Action::Wait(seconds as u64 * 1000));
        }
        if let Some(voice) = &self.voice {
            found.push(Action::Voice(match voice.as_str() {
                "join" => true,
                "leave" => false,
                other => return Err(format!("\"voice\": {other:?}; use \"join\" or \"leave\"")),
            }));
        }
        if let Some(text) = &self.message {
            found.push(Action::Message(text.clone()));
        }
        if self.opened {
            found.push(Action::Opened(fields()));
        }
        if self.close {
            found.push(Action::Close);
        }
        if let Some(who) = &self.claim {
            found.push(Action::Claim((who != "nobody").then(|| who.clone())));
        }
        if let Some(who) = &self.leave {
            found.push(Action::Leave(who.clone()));
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err("the step does nothing: give one of press, component, submit, timer, wait, voice, message, opened, close, claim, leave".into()),
            _ => Err("the step does several things: give only one of press, component, submit, timer, wait, voice, message, opened, close, claim, leave".into()),
        }
    }
}

/// Why a script could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a script.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// Where.
        line: usize,
        /// Where.
        column: usize,
        /// What serde found.
        message: String,
    },
    /// A step is wrong.
    #[error("{path}: step {step}: {message}")]
    Step {
        /// The file.
        path: String,
        /// Its number, from 1.
        step: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads and checks a script.
pub fn load(path: &Path) -> Result<Script, ScriptError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
        path: name.clone(),
        source,
    })?;
    parse(&name, &text)
}

/// Parses and checks a script's text; `name` is where it came from, for messages.
pub fn parse(name: &str, text: &str) -> Result<Script, ScriptError> {
    let script: Script = serde_json::from_str(text).map_err(|e| ScriptError::Parse {
        path: name.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    for (i, step) in script.steps.iter().enumerate() {
        step.action().map_err(|message| ScriptError::Step {
            path: name.to_owned(),
            step: i + 1,
            message,
        })?;
    }
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_does_exactly_one_thing() {
        let script = parse(
            "s.json",
            r#"{"steps": [{"press": "roll", "as": "member", "expect": {"reply": "4"}}, {"wait": "30s"}, {"submit": "f", "fields": {"a": "b"}}]}"#,
        )
        .unwrap();
        assert_eq!(script.steps[0].action(), Ok(Action::Press("roll".into())));
        assert_eq!(script.steps[0].actor.as_deref(), Some("member"));
        assert_eq!(script.steps[1].action(), Ok(Action::Wait(30_000)));
        assert_eq!(
            script.steps[2].action(),
            Ok(Action::Submit("f".into(), vec![("a".into(), "b".into())]))
        );
        let error = parse(
            "s.json",
            r#"{"steps": [{"press": "a"}, {"press": "a", "wait": "1s"}]}"#,
        )
        .unwrap_err();
        assert!(error
            .to_string()
            .starts_with("s.json: step 2: the step does several things"));
        let error = parse("s.json", r#"{"steps": [{"as": "staff"}]}"#).unwrap_err();
        assert!(error.to_string().contains("step 1: the step does nothing"));
    }

    #[test]
    fn mistakes_are_placed_in_the_file() {
        let error = parse(
            "s.json",
            "{\n  \"steps\": [\n    {\"pres\": \"roll\"}\n  ]\n}",
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("s.json:3:"), "{text}");
        assert!(text.contains("unknown field `pres`"), "{text}");
        let error = parse("s.json", r#"{"steps": [{"wait": "soon"}]}"#).unwrap_err();
        assert!(error.to_string().contains("not a duration"));
    }
}
