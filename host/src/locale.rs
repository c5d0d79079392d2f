//! Every text users see, per language: Fluent catalogues in `host/locales/`, with per-guild
//! overrides from the config.
//!
//! [`Texts`] is what the rest of the bot uses: `texts.get("panel-title", &[])`.

use std::fmt;
use std::str::FromStr;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// A language the bot speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Brazilian Portuguese, the original bot's language.
    #[default]
    PtBr,
    /// English.
    En,
}

impl Locale {
    /// Every shipped locale.
    pub const ALL: [Locale; 2] = [Locale::PtBr, Locale::En];

    /// The BCP 47 tag, as Discord names locales.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::PtBr => "pt-BR",
            Locale::En => "en",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Locale::PtBr => include_str!("../locales/pt-BR.ftl"),
            Locale::En => include_str!("../locales/en.ftl"),
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Locale {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "pt-br" | "pt" => Ok(Locale::PtBr),
            "en" | "en-us" | "en-gb" => Ok(Locale::En),
            _ => Err(()),
        }
    }
}

/// A compiled catalogue: one locale's texts plus a guild's overrides.
pub struct Catalogue {
    bundle: FluentBundle<FluentResource>,
}

impl fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalogue").finish_non_exhaustive()
    }
}

fn resource(key: &str, text: &str) -> Result<FluentResource, String> {
    // Fluent continues a multi-line value on indented lines.
    let body = text.replace('\n', "\n    ");
    FluentResource::try_new(format!("{key} = {body}\n")).map_err(|(_, errors)| {
        let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
        format!("not a valid text ({first}); variables are written {{ $name }}")
    })
}

impl Catalogue {
    /// The shipped texts of `locale`.
    pub fn builtin(locale: Locale) -> Self {
        let lang: LanguageIdentifier = locale.tag().parse().expect("shipped locale tags are valid");
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // Discord shows the isolation marks Fluent puts around variables as stray characters.
        bundle.set_use_isolating(false);
        let shipped = FluentResource::try_new(locale.source().to_owned())
            .expect("shipped catalogues parse (checked by tests)");
        bundle
            .add_resource(shipped)
            .expect("shipped catalogues have no duplicate keys");
        Self { bundle }
    }

    /// Whether `key` names a text.
    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    /// Checks that an override is valid Fluent text.
    pub fn check_override(key: &str, text: &str) -> Result<(), String> {
        resource(key, text).map(drop)
    }

    /// Replaces the text of `key` (the override was checked when the config was loaded).
    pub fn override_text(&mut self, key: &str, text: &str) {
        if let Ok(res) = resource(key, text) {
            self.bundle.add_resource_overriding(res);
        }
    }

    /// The text of `key` with `args`; a missing key yields the key itself, so a gap is visible
    /// rather than silent.
    pub fn get(&self, key: &str, args: &[(&str, &str)]) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        let mut errors = Vec::new();
        let text = self
            .bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "text formatted with errors");
        }
        text.into_owned()
    }

    /// Every key of the shipped catalogue, for tests.
    pub fn keys(locale: Locale) -> Vec<String> {
        let resource =
            FluentResource::try_new(locale.source().to_owned()).expect("shipped catalogues parse");
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }
}

/// A guild's texts: its locale's catalogue with its overrides applied.
pub type Texts = Catalogue;

/// Builds the texts for a guild.
pub fn texts_for(locale: Locale, overrides: &std::collections::BTreeMap<String, String>) -> Texts {
    let mut catalogue = Catalogue::builtin(locale);
    for (key, text) in overrides {
        catalogue.override_text(key, text);
    }
    catalogue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_the_same_keys() {
        let mut reference = Catalogue::keys(Locale::En);
        reference.sort();
        for locale in Locale::ALL {
            let mut keys = Catalogue::keys(locale);
            keys.sort();
            assert_eq!(keys, reference, "{locale} differs from en");
        }
    }

    #[test]
    fn variables_and_overrides() {
        let mut texts = Catalogue::builtin(Locale::En);
        assert_eq!(
            texts.get("panel-posted", &[("channel", "<#1>")]),
            "The ticket panel was posted in <#1>."
        );
        texts.override_text("panel-title", "Ajuda { $x }\nsegunda linha");
        assert_eq!(
            texts.get("panel-title", &[("x", "já")]),
            "Ajuda já\nsegunda linha"
        );
        assert!(Catalogue::check_override("panel-title", "broken { $").is_err());
        assert_eq!(texts.get("no-such-key", &[]), "no-such-key");
    }

    #[test]
    fn locale_tags_round_trip() {
        for locale in Locale::ALL {
            assert_eq!(locale.tag().parse::<Locale>(), Ok(locale));
        }
        assert!("xx".parse::<Locale>().is_err());
    }
}
