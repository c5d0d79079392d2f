//! The rules a plugin's manifest must follow, checked once at load so that nothing later has
//! to second-guess it: well-formed ids and keys, known capabilities, texts in some language,
//! consistent settings bounds, and questions that fit a Discord form.

use std::collections::HashSet;

use super::contract::{Manifest, OpeningQuestions, SettingKind, Subscription, ValueKind};
use super::settings::LABELS;
use crate::capability::Capability;

/// The most questions one form can hold (Discord's modal limit).
pub const MAX_QUESTIONS: usize = 5;

/// Every rule `manifest` breaks, as sentences.
pub fn problems(manifest: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    if !is_id(&manifest.id, 32) {
        out.push(format!(
            "its id {:?} is not 1-32 of a-z, 0-9 and '-'",
            manifest.id
        ));
    }
    if texts_missing(&manifest.name, 100) {
        out.push("its name is empty or longer than 100 characters".into());
    }
    let mut ids = HashSet::new();
    for button in &manifest.buttons {
        if !is_id(&button.id, 20) {
            out.push(format!(
                "button id {:?} is not 1-20 of a-z, 0-9 and '-'",
                button.id
            ));
        } else if !ids.insert(button.id.as_str()) {
            out.push(format!("button id {:?} is used twice", button.id));
        }
        if texts_missing(&button.label, 80) {
            out.push(format!(
                "button {:?} has an empty label or one over 80 characters",
                button.id
            ));
        }
    }
    for name in &manifest.capabilities {
        if Capability::parse(name).is_none() {
            out.push(format!(
                "asks for an unknown capability {name:?} (known: {})",
                Capability::known()
            ));
        }
    }
    if manifest
        .subscriptions
        .contains(&Subscription::TicketMessages)
        && !manifest
            .capabilities
            .iter()
            .any(|c| c == Capability::ReadMessages.name())
    {
        out.push("subscribes to ticket messages without asking for \"read-messages\"".into());
    }
    let mut keys = HashSet::new();
    for setting in &manifest.settings {
        let key = &setting.key;
        let well_formed = !key.is_empty()
            && key.len() <= 40
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed || key == LABELS {
            out.push(format!(
                "setting key {key:?} is not 1-40 of a-z, 0-9 and '_' (and not {LABELS:?})"
            ));
        } else if !keys.insert(key.as_str()) {
            out.push(format!("setting {key:?} is declared twice"));
        }
        let mut kinds = Vec::new();
        match &setting.kind {
            SettingKind::Single(kind) | SettingKind::Many((kind, _)) => kinds.push(kind),
            SettingKind::Table((columns, _)) => {
                if columns.is_empty() {
                    out.push(format!("setting {key:?} is a table without columns"));
                }
                kinds.extend(columns.iter().map(|c| &c.kind));
            }
        }
        for kind in kinds {
            let fine = match kind {
                ValueKind::Text(b) => b.min_length <= b.max_length,
                ValueKind::Integer(b) | ValueKind::Duration(b) => b.min <= b.max,
                ValueKind::Choice(words) => !words.is_empty(),
                _ => true,
            };
            if !fine {
                out.push(format!("setting {key:?} has bounds no value fits"));
            }
        }
    }
    out.extend(question_problems(&manifest.questions));
    out
}

/// Every rule a plugin's opening questions break: ids, labels, lengths, patterns that compile
/// (a pattern is a regular expression matched against the whole answer).
pub fn question_problems(forms: &[OpeningQuestions]) -> Vec<String> {
    let mut out = Vec::new();
    let mut question_ids = HashSet::new();
    for form in forms {
        if form.questions.is_empty() || form.questions.len() > MAX_QUESTIONS {
            out.push(format!(
                "a set of opening questions holds 1 to {MAX_QUESTIONS} questions"
            ));
        }
        for q in &form.questions {
            if !is_id(&q.id, 20) {
                out.push(format!(
                    "question id {:?} is not 1-20 of a-z, 0-9 and '-'",
                    q.id
                ));
            } else if !question_ids.insert(q.id.as_str()) {
                out.push(format!("question id {:?} is used twice", q.id));
            }
            if texts_missing(&q.label, 45) {
                out.push(format!(
                    "question {:?} has an empty label or one over 45 characters",
                    q.id
                ));
            }
            if q.max_length == 0 || q.max_length > 4000 || q.min_length > q.max_length {
                out.push(format!(
                    "question {:?}: lengths must be 0 <= min <= max <= 4000, max at least 1",
                    q.id
                ));
            }
            if let Some(pattern) = &q.pattern {
                if let Err(error) = answer_pattern(pattern) {
                    out.push(format!(
                        "question {:?}: its pattern {pattern:?} is not valid: {error}",
                        q.id
                    ));
                }
            }
        }
    }
    out
}

/// `pattern` as a regular expression matching a whole answer, with bounded size.
pub fn answer_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
}

/// Whether `id` is 1 to `max` of a-z, 0-9 and '-'.
fn is_id(id: &str, max: usize) -> bool {
    !id.is_empty()
        && id.len() <= max
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether a localised text has no language, or one of its texts is empty or over `max`.
fn texts_missing(texts: &[(String, String)], max: usize) -> bool {
    texts.is_empty()
        || texts
            .iter()
            .any(|(_, t)| t.trim().is_empty() || t.chars().count() > max)
}
