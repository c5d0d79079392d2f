//! questions: the guild writes, per ticket type, up to five questions (short or paragraph,
//! required or not, length bounds, an optional pattern such as digits only); the player answers
//! them in a form when they choose the type, before the channel exists. The host checks the
//! answers (a wrong one gets a clear message and the form again; no ticket is half created) and
//! shows them on the welcome message, in the close log and in the transcript header.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    questions: Vec<Asked>,
}

#[derive(Deserialize)]
struct Asked {
    /// The ticket type; empty for every type.
    #[serde(rename = "type")]
    type_id: String,
    id: String,
    label: String,
    paragraph: bool,
    required: bool,
    min: u16,
    max: u16,
    pattern: String,
    pattern_error: String,
    placeholder: String,
}

struct Questions;

impl Plugin for Questions {
    fn manifest() -> Manifest {
        let columns = vec![
            column(
                "type",
                tr("Ticket type", "Tipo de ticket"),
                text_value(0, 32),
            )
            .default_json("\"\""),
            column("id", tr("Id", "Id"), text_value(1, 20)),
            column("label", tr("Question", "Pergunta"), text_value(1, 45)),
            column(
                "paragraph",
                tr("Several lines", "Várias linhas"),
                ValueKind::Boolean,
            )
            .default_json("false"),
            column(
                "required",
                tr("Required", "Obrigatória"),
                ValueKind::Boolean,
            )
            .default_json("true"),
            column(
                "min",
                tr("Shortest", "Mínimo"),
                ValueKind::Integer(IntegerBounds { min: 0, max: 4000 }),
            )
            .default_json("0"),
            column(
                "max",
                tr("Longest", "Máximo"),
                ValueKind::Integer(IntegerBounds { min: 1, max: 4000 }),
            )
            .default_json("200"),
            column("pattern", tr("Pattern", "Padrão"), text_value(0, 200)).default_json("\"\""),
            column(
                "pattern_error",
                tr("When the pattern fails", "Quando o padrão falha"),
                text_value(0, 100),
            )
            .default_json("\"\""),
            column("placeholder", tr("Hint", "Dica"), text_value(0, 100)).default_json("\"\""),
        ];
        manifest("questions", tr("Opening questions", "Perguntas de abertura"))
            .version(env!("CARGO_PKG_VERSION"))
            .setting(
                setting(
                    "questions",
                    table(columns, 25),
                    tr("Questions", "Perguntas"),
                    tr(
                        "Asked in a form when a player opens a ticket of that type (empty type: every type), at most five per type. `pattern` is a regular expression the whole answer must match, e.g. \"[0-9]+\".",
                        "Feitas num formulário quando um jogador abre um ticket desse tipo (tipo vazio: todos), no máximo cinco por tipo. `pattern` é uma expressão regular que a resposta inteira deve seguir, por exemplo \"[0-9]+\".",
                    ),
                )
                .default_json("[]"),
            )
    }

    fn check_settings(settings: &str) -> Vec<SettingProblem> {
        check_settings_with(settings, |s: &Settings| {
            let mut problems = Vec::new();
            for (i, q) in s.questions.iter().enumerate() {
                let valid_id =
                    q.id.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !valid_id {
                    problems.push(SettingProblem::new(
                        format!("questions[{i}].id"),
                        "a-z, 0-9 and '-' only",
                    ));
                }
                if s.questions[..i]
                    .iter()
                    .any(|other| other.id == q.id && other.type_id == q.type_id)
                {
                    problems.push(SettingProblem::new(
                        format!("questions[{i}].id"),
                        "used twice for the same ticket type",
                    ));
                }
                if q.min > q.max {
                    problems.push(SettingProblem::new(
                        format!("questions[{i}].min"),
                        "longer than `max`",
                    ));
                }
            }
            problems
        })
    }

    fn guild_questions(settings: &str) -> Vec<OpeningQuestions> {
        let Ok(settings) = ticketbot_plugin_sdk::settings::<Settings>(settings) else {
            return Vec::new();
        };
        // One set per ticket type, in the order the guild wrote them.
        let mut sets: Vec<OpeningQuestions> = Vec::new();
        for q in settings.questions {
            let types: Vec<String> = if q.type_id.is_empty() {
                Vec::new()
            } else {
                vec![q.type_id.clone()]
            };
            let one = |text: &str| vec![("und".to_owned(), text.to_owned())];
            let question = Question {
                id: q.id,
                label: one(&q.label),
                placeholder: if q.placeholder.is_empty() {
                    Vec::new()
                } else {
                    one(&q.placeholder)
                },
                paragraph: q.paragraph,
                required: q.required,
                min_length: q.min,
                max_length: q.max,
                pattern: (!q.pattern.is_empty()).then_some(q.pattern),
                pattern_error: if q.pattern_error.is_empty() {
                    Vec::new()
                } else {
                    one(&q.pattern_error)
                },
            };
            match sets.iter_mut().find(|s| s.ticket_types == types) {
                Some(set) => set.questions.push(question),
                None => sets.push(OpeningQuestions {
                    ticket_types: types,
                    questions: vec![question],
                }),
            }
        }
        sets
    }
}

plugin!(Questions);
