//! The plugin contract: one generated binding per released WIT version (`wit/<version>/`), and
//! the conversions between them.
//!
//! The lifecycle speaks only the newest version's plain types (re-exported here: manifest,
//! context, event, outcome, effect). A plugin built against an older version is called through
//! its own binding: what the host sends is narrowed to that version ([`upgrade`]'s `down`
//! functions) and what the plugin returns is widened to the newest types. Only the rest of the
//! `plugins` module touches wasmtime itself.

pub mod upgrade;
pub mod v0_1;
pub mod v0_2;

pub use v0_2::ticketbot::plugin::types::*;

/// A released version of the contract. Each has a frozen WIT folder and a binding module; the
/// last is the one the lifecycle speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// `ticketbot:plugin@0.1.0`: the first contract.
    V0_1,
    /// `ticketbot:plugin@0.2.0`: localised manifests, a settings schema, opening questions,
    /// more events and effects, outbound HTTP.
    V0_2,
}

impl Version {
    /// Every version the host links, oldest first.
    pub const ALL: [Version; 2] = [Version::V0_1, Version::V0_2];
    /// The version the lifecycle speaks and new plugins are built against.
    pub const CURRENT: Version = Version::V0_2;

    /// The package version, as in the WIT file and the exported interface's name.
    pub fn tag(self) -> &'static str {
        match self {
            Version::V0_1 => "0.1.0",
            Version::V0_2 => "0.2.0",
        }
    }

    /// The version a guest's exported interface names: a released one with the same major
    /// (for 0.x, the same minor) version and no newer patch; `None` for anything else.
    pub fn of_guest(found: &str) -> Option<Version> {
        let parse = |v: &str| -> Option<(u64, u64, u64)> {
            let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
            let version = (parts.next()??, parts.next()??, parts.next()??);
            parts.next().is_none().then_some(version)
        };
        let (gm, gn, gp) = parse(found)?;
        Version::ALL.into_iter().find(|v| {
            let (hm, hn, hp) = parse(v.tag()).expect("our own tags parse");
            if hm == 0 {
                gm == 0 && gn == hn && gp <= hp
            } else {
                gm == hm && gn == hn && gp <= hp
            }
        })
    }
}

/// The name under which a guest exports its `plugin` interface, without the version.
pub const EXPORT_PREFIX: &str = "ticketbot:plugin/plugin@";

/// A text in several languages, as (BCP 47 tag, text) pairs.
pub type Localized = Vec<(String, String)>;

/// The text of `localized` for `locale`: the same tag, then the same language, then the first
/// pair; empty when there is none.
pub fn pick<'a>(localized: &'a [(String, String)], locale: &str) -> &'a str {
    let language = |tag: &str| {
        tag.split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    localized
        .iter()
        .find(|(tag, _)| tag.eq_ignore_ascii_case(locale))
        .or_else(|| {
            localized
                .iter()
                .find(|(tag, _)| language(tag) == language(locale))
        })
        .or_else(|| localized.first())
        .map_or("", |(_, text)| text.as_str())
}

/// One text for every language (what a 0.1 plugin gave).
pub fn untranslated(text: impl Into<String>) -> Localized {
    vec![("und".to_owned(), text.into())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_versions() {
        assert_eq!(Version::of_guest("0.1.0"), Some(Version::V0_1));
        assert_eq!(Version::of_guest("0.2.0"), Some(Version::V0_2));
        assert_eq!(
            Version::of_guest("0.2.1"),
            None,
            "a newer patch than we know"
        );
        assert_eq!(Version::of_guest("0.3.0"), None);
        assert_eq!(Version::of_guest("1.0.0"), None);
        assert_eq!(Version::of_guest("0.2"), None);
        assert_eq!(Version::of_guest("0.2.0.1"), None);
        assert_eq!(Version::of_guest("x"), None);
    }

    /// The versions here are exactly the frozen folders of `wit/`, each declaring its own
    /// version: the one place a version is written is the WIT file, checked against this list.
    #[test]
    fn every_wit_folder_has_a_binding() {
        let wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
        let mut folders: Vec<String> = std::fs::read_dir(&wit)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        folders.sort();
        let tags: Vec<String> = Version::ALL.iter().map(|v| v.tag().to_owned()).collect();
        assert_eq!(folders, tags);
        for version in Version::ALL {
            let text = std::fs::read_to_string(wit.join(version.tag()).join("plugin.wit")).unwrap();
            assert!(
                text.contains(&format!("package ticketbot:plugin@{};", version.tag())),
                "wit/{}/plugin.wit declares another version",
                version.tag()
            );
        }
        assert_eq!(Version::CURRENT, *Version::ALL.last().unwrap());
    }

    #[test]
    fn picking_a_language() {
        let texts: Localized = vec![
            ("en".into(), "Poke".into()),
            ("pt-BR".into(), "Cutucar".into()),
        ];
        assert_eq!(pick(&texts, "pt-BR"), "Cutucar");
        assert_eq!(pick(&texts, "pt-PT"), "Cutucar");
        assert_eq!(pick(&texts, "en-US"), "Poke");
        assert_eq!(pick(&texts, "de"), "Poke");
        assert_eq!(pick(&[], "de"), "");
        assert_eq!(pick(&untranslated("Ação"), "en"), "Ação");
    }
}
