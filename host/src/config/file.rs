//! The config file as text: maps key paths and byte offsets to lines, for error messages.
//!
//! [`SourceFile`] keeps the parsed `toml_edit` document, whose items remember their spans, so
//! every problem found later (unknown key, bad value, failed check) can name file, line and key.

use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item};

/// One step of a key path: a table key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A key in a table.
    Key(String),
    /// A position in an array (of tables).
    Index(usize),
}

/// A path to a setting, e.g. `guild[0].ticket_type[1].label`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    /// This path extended by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path extended by an index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A problem in a config file, located by line and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The key the problem is about.
    pub key: String,
    /// What is wrong, and where useful, what would be right.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.key,
            self.message
        )
    }
}

/// The config text and its spanned document.
pub struct SourceFile {
    path: PathBuf,
    text: String,
    document: Option<Document<String>>,
}

impl SourceFile {
    /// Parses `text` read from `path`; a syntax error is returned as a located problem.
    pub fn parse(path: &Path, text: String) -> Result<Self, Problem> {
        match Document::parse(text.clone()) {
            Ok(document) => Ok(Self {
                path: path.to_owned(),
                text,
                document: Some(document),
            }),
            Err(error) => {
                let file = Self {
                    path: path.to_owned(),
                    text,
                    document: None,
                };
                let offset = error.span().map_or(0, |s| s.start);
                let message = error.message().trim().to_owned();
                Err(file.problem_at(offset, "TOML syntax".into(), message))
            }
        }
    }

    /// The raw text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A problem at a byte offset, naming the innermost key there.
    pub fn problem_at_offset(&self, offset: usize, message: String) -> Problem {
        let key = self.key_at(offset).to_string();
        self.problem_at(offset, key, message)
    }

    /// A problem about the setting at `path` (or its nearest existing parent).
    pub fn problem(&self, path: &KeyPath, message: impl Into<String>) -> Problem {
        let offset = self.span_of(path).unwrap_or(0);
        self.problem_at(offset, path.to_string(), message.into())
    }

    fn problem_at(&self, offset: usize, key: String, message: String) -> Problem {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Problem {
            file: self.path.clone(),
            line,
            column,
            key,
            message,
        }
    }

    /// The start of the key (or value) at `path`, falling back to the deepest parent found.
    fn span_of(&self, path: &KeyPath) -> Option<usize> {
        let document = self.document.as_ref()?;
        let mut current: &Item = document.as_item();
        let mut best = None;
        for segment in &path.0 {
            let (key_span, next) = match segment {
                Segment::Key(key) => {
                    let Some((k, v)) = current.as_table_like().and_then(|t| t.get_key_value(key))
                    else {
                        break;
                    };
                    (k.span(), v)
                }
                Segment::Index(index) => {
                    let Some(v) = current.get(*index) else { break };
                    (None, v)
                }
            };
            best = key_span.or_else(|| next.span()).map(|s| s.start).or(best);
            current = next;
        }
        best
    }

    /// The innermost key path whose key or value contains `offset`.
    fn key_at(&self, offset: usize) -> KeyPath {
        let Some(document) = self.document.as_ref() else {
            return KeyPath::default();
        };
        let mut path = KeyPath::default();
        descend(document.as_table(), offset, &mut path);
        path
    }
}

fn contains(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

/// Whether `item` (with its key span) covers `offset`; tables also cover their keys' spans,
/// since a table header and its keys are apart in the text.
fn covers(item: &Item, key_span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    if contains(key_span, offset) || contains(item.span(), offset) {
        return true;
    }
    match item.as_table_like() {
        Some(table) => table
            .iter()
            .any(|(k, v)| covers(v, table.key(k).and_then(|k| k.span()), offset)),
        None => false,
    }
}

fn descend(table: &dyn toml_edit::TableLike, offset: usize, path: &mut KeyPath) {
    for (key, item) in table.iter() {
        if let Some(tables) = item.as_array_of_tables() {
            if let Some((i, t)) = tables.iter().enumerate().find(|(_, t)| {
                contains(t.span(), offset)
                    || t.iter()
                        .any(|(k, v)| covers(v, t.key(k).and_then(|k| k.span()), offset))
            }) {
                path.0.push(Segment::Key(key.to_owned()));
                path.0.push(Segment::Index(i));
                descend(t, offset, path);
                return;
            }
            continue;
        }
        if covers(item, table.key(key).and_then(|k| k.span()), offset) {
            path.0.push(Segment::Key(key.to_owned()));
            if let Some(sub) = item.as_table_like() {
                descend(sub, offset, path);
            }
            return;
        }
    }
}
