//! Discord's markdown, parsed into a small tree that the page renders with escaping by
//! construction.
//!
//! Blocks: paragraphs, headings (`#`, `##`, `###`), subtext (`-#`), quotes (`>` per line and
//! `>>>` to the end), code blocks with a language, and ordered/unordered lists nested by
//! indentation. Inline: bold, italic (`*` and `_`), underline, strikethrough, spoilers, inline
//! code, masked links and bare links (http and https only), backslash escapes, user, role and
//! channel mentions, `@everyone`/`@here`, custom emoji and `<t:…>` timestamps.

/// An inline piece of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// A line break inside a block.
    Break,
    /// `**bold**`.
    Bold(Vec<Inline>),
    /// `*italic*` or `_italic_`.
    Italic(Vec<Inline>),
    /// `__underline__`.
    Underline(Vec<Inline>),
    /// `~~strikethrough~~`.
    Strike(Vec<Inline>),
    /// `||spoiler||`.
    Spoiler(Vec<Inline>),
    /// `` `code` ``.
    Code(String),
    /// `[label](url)` or a bare URL; only http and https become links.
    Link {
        /// What is shown.
        label: Vec<Inline>,
        /// Where it goes.
        url: String,
    },
    /// `<@id>` or `<@!id>`.
    User(u64),
    /// `<@&id>`.
    Role(u64),
    /// `<#id>`.
    Channel(u64),
    /// `@everyone` or `@here`.
    MassMention(&'static str),
    /// `<:name:id>` or `<a:name:id>`.
    Emoji {
        /// Its name.
        name: String,
        /// Its id.
        id: u64,
        /// Animated.
        animated: bool,
    },
    /// `<t:unix>` or `<t:unix:style>`.
    Timestamp {
        /// Seconds since the Unix epoch.
        unix: i64,
        /// One of `t T d D f F R` (default `f`).
        style: char,
    },
}

/// A block of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// Lines of text.
    Paragraph(Vec<Inline>),
    /// `#`, `##` or `###`.
    Heading(u8, Vec<Inline>),
    /// `-# small text`.
    Subtext(Vec<Inline>),
    /// `>` lines or `>>>` to the end.
    Quote(Vec<Block>),
    /// A fenced code block.
    Code {
        /// The language after the fence, if any.
        lang: Option<String>,
        /// The code, verbatim.
        code: String,
    },
    /// A list; each item is its own blocks (nested lists included).
    List {
        /// `1.` style.
        ordered: bool,
        /// The first number of an ordered list.
        start: u64,
        /// The items.
        items: Vec<Vec<Block>>,
    },
}

/// Parses a message's content.
pub fn parse(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.split('\n').collect();
    parse_lines(&lines, true)
}

/// Parses inline markdown only (embed titles, field names).
pub fn parse_inline(text: &str) -> Vec<Inline> {
    Inlines::new(text).parse_until(None)
}

fn parse_lines(lines: &[&str], allow_quotes: bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(parse_inline(&paragraph.join("\n"))));
            paragraph.clear();
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        // A fenced code block, which may open and close on one line.
        if let Some(rest) = line.trim_start().strip_prefix("```") {
            if let Some((block, used)) = code_block(rest, &lines[i + 1..]) {
                flush(&mut paragraph, &mut blocks);
                blocks.push(block);
                i += 1 + used;
                continue;
            }
        }
        if allow_quotes {
            if let Some(rest) = line.strip_prefix(">>> ") {
                flush(&mut paragraph, &mut blocks);
                let mut quoted = vec![rest];
                quoted.extend_from_slice(&lines[i + 1..]);
                blocks.push(Block::Quote(parse_lines(&quoted, false)));
                break;
            }
            if line.starts_with("> ") || line == ">" {
                flush(&mut paragraph, &mut blocks);
                let mut quoted = Vec::new();
                while i < lines.len() && (lines[i].starts_with("> ") || lines[i] == ">") {
                    quoted.push(lines[i].strip_prefix("> ").unwrap_or(""));
                    i += 1;
                }
                blocks.push(Block::Quote(parse_lines(&quoted, false)));
                continue;
            }
        }
        if let Some((level, rest)) = heading(line) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(level, parse_inline(rest)));
            i += 1;
            continue;
        }
        if let Some(rest) = line.strip_prefix("-# ") {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Subtext(parse_inline(rest)));
            i += 1;
            continue;
        }
        if list_item(line).is_some_and(|item| item.indent == 0) {
            flush(&mut paragraph, &mut blocks);
            let used = list(&lines[i..], &mut blocks);
            i += used;
            continue;
        }
        paragraph.push(line);
        i += 1;
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// A fenced block starting after the opening fence; returns it and how many further lines it
/// used. An unclosed fence is not a block.
fn code_block(first: &str, rest: &[&str]) -> Option<(Block, usize)> {
    if let Some(end) = first.find("```") {
        // One line: ```code```.
        let code = &first[..end];
        if code.is_empty() {
            return None;
        }
        return Some((
            Block::Code {
                lang: None,
                code: code.to_owned(),
            },
            0,
        ));
    }
    let lang = first.trim();
    let lang = (!lang.is_empty()
        && lang
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-#_.".contains(c)))
    .then(|| lang.to_ascii_lowercase());
    let mut code = Vec::new();
    if lang.is_none() && !first.trim().is_empty() {
        code.push(first);
    }
    for (used, line) in rest.iter().enumerate() {
        if let Some(end) = line.find("```") {
            if !line[..end].is_empty() {
                code.push(&line[..end]);
            }
            return Some((
                Block::Code {
                    lang,
                    code: code.join("\n"),
                },
                used + 1,
            ));
        }
        code.push(line);
    }
    None
}

fn heading(line: &str) -> Option<(u8, &str)> {
    for (level, prefix) in [(3, "### "), (2, "## "), (1, "# ")] {
        if let Some(rest) = line.strip_prefix(prefix) {
            if !rest.trim().is_empty() {
                return Some((level, rest));
            }
        }
    }
    None
}

struct ListItem<'a> {
    indent: usize,
    ordered: Option<u64>,
    text: &'a str,
}

fn list_item(line: &str) -> Option<ListItem<'_>> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    if let Some(text) = trimmed
        .strip_prefix("- ")
        .or_else(|| trimmed.strip_prefix("* "))
    {
        return Some(ListItem {
            indent,
            ordered: None,
            text,
        });
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        if let Some(text) = trimmed[digits..].strip_prefix(". ") {
            return Some(ListItem {
                indent,
                ordered: trimmed[..digits].parse().ok(),
                text,
            });
        }
    }
    None
}

/// Parses a list starting at `lines[0]`; returns how many lines it used.
fn list(lines: &[&str], blocks: &mut Vec<Block>) -> usize {
    let first = list_item(lines[0]).expect("called on a list item");
    let ordered = first.ordered.is_some();
    let start = first.ordered.unwrap_or(1);
    let mut items: Vec<Vec<&str>> = Vec::new();
    let mut used = 0;
    for line in lines {
        match list_item(line) {
            Some(item) if item.indent == 0 => {
                if item.ordered.is_some() != ordered {
                    break;
                }
                items.push(vec![item.text]);
            }
            // Indented items and continuation lines belong to the current item, unindented.
            Some(_) => items
                .last_mut()
                .expect("an item came first")
                .push(line.get(2..).unwrap_or("").trim_end()),
            None if line.starts_with("  ") && !line.trim().is_empty() => items
                .last_mut()
                .expect("an item came first")
                .push(&line[2..]),
            None => break,
        }
        used += 1;
    }
    let items = items
        .into_iter()
        .map(|lines| {
            let (text, nested) = lines.split_first().expect("items have a line");
            let mut blocks = vec![Block::Paragraph(parse_inline(text))];
            blocks.extend(parse_lines(nested, false));
            blocks
        })
        .collect();
    blocks.push(Block::List {
        ordered,
        start,
        items,
    });
    used
}

/// Characters a backslash makes literal.
const ESCAPABLE: &str = "\\*_~`|>[]()<#@:-.!";

struct Inlines<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Inlines<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Parses until `close` (consumed) or the end.
    fn parse_until(&mut self, close: Option<&str>) -> Vec<Inline> {
        let mut out: Vec<Inline> = Vec::new();
        let mut text = String::new();
        let push_text = |text: &mut String, out: &mut Vec<Inline>| {
            if !text.is_empty() {
                out.push(Inline::Text(std::mem::take(text)));
            }
        };
        while self.pos < self.text.len() {
            let rest = self.rest();
            if let Some(close) = close {
                if rest.starts_with(close) {
                    self.pos += close.len();
                    break;
                }
            }
            if let Some(parsed) = self.special(rest) {
                push_text(&mut text, &mut out);
                out.push(parsed);
                continue;
            }
            let c = rest.chars().next().expect("not at the end");
            if c == '\\' {
                if let Some(next) = rest[1..].chars().next().filter(|n| ESCAPABLE.contains(*n)) {
                    text.push(next);
                    self.pos += 1 + next.len_utf8();
                    continue;
                }
            }
            if c == '\n' {
                push_text(&mut text, &mut out);
                out.push(Inline::Break);
            } else {
                text.push(c);
            }
            self.pos += c.len_utf8();
        }
        push_text(&mut text, &mut out);
        out
    }

    /// A construct starting at `rest`, consumed if found.
    fn special(&mut self, rest: &'a str) -> Option<Inline> {
        let first = rest.as_bytes()[0];
        match first {
            b'`' => self.code(rest),
            b'|' => self.pair(rest, "||", Inline::Spoiler),
            b'*' if rest.starts_with("**") => self.pair(rest, "**", Inline::Bold),
            b'*' => self.pair(rest, "*", Inline::Italic),
            b'_' if rest.starts_with("__") => self.pair(rest, "__", Inline::Underline),
            b'_' => self.underscore_italic(rest),
            b'~' => self.pair(rest, "~~", Inline::Strike),
            b'[' => self.masked_link(rest),
            b'<' => self.angle(rest),
            b'@' => self.mass_mention(rest),
            b'h' => self.bare_link(rest),
            _ => None,
        }
    }

    fn code(&mut self, rest: &str) -> Option<Inline> {
        let ticks = if rest.starts_with("``") { 2 } else { 1 };
        let fence = &rest[..ticks];
        let end = rest[ticks..].find(fence)?;
        let code = &rest[ticks..ticks + end];
        if code.is_empty() {
            return None;
        }
        self.pos += ticks * 2 + end;
        Some(Inline::Code(code.trim_matches(' ').to_owned()))
    }

    /// `delim inner delim`, the closer being the last of a run of the delimiter's character.
    fn pair(&mut self, rest: &str, delim: &str, make: fn(Vec<Inline>) -> Inline) -> Option<Inline> {
        if !rest.starts_with(delim) {
            return None;
        }
        let inner_start = delim.len();
        let close = find_closer(&rest[inner_start..], delim)? + inner_start;
        if close == inner_start {
            return None;
        }
        let inner = &rest[inner_start..close];
        self.pos += close + delim.len();
        Some(make(Inlines::new(inner).parse_until(None)))
    }

    /// `_italic_` only between word boundaries, so `snake_case_names` stay text.
    fn underscore_italic(&mut self, rest: &str) -> Option<Inline> {
        let before = self.text[..self.pos].chars().next_back();
        if before.is_some_and(char::is_alphanumeric) {
            return None;
        }
        let close = find_closer(&rest[1..], "_")? + 1;
        let after = rest[close + 1..].chars().next();
        if close == 1 || after.is_some_and(char::is_alphanumeric) {
            return None;
        }
        let inner = &rest[1..close];
        self.pos += close + 1;
        Some(Inline::Italic(Inlines::new(inner).parse_until(None)))
    }

    fn masked_link(&mut self, rest: &str) -> Option<Inline> {
        let label_end = rest.find("](")?;
        let label = &rest[1..label_end];
        let after = &rest[label_end + 2..];
        let url_end = after.find(')')?;
        let url = after[..url_end]
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        if label.is_empty() || label.contains('\n') || !is_web_url(url) {
            return None;
        }
        let url = url.to_owned();
        self.pos += label_end + 2 + url_end + 1;
        // No link inside a link's label.
        let label = strip_links(Inlines::new(label).parse_until(None));
        Some(Inline::Link { label, url })
    }

    fn angle(&mut self, rest: &str) -> Option<Inline> {
        let end = rest.find('>')?;
        let inside = &rest[1..end];
        let id = |s: &str| s.parse::<u64>().ok().filter(|id| *id > 0);
        let parsed = if let Some(user) = inside
            .strip_prefix("@!")
            .or_else(|| inside.strip_prefix('@'))
            .and_then(id)
        {
            Inline::User(user)
        } else if let Some(role) = inside.strip_prefix("@&").and_then(id) {
            Inline::Role(role)
        } else if let Some(channel) = inside.strip_prefix('#').and_then(id) {
            Inline::Channel(channel)
        } else if let Some(ts) = inside.strip_prefix("t:") {
            let (unix, style) = match ts.split_once(':') {
                Some((unix, style)) => (unix, style),
                None => (ts, "f"),
            };
            let style = style
                .chars()
                .next()
                .filter(|s| "tTdDfFR".contains(*s) && style.len() == 1)?;
            Inline::Timestamp {
                unix: unix.parse().ok()?,
                style,
            }
        } else if let Some(emoji) = inside
            .strip_prefix(':')
            .map(|e| (e, false))
            .or_else(|| inside.strip_prefix("a:").map(|e| (e, true)))
        {
            let (name, emoji_id) = emoji.0.split_once(':')?;
            let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            Inline::Emoji {
                name: valid.then(|| name.to_owned())?,
                id: id(emoji_id)?,
                animated: emoji.1,
            }
        } else if is_web_url(inside) && !inside.contains(char::is_whitespace) {
            // <https://…>: a link without a preview.
            Inline::Link {
                label: vec![Inline::Text(inside.to_owned())],
                url: inside.to_owned(),
            }
        } else {
            return None;
        };
        self.pos += end + 1;
        Some(parsed)
    }

    fn mass_mention(&mut self, rest: &str) -> Option<Inline> {
        for word in ["@everyone", "@here"] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Some(Inline::MassMention(if word == "@here" {
                    "@here"
                } else {
                    "@everyone"
                }));
            }
        }
        None
    }

    fn bare_link(&mut self, rest: &str) -> Option<Inline> {
        if !(rest.starts_with("https://") || rest.starts_with("http://")) {
            return None;
        }
        let before = self.text[..self.pos].chars().next_back();
        if before.is_some_and(char::is_alphanumeric) {
            return None;
        }
        let mut end = rest
            .find(|c: char| c.is_whitespace() || c == '<')
            .unwrap_or(rest.len());
        // Trailing punctuation is the sentence's, not the link's.
        while end > 0 && rest[..end].ends_with(['.', ',', ':', ';', '!', '?', ')', '"', '\'']) {
            end -= 1;
        }
        let url = &rest[..end];
        if url.len() <= "https://".len() {
            return None;
        }
        self.pos += end;
        Some(Inline::Link {
            label: vec![Inline::Text(url.to_owned())],
            url: url.to_owned(),
        })
    }
}

/// The index of the closing `delim` in `text`: the first occurrence not escaped, moved to the
/// end of a longer run of the same character (`***x***` closes bold after the italic).
fn find_closer(text: &str, delim: &str) -> Option<usize> {
    let c = delim.as_bytes()[0];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + delim.len() <= bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if text[i..].starts_with(delim) {
            let mut run_end = i;
            while run_end < bytes.len() && bytes[run_end] == c {
                run_end += 1;
            }
            let at = run_end - delim.len();
            if at > 0 || delim.len() == 1 {
                return Some(at);
            }
            i = run_end;
            continue;
        }
        i += 1;
    }
    None
}

fn strip_links(inlines: Vec<Inline>) -> Vec<Inline> {
    inlines
        .into_iter()
        .flat_map(|inline| match inline {
            Inline::Link { label, .. } => label,
            other => vec![other],
        })
        .collect()
}

/// Only http and https URLs may become links.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() > lower.find("//").unwrap_or(0) + 2
        && !url
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\'' || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::Block::*;
    use super::Inline::*;
    use super::*;

    fn t(s: &str) -> Inline {
        Text(s.to_owned())
    }

    fn inline(s: &str) -> Vec<Inline> {
        parse_inline(s)
    }

    #[test]
    fn emphasis_and_its_edges() {
        assert_eq!(
            inline("**b** *i* __u__ ~~s~~ ||x||"),
            vec![
                Bold(vec![t("b")]),
                t(" "),
                Italic(vec![t("i")]),
                t(" "),
                Underline(vec![t("u")]),
                t(" "),
                Strike(vec![t("s")]),
                t(" "),
                Spoiler(vec![t("x")])
            ]
        );
        assert_eq!(
            inline("***both***"),
            vec![Bold(vec![Italic(vec![t("both")])])]
        );
        assert_eq!(
            inline("__*ui*__"),
            vec![Underline(vec![Italic(vec![t("ui")])])]
        );
        assert_eq!(inline("snake_case_name"), vec![t("snake_case_name")]);
        assert_eq!(inline("_it_"), vec![Italic(vec![t("it")])]);
        assert_eq!(inline("2 * 3 = 6"), vec![t("2 * 3 = 6")]);
        assert_eq!(inline("**unclosed"), vec![t("**unclosed")]);
        assert_eq!(inline("\\*not italic\\*"), vec![t("*not italic*")]);
        assert_eq!(inline("`**code**`"), vec![Inline::Code("**code**".into())]);
        assert_eq!(inline("``a ` b``"), vec![Inline::Code("a ` b".into())]);
    }

    #[test]
    fn links_only_for_the_web() {
        assert_eq!(
            inline("[site](https://example.com/a?b=c)"),
            vec![Link {
                label: vec![t("site")],
                url: "https://example.com/a?b=c".into()
            }]
        );
        assert_eq!(
            inline("[x](javascript:alert(1))"),
            vec![t("[x](javascript:alert(1))")]
        );
        assert_eq!(
            inline("[x](data:text/html,hi)"),
            vec![t("[x](data:text/html,hi)")]
        );
        assert_eq!(
            inline("see https://a.io/x."),
            vec![
                t("see "),
                Link {
                    label: vec![t("https://a.io/x")],
                    url: "https://a.io/x".into()
                },
                t(".")
            ]
        );
        assert_eq!(
            inline("<https://a.io>"),
            vec![Link {
                label: vec![t("https://a.io")],
                url: "https://a.io".into()
            }]
        );
        for inline in
            inline("[[in](https://b.io)](https://a.io) [**[x](https://c.io)**](https://d.io)")
        {
            if let Link { label, .. } = inline {
                assert!(
                    !format!("{label:?}").contains("Link"),
                    "no link in a link: {label:?}"
                );
            }
        }
    }

    #[test]
    fn mentions_emoji_and_time() {
        assert_eq!(
            inline("<@1> <@!2> <@&3> <#4> @here"),
            vec![
                User(1),
                t(" "),
                User(2),
                t(" "),
                Role(3),
                t(" "),
                Channel(4),
                t(" "),
                MassMention("@here")
            ]
        );
        assert_eq!(
            inline("<:pog:5><a:dance:6>"),
            vec![
                Emoji {
                    name: "pog".into(),
                    id: 5,
                    animated: false
                },
                Emoji {
                    name: "dance".into(),
                    id: 6,
                    animated: true
                }
            ]
        );
        assert_eq!(
            inline("<t:1700000000:R> <t:1700000000>"),
            vec![
                Timestamp {
                    unix: 1_700_000_000,
                    style: 'R'
                },
                t(" "),
                Timestamp {
                    unix: 1_700_000_000,
                    style: 'f'
                }
            ]
        );
        assert_eq!(
            inline("<t:17:Z> <@x> <script>"),
            vec![t("<t:17:Z> <@x> <script>")]
        );
    }

    #[test]
    fn blocks() {
        assert_eq!(
            parse("# Title\ntext\n-# small"),
            vec![
                Heading(1, vec![t("Title")]),
                Paragraph(vec![t("text")]),
                Subtext(vec![t("small")])
            ]
        );
        assert_eq!(
            parse("> a\n> b\nc"),
            vec![
                Quote(vec![Paragraph(vec![t("a"), Break, t("b")])]),
                Paragraph(vec![t("c")])
            ]
        );
        assert_eq!(
            parse(">>> all\nof it"),
            vec![Quote(vec![Paragraph(vec![t("all"), Break, t("of it")])])]
        );
        assert_eq!(
            parse("```rust\nfn main() {}\n```"),
            vec![Block::Code {
                lang: Some("rust".into()),
                code: "fn main() {}".into()
            }]
        );
        assert_eq!(
            parse("```one line```"),
            vec![Block::Code {
                lang: None,
                code: "one line".into()
            }]
        );
        assert_eq!(
            parse("```\nunclosed"),
            vec![Paragraph(vec![t("```"), Break, t("unclosed")])]
        );
        assert_eq!(
            parse("- a\n  - b\n- c\n1. one"),
            vec![
                List {
                    ordered: false,
                    start: 1,
                    items: vec![
                        vec![
                            Paragraph(vec![t("a")]),
                            List {
                                ordered: false,
                                start: 1,
                                items: vec![vec![Paragraph(vec![t("b")])]]
                            }
                        ],
                        vec![Paragraph(vec![t("c")])],
                    ]
                },
                List {
                    ordered: true,
                    start: 1,
                    items: vec![vec![Paragraph(vec![t("one")])]]
                },
            ]
        );
        assert_eq!(
            parse("3. three\n4. four"),
            vec![List {
                ordered: true,
                start: 3,
                items: vec![
                    vec![Paragraph(vec![t("three")])],
                    vec![Paragraph(vec![t("four")])]
                ]
            }]
        );
    }
}
