//! Discord's markdown, parsed into a small tree that the page renders with escaping by
//! construction.
//!
//! Blocks (`blocks`): paragraphs, headings (`#`, `##`, `###`), subtext (`-#`), quotes (`>` per
//! line and `>>>` to the end), code blocks with a language, and ordered/unordered lists nested
//! by indentation. Inline (`inlines`): bold, italic (`*` and `_`), underline, strikethrough,
//! spoilers, inline code, masked links and bare links (http and https only), backslash escapes,
//! user, role and channel mentions, `@everyone`/`@here`, custom emoji and `<t:…>` timestamps.
//!
//! User text is hostile: parsing never panics, takes time linear in the text (`scan` answers
//! every "where is the next closer" in O(1)), and nests at most [`MAX_DEPTH`] inline levels
//! and [`MAX_LIST_DEPTH`] list levels. The property tests in `host/tests/markdown.rs` and the
//! `markdown_pathological` bench hold it to that.

mod blocks;
mod inlines;
mod scan;

pub use blocks::MAX_LIST_DEPTH;
pub use inlines::MAX_DEPTH;

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
    blocks::parse(text)
}

/// Parses inline markdown only (embed titles, field names).
pub fn parse_inline(text: &str) -> Vec<Inline> {
    inlines::parse(text)
}

/// Only http and https URLs may become links.
pub fn is_web_url(url: &str) -> bool {
    let bytes = url.as_bytes();
    let scheme = ["https://", "http://"]
        .into_iter()
        .find(|s| bytes.len() >= s.len() && bytes[..s.len()].eq_ignore_ascii_case(s.as_bytes()));
    scheme.is_some_and(|s| bytes.len() > s.len())
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

    #[test]
    fn a_backslash_before_a_multibyte_character_inside_emphasis() {
        // The acceptance run's message: this panicked by slicing inside "Á".
        assert_eq!(
            inline("veja **C:\\Área de Trabalho\\FiveM**"),
            vec![t("veja "), Bold(vec![t("C:\\Área de Trabalho\\FiveM")])]
        );
        for delim in ["*", "**", "_", "__", "~~", "||"] {
            let text = format!("{delim}C:\\Área\\ção\\😀{delim}");
            let parsed = inline(&text);
            assert_eq!(parsed.len(), 1, "{text}: {parsed:?}");
        }
        // An escape of a multi-byte character is no escape: the backslash stays.
        assert_eq!(inline("\\é"), vec![t("\\é")]);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}x{}", "**".repeat(100), "**".repeat(100));
        fn depth(inlines: &[Inline]) -> usize {
            inlines
                .iter()
                .map(|i| match i {
                    Bold(x) | Italic(x) | Underline(x) | Strike(x) | Spoiler(x) => 1 + depth(x),
                    Link { label, .. } => 1 + depth(label),
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        }
        assert_eq!(depth(&inline(&deep)), MAX_DEPTH);
        let list: String = (0..50)
            .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
            .collect();
        fn list_depth(blocks: &[Block]) -> usize {
            blocks
                .iter()
                .map(|b| match b {
                    List { items, .. } => {
                        1 + items.iter().map(|i| list_depth(i)).max().unwrap_or(0)
                    }
                    Quote(inner) => list_depth(inner),
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        }
        assert_eq!(list_depth(&parse(&list)), MAX_LIST_DEPTH);
        // Everything the user wrote is still there, as text.
        assert!(format!("{:?}", parse(&list)).contains("item 49"));
    }

    #[test]
    fn pathological_runs_stay_text() {
        for run in [
            "[", "<", "[a](", "|", "*", "~", "_", "`", "<@", "**a", "https://",
        ] {
            let text = run.repeat(2000);
            let parsed = parse(&text);
            assert!(!parsed.is_empty(), "{run}");
        }
        assert_eq!(inline(&"[".repeat(5)), vec![t("[[[[[")]);
        assert_eq!(inline("<<@1>"), vec![t("<"), User(1)]);
        assert_eq!(
            inline("[[a](https://x.io)"),
            vec![Link {
                label: vec![t("[a")],
                url: "https://x.io".into()
            }]
        );
    }
}
