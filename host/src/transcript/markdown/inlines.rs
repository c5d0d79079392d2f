//! Inline markdown: emphasis, code, links, mentions, emoji and timestamps, in time linear in
//! the text and with nesting bounded by [`MAX_DEPTH`].
//!
//! The parser works on ranges of one text. A construct that nests (bold, a link's label, …)
//! parses its inside as a sub-range one level deeper; every search for a closer is a lookup in
//! [`Scan`]'s tables rather than a scan of the rest, so a failed opener costs O(1) and no byte
//! is parsed more than once per nesting level.
//!
//! Slicing: every range boundary is either the text's start or end, a position the parser
//! reached by stepping over whole characters, or a position [`Scan`] returned (always an ASCII
//! byte, so a character boundary). [`Parser::slice`] still checks, and degrades to no markup
//! rather than panicking if that reasoning were ever wrong.

use std::collections::HashMap;

use super::scan::{Find, Scan, ESCAPABLE};
use super::{is_web_url, Inline};

/// Deepest nesting of emphasis, spoilers and link labels; deeper openers stay text. Discord
/// itself shows no more than a few levels; the bound keeps recursion and work per byte small.
pub const MAX_DEPTH: usize = 12;

/// Parses `text` as inline markdown.
pub(super) fn parse(text: &str) -> Vec<Inline> {
    if u32::try_from(text.len()).is_err() {
        // Offsets in the tables are u32: 4 GiB of text is shown without markup.
        return vec![Inline::Text(text.to_owned())];
    }
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        scan: Scan::new(text),
        urls: HashMap::new(),
    };
    parser.range(0, text.len(), 0)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    scan: Scan<'a>,
    /// Masked-link URLs already checked, by where they start: many `[` can share one `](`.
    urls: HashMap<usize, Option<String>>,
}

/// Bytes that may start a construct or need care; everything else is copied in bulk.
fn is_special(b: u8) -> bool {
    matches!(
        b,
        b'`' | b'|' | b'*' | b'_' | b'~' | b'[' | b'<' | b'@' | b'h' | b'\\' | b'\n'
    )
}

impl<'a> Parser<'a> {
    /// `text[start..end]`, or `None` if either end is not a character boundary (which the
    /// module's reasoning says cannot happen).
    fn slice(&self, start: usize, end: usize) -> Option<&'a str> {
        self.text.get(start..end)
    }

    /// The character just before `pos`, if `pos` is past `start`.
    fn before(&self, start: usize, pos: usize) -> Option<char> {
        (pos > start)
            .then(|| self.slice(start, pos))
            .flatten()
            .and_then(|s| s.chars().next_back())
    }

    /// Parses `text[start..end]` at nesting `depth`.
    fn range(&mut self, start: usize, end: usize, depth: usize) -> Vec<Inline> {
        let mut out: Vec<Inline> = Vec::new();
        let mut text = String::new();
        let flush = |text: &mut String, out: &mut Vec<Inline>| {
            if !text.is_empty() {
                out.push(Inline::Text(std::mem::take(text)));
            }
        };
        let mut pos = start;
        while pos < end {
            let b = self.bytes[pos];
            if !is_special(b) {
                // Up to the next special byte (ASCII, so a boundary), copied at once.
                let next = self.bytes[pos..end]
                    .iter()
                    .position(|b| is_special(*b))
                    .map_or(end, |n| pos + n);
                match self.slice(pos, next) {
                    Some(plain) => text.push_str(plain),
                    None => text.push_str(&String::from_utf8_lossy(&self.bytes[pos..next])),
                }
                pos = next;
                continue;
            }
            if let Some((inline, next)) = self.construct(start, pos, end, depth) {
                flush(&mut text, &mut out);
                out.push(inline);
                pos = next;
                continue;
            }
            match b {
                b'\\' => {
                    // A backslash is one byte, so `pos + 1` is a boundary.
                    let escaped = self
                        .slice(pos + 1, end)
                        .and_then(|s| s.chars().next())
                        .filter(|c| ESCAPABLE.contains(*c));
                    match escaped {
                        Some(c) => {
                            text.push(c);
                            pos += 1 + c.len_utf8();
                        }
                        None => {
                            text.push('\\');
                            pos += 1;
                        }
                    }
                }
                b'\n' => {
                    flush(&mut text, &mut out);
                    out.push(Inline::Break);
                    pos += 1;
                }
                // Every other special byte is ASCII: one character of one byte.
                other => {
                    text.push(char::from(other));
                    pos += 1;
                }
            }
        }
        flush(&mut text, &mut out);
        out
    }

    /// A construct starting at `pos` in `start..end`: what it is and where the text goes on.
    fn construct(
        &mut self,
        start: usize,
        pos: usize,
        end: usize,
        depth: usize,
    ) -> Option<(Inline, usize)> {
        let next_is = |c: u8| pos + 1 < end && self.bytes[pos + 1] == c;
        match self.bytes[pos] {
            b'`' => self.code(pos, end),
            b'|' if next_is(b'|') => self.pair(pos, end, depth, b'|', 2, Inline::Spoiler),
            b'*' if next_is(b'*') => self.pair(pos, end, depth, b'*', 2, Inline::Bold),
            b'*' => self.pair(pos, end, depth, b'*', 1, Inline::Italic),
            b'_' if next_is(b'_') => self.pair(pos, end, depth, b'_', 2, Inline::Underline),
            b'_' => self.underscore_italic(start, pos, end, depth),
            b'~' if next_is(b'~') => self.pair(pos, end, depth, b'~', 2, Inline::Strike),
            b'[' => self.masked_link(pos, end, depth),
            b'<' => self.angle(pos, end),
            b'@' => self.mass_mention(pos, end),
            b'h' => self.bare_link(start, pos, end),
            _ => None,
        }
    }

    /// `` `code` `` or ``` ``code`` ```: verbatim up to the same fence.
    fn code(&mut self, pos: usize, end: usize) -> Option<(Inline, usize)> {
        let ticks = if pos + 1 < end && self.bytes[pos + 1] == b'`' {
            2
        } else {
            1
        };
        let close = if ticks == 1 {
            self.scan.next(Find::Tick, pos + 1)
        } else {
            self.scan.next(Find::DoubleTick, pos + 2)
        };
        if close + ticks > end || close == pos + ticks {
            return None;
        }
        let code = self.slice(pos + ticks, close)?;
        Some((
            Inline::Code(code.trim_matches(' ').to_owned()),
            close + ticks,
        ))
    }

    /// `delim inner delim` where the delimiter is `len` (1 or 2) of byte `c`. The closer is the
    /// first unescaped delimiter, moved to the end of a longer run of `c` (`***x***` closes the
    /// bold after the italic).
    fn pair(
        &mut self,
        pos: usize,
        end: usize,
        depth: usize,
        c: u8,
        len: usize,
        make: fn(Vec<Inline>) -> Inline,
    ) -> Option<(Inline, usize)> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let inner = pos + len;
        let mut from = inner;
        // At most two rounds: a run right at the start that is only the delimiter is skipped
        // once; any later run starts past the inside's start.
        for _ in 0..2 {
            let found = if len == 1 {
                self.scan.next(Find::Single(c), from)
            } else {
                self.scan.next(Find::Double(c), from)
            };
            if found + len > end {
                return None;
            }
            let close = self.scan.run_end(found).min(end) - len;
            if close > inner {
                let content = self.range(inner, close, depth + 1);
                return Some((make(content), close + len));
            }
            if len == 1 {
                return None;
            }
            from = close + len;
        }
        None
    }

    /// `_italic_` only between word boundaries, so `snake_case_names` stay text.
    fn underscore_italic(
        &mut self,
        start: usize,
        pos: usize,
        end: usize,
        depth: usize,
    ) -> Option<(Inline, usize)> {
        if depth >= MAX_DEPTH || self.before(start, pos).is_some_and(char::is_alphanumeric) {
            return None;
        }
        let found = self.scan.next(Find::Single(b'_'), pos + 1);
        if found >= end {
            return None;
        }
        let close = self.scan.run_end(found).min(end) - 1;
        let after = self.slice(close + 1, end).and_then(|s| s.chars().next());
        if close <= pos + 1 || after.is_some_and(char::is_alphanumeric) {
            return None;
        }
        let content = self.range(pos + 1, close, depth + 1);
        Some((Inline::Italic(content), close + 1))
    }

    /// `[label](url)`, where the URL is http(s); a link's label holds no link.
    fn masked_link(&mut self, pos: usize, end: usize, depth: usize) -> Option<(Inline, usize)> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let middle = self.scan.next(Find::LinkMiddle, pos + 1);
        let url_start = middle + 2;
        let url_end = self.scan.next(Find::CloseParen, url_start);
        if url_end >= end || middle == pos + 1 || self.scan.next(Find::Newline, pos + 1) < middle {
            return None;
        }
        let url = self.link_url(url_start, url_end)?;
        let label = strip_links(self.range(pos + 1, middle, depth + 1));
        Some((Inline::Link { label, url }, url_end + 1))
    }

    /// The URL of a masked link between `start` and `end`, checked once per start. A URL that
    /// contains another `](` is refused: it would be checked again for every link inside it.
    fn link_url(&mut self, start: usize, end: usize) -> Option<String> {
        if let Some(known) = self.urls.get(&start) {
            return known.clone();
        }
        let url = (self.scan.next(Find::LinkMiddle, start) >= end)
            .then(|| self.slice(start, end))
            .flatten()
            .map(|raw| {
                raw.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
            .filter(|url| is_web_url(url));
        self.urls.insert(start, url.clone());
        url
    }

    /// `<@user>`, `<@!user>`, `<@&role>`, `<#channel>`, `<t:unix[:style]>`, `<:emoji:id>`,
    /// `<a:emoji:id>` and `<https://…>`. The inside never holds another `<`, so the insides
    /// looked at are disjoint and their total is at most the text.
    fn angle(&mut self, pos: usize, end: usize) -> Option<(Inline, usize)> {
        let close = self.scan.next(Find::Gt, pos + 1);
        if close >= end || self.scan.next(Find::Lt, pos + 1) < close {
            return None;
        }
        let inside = self.slice(pos + 1, close)?;
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
            let (unix, style) = ts.split_once(':').unwrap_or((ts, "f"));
            let mut chars = style.chars();
            let style = chars
                .next()
                .filter(|s| "tTdDfFR".contains(*s) && chars.next().is_none())?;
            Inline::Timestamp {
                unix: unix.parse().ok()?,
                style,
            }
        } else if let Some((emoji, animated)) = inside
            .strip_prefix(':')
            .map(|e| (e, false))
            .or_else(|| inside.strip_prefix("a:").map(|e| (e, true)))
        {
            let (name, emoji_id) = emoji.split_once(':')?;
            let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            Inline::Emoji {
                name: valid.then(|| name.to_owned())?,
                id: id(emoji_id)?,
                animated,
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
        Some((parsed, close + 1))
    }

    fn mass_mention(&mut self, pos: usize, end: usize) -> Option<(Inline, usize)> {
        let rest = &self.bytes[pos..end];
        for word in ["@everyone", "@here"] {
            if rest.starts_with(word.as_bytes()) {
                return Some((Inline::MassMention(word), pos + word.len()));
            }
        }
        None
    }

    /// A bare `http://` or `https://` link, up to whitespace, `<` or a quote, without trailing
    /// punctuation. Not inside a word.
    fn bare_link(&mut self, start: usize, pos: usize, end: usize) -> Option<(Inline, usize)> {
        let rest = &self.bytes[pos..end];
        if !(rest.starts_with(b"https://") || rest.starts_with(b"http://")) {
            return None;
        }
        if self.before(start, pos).is_some_and(char::is_alphanumeric) {
            return None;
        }
        let rest = self.slice(pos, end)?;
        let mut len = rest
            .find(|c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '"' | '\''))
            .unwrap_or(rest.len());
        // Trailing punctuation is the sentence's, not the link's (all ASCII, one byte each).
        while len > 0 && rest[..len].ends_with(['.', ',', ':', ';', '!', '?', ')', '"', '\'']) {
            len -= 1;
        }
        let url = &rest[..len];
        if !is_web_url(url) {
            return None;
        }
        Some((
            Inline::Link {
                label: vec![Inline::Text(url.to_owned())],
                url: url.to_owned(),
            },
            pos + len,
        ))
    }
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
