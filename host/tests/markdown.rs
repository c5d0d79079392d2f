//! Property tests of the transcript's markdown renderer over arbitrary Unicode and over
//! markdown-shaped text: it never panics, its HTML is well-formed and holds only our own tags
//! and web links, and every character the user wrote is still there, escaped.

use std::collections::HashMap;

use proptest::prelude::*;
use ticketbot::locale::{texts_for, Locale};
use ticketbot::transcript::highlight::highlight;
use ticketbot::transcript::markdown;
use ticketbot::transcript::model::Names;
use ticketbot::transcript::page;

/// Pieces that markdown-shaped text is made of: every construct's syntax, broken halves of it,
/// escapes, and the multi-byte characters pt-BR text is full of.
const PIECES: &[&str] = &[
    "*",
    "**",
    "***",
    "_",
    "__",
    "~~",
    "~",
    "||",
    "|",
    "`",
    "``",
    "```",
    "```lua\n",
    "\\",
    "\\*",
    "\\_",
    "[",
    "]",
    "](",
    "(",
    ")",
    "[a](https://x.io)",
    "<",
    ">",
    "<@1>",
    "<@!2>",
    "<@&3>",
    "<#4>",
    "<t:1700000000:R>",
    "<t:99999999999999:F>",
    "<t:-99999999999:T>",
    "<:pog:5>",
    "<a:dança:6>",
    "<https://a.io/b>",
    "@everyone",
    "@here",
    "http://",
    "https://a.io/x.",
    "h",
    "\n",
    "\n\n",
    "> ",
    ">>> ",
    "# ",
    "## ",
    "-# ",
    "- ",
    "* ",
    "1. ",
    "  ",
    "    ",
    "Á",
    "ção",
    "é",
    "ü",
    "😀",
    "👍🏽",
    "中文",
    "\u{301}",
    "\u{200d}",
    "\u{a0}",
    "a",
    "B",
    "z",
    "7",
    " ",
    "C:\\Área",
    "javascript:alert(1)",
    "\"",
    "'",
    "&",
    "&amp;",
];

fn markdown_shaped() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..80).prop_map(|p| p.concat())
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    "(?s).{0,300}"
}

/// Tags the renderer may produce for message content, with the attributes each may carry.
const TAGS: &[(&str, &[&str])] = &[
    ("p", &["class"]),
    ("h3", &["class"]),
    ("h4", &["class"]),
    ("h5", &["class"]),
    ("blockquote", &[]),
    ("pre", &[]),
    ("code", &["data-lang"]),
    ("span", &["class", "tabindex", "title"]),
    ("ol", &["start"]),
    ("ul", &[]),
    ("li", &[]),
    ("br", &[]),
    ("strong", &[]),
    ("em", &[]),
    ("u", &[]),
    ("s", &[]),
    ("a", &["href", "rel", "target"]),
    ("time", &["datetime", "data-style"]),
];

/// What a well-formed fragment says: its text and its attribute values, entities decoded.
struct Fragment {
    text: String,
    attributes: Vec<String>,
}

fn decode(escaped: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = escaped;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (entity, decoded) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
        ]
        .into_iter()
        .find(|(e, _)| rest.starts_with(e))
        .ok_or_else(|| format!("a bare & in {escaped:?}"))?;
        out.push(decoded);
        rest = &rest[entity.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks `html` strictly: only allowed tags and attributes, every tag closed in order, no raw
/// `<`, `>` or `&` in text or values, every link a web link.
fn well_formed(html: &str) -> Result<Fragment, String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut fragment = Fragment {
        text: String::new(),
        attributes: Vec::new(),
    };
    let mut rest = html;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            fragment.text.push_str(&check_text(rest)?);
            break;
        };
        fragment.text.push_str(&check_text(&rest[..open])?);
        rest = &rest[open + 1..];
        let close = rest.find('>').ok_or("a tag that never ends")?;
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        let allowed = TAGS
            .iter()
            .find(|(t, _)| *t == name)
            .ok_or(format!("unexpected tag <{name}>"))?
            .1;
        while !attrs.is_empty() {
            let (key, after) = attrs
                .split_once("=\"")
                .ok_or(format!("attribute without a quoted value in <{tag}>"))?;
            if !allowed.contains(&key) {
                return Err(format!("unexpected attribute {key} on <{name}>"));
            }
            let (value, after) = after
                .split_once('"')
                .ok_or(format!("unterminated value in <{tag}>"))?;
            let value = decode(value)?;
            if key == "href" && !markdown::is_web_url(&value) {
                return Err(format!("a link to {value:?}"));
            }
            fragment.attributes.push(value);
            attrs = after.strip_prefix(' ').unwrap_or(after);
        }
        if name != "br" {
            stack.push(name);
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> never closed"));
    }
    Ok(fragment)
}

fn check_text(text: &str) -> Result<String, String> {
    if text.contains('>') {
        return Err(format!("a raw > in {text:?}"));
    }
    decode(text)
}

fn count(text: &str, keep: impl Fn(char) -> bool) -> HashMap<char, usize> {
    let mut counts = HashMap::new();
    for c in text.chars().filter(|c| keep(*c)) {
        *counts.entry(c).or_default() += 1;
    }
    counts
}

/// Every non-ASCII character (and, when no `<…>` construct can have turned letters into
/// something else, every ASCII letter) of `input` is in the output at least as often.
fn survives(input: &str, fragment: &Fragment) -> Result<(), String> {
    let shown = format!("{}{}", fragment.text, fragment.attributes.concat());
    let non_ascii = |c: char| !c.is_ascii() && !c.is_whitespace();
    let have = count(&shown, non_ascii);
    for (c, n) in count(input, non_ascii) {
        if have.get(&c).copied().unwrap_or(0) < n {
            return Err(format!("{c:?} lost ({n} written)"));
        }
    }
    if !input.contains('<') {
        let letter = |c: char| c.is_ascii_alphabetic();
        let lower = |s: &str| s.to_ascii_lowercase();
        let have = count(&lower(&shown), letter);
        for (c, n) in count(&lower(input), letter) {
            if have.get(&c).copied().unwrap_or(0) < n {
                return Err(format!("{c:?} lost ({n} written)"));
            }
        }
    }
    Ok(())
}

fn check(input: &str) -> Result<(), TestCaseError> {
    let names = Names::default();
    let blocks = page::blocks(&markdown::parse(input), &names).into_string();
    let fragment = well_formed(&blocks)
        .map_err(|e| TestCaseError::fail(format!("{e}\ninput {input:?}\nhtml {blocks}")))?;
    survives(input, &fragment)
        .map_err(|e| TestCaseError::fail(format!("{e}\ninput {input:?}\nhtml {blocks}")))?;
    let inline = page::inlines(&markdown::parse_inline(input), &names).into_string();
    let fragment = well_formed(&inline)
        .map_err(|e| TestCaseError::fail(format!("{e}\ninput {input:?}\nhtml {inline}")))?;
    survives(input, &fragment)
        .map_err(|e| TestCaseError::fail(format!("{e}\ninput {input:?}\nhtml {inline}")))?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn markdown_shaped_text_renders_well_formed_and_whole(input in markdown_shaped()) {
        check(&input)?;
    }

    #[test]
    fn arbitrary_unicode_renders_well_formed_and_whole(input in arbitrary_text()) {
        check(&input)?;
    }

    #[test]
    fn highlighting_keeps_every_byte(
        lang in prop::sample::select(&["lua", "js", "rust", "py", "sql", "json", "sh", "x"][..]),
        code in prop_oneof![markdown_shaped(), arbitrary_text()],
    ) {
        let joined: String = highlight(Some(lang), &code).iter().map(|(_, s)| *s).collect();
        prop_assert_eq!(joined, code);
    }

    #[test]
    fn whole_pages_render_from_any_text(
        content in prop_oneof![markdown_shaped(), arbitrary_text()],
        name in arbitrary_text(),
        field in markdown_shaped(),
    ) {
        let messages = serde_json::json!([{
            "id": "1", "type": 0, "timestamp": "2026-11-20T10:00:00+00:00",
            "author": {"id": "5", "username": name},
            "content": content,
            "embeds": [{"title": field, "description": content,
                        "fields": [{"name": field, "value": content}]}],
        }]);
        let texts = texts_for(Locale::PtBr, &Default::default());
        let page = ticketbot::transcript::render_offline(
            &messages, &Names::default(), &name, &texts, "pt-BR",
        ).expect("an array of messages");
        prop_assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
    }
}

#[test]
fn the_acceptance_runs_message() {
    check("veja **C:\\Área de Trabalho\\FiveM**").unwrap();
    for delim in ["*", "**", "_", "__", "~~", "||"] {
        check(&format!("{delim}C:\\Área de Trabalho\\FiveM{delim}")).unwrap();
    }
}
