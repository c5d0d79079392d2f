//! Block markdown: paragraphs, headings, subtext, quotes, fenced code and lists, line by line.
//!
//! Every line is looked at once per list level it is nested in, and list nesting stops at
//! [`MAX_LIST_DEPTH`] (deeper items stay text), so the work is linear in the text. Quotes do
//! not nest (as on Discord). Slices are taken after ASCII prefixes (`> `, `- `, two spaces,
//! digits), which end on character boundaries.

use super::{inlines, Block};

/// Deepest list nesting; deeper items are shown as text of the item above.
pub const MAX_LIST_DEPTH: usize = 8;

/// Parses a message's content.
pub(super) fn parse(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.split('\n').collect();
    parse_lines(&lines, true, 0)
}

fn paragraph(lines: &[&str]) -> Block {
    Block::Paragraph(inlines::parse(&lines.join("\n")))
}

fn parse_lines(lines: &[&str], allow_quotes: bool, depth: usize) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    let flush = |open: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !open.is_empty() {
            blocks.push(paragraph(open));
            open.clear();
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        // A fenced code block, which may open and close on one line.
        if let Some(rest) = line.trim_start().strip_prefix("```") {
            if let Some((block, used, after)) = code_block(rest, &lines[i + 1..]) {
                flush(&mut open, &mut blocks);
                blocks.push(block);
                // Text after the closing fence, on its line, is the start of a paragraph.
                if !after.trim().is_empty() {
                    open.push(after);
                }
                i += 1 + used;
                continue;
            }
        }
        if allow_quotes {
            if let Some(rest) = line.strip_prefix(">>> ") {
                flush(&mut open, &mut blocks);
                let mut quoted = vec![rest];
                quoted.extend_from_slice(&lines[i + 1..]);
                blocks.push(Block::Quote(parse_lines(&quoted, false, depth)));
                break;
            }
            if line.starts_with("> ") || line == ">" {
                flush(&mut open, &mut blocks);
                let mut quoted = Vec::new();
                while i < lines.len() && (lines[i].starts_with("> ") || lines[i] == ">") {
                    quoted.push(lines[i].strip_prefix("> ").unwrap_or(""));
                    i += 1;
                }
                blocks.push(Block::Quote(parse_lines(&quoted, false, depth)));
                continue;
            }
        }
        if let Some((level, rest)) = heading(line) {
            flush(&mut open, &mut blocks);
            blocks.push(Block::Heading(level, inlines::parse(rest)));
            i += 1;
            continue;
        }
        if let Some(rest) = line.strip_prefix("-# ") {
            flush(&mut open, &mut blocks);
            blocks.push(Block::Subtext(inlines::parse(rest)));
            i += 1;
            continue;
        }
        if depth < MAX_LIST_DEPTH {
            if let Some(first) = list_item(line).filter(|item| item.indent == 0) {
                flush(&mut open, &mut blocks);
                let (list, used) = list(first, &lines[i..], depth);
                blocks.push(list);
                i += used;
                continue;
            }
        }
        open.push(line);
        i += 1;
    }
    flush(&mut open, &mut blocks);
    blocks
}

/// A fenced block starting after the opening fence; returns it, how many further lines it
/// used, and what follows the closing fence on its line. An unclosed fence is not a block.
fn code_block<'a>(first: &'a str, rest: &[&'a str]) -> Option<(Block, usize, &'a str)> {
    if let Some((code, after)) = first.split_once("```") {
        // One line: ```code```.
        if code.is_empty() {
            return None;
        }
        let block = Block::Code {
            lang: None,
            code: code.to_owned(),
        };
        return Some((block, 0, after));
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
        if let Some((last, after)) = line.split_once("```") {
            if !last.is_empty() {
                code.push(last);
            }
            let block = Block::Code {
                lang,
                code: code.join("\n"),
            };
            return Some((block, used + 1, after));
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
        // `digits` ASCII digits: a boundary.
        let (number, after) = trimmed.split_at(digits);
        if let Some(text) = after.strip_prefix(". ") {
            return Some(ListItem {
                indent,
                ordered: number.parse().ok(),
                text,
            });
        }
    }
    None
}

/// A list whose first item is `first` (the item of `lines[0]`); returns it and how many lines
/// it used.
fn list(first: ListItem<'_>, lines: &[&str], depth: usize) -> (Block, usize) {
    let ordered = first.ordered.is_some();
    let start = first.ordered.unwrap_or(1);
    // Each item: its first line, then its further lines unindented by two spaces.
    let mut items: Vec<(&str, Vec<&str>)> = vec![(first.text, Vec::new())];
    let mut used = 1;
    for line in &lines[1..] {
        let current = items.len() - 1;
        match list_item(line) {
            Some(item) if item.indent == 0 => {
                if item.ordered.is_some() != ordered {
                    break;
                }
                items.push((item.text, Vec::new()));
            }
            // Indented items and continuation lines belong to the current item.
            Some(_) => items[current].1.push(unindent(line).trim_end()),
            None if line.starts_with("  ") && !line.trim().is_empty() => {
                items[current].1.push(unindent(line))
            }
            None => break,
        }
        used += 1;
    }
    let items = items
        .into_iter()
        .map(|(text, nested)| {
            let mut blocks = vec![Block::Paragraph(inlines::parse(text))];
            blocks.extend(parse_lines(&nested, false, depth + 1));
            blocks
        })
        .collect();
    let list = Block::List {
        ordered,
        start,
        items,
    };
    (list, used)
}

/// A line without its first two spaces (fewer if it has fewer).
fn unindent(line: &str) -> &str {
    line.strip_prefix("  ")
        .or_else(|| line.strip_prefix(' '))
        .unwrap_or(line)
}
