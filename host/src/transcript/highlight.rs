//! Code highlighting done on the server: a small tokenizer that marks comments, strings,
//! numbers and keywords of the languages FiveM communities paste most (Lua, JavaScript and
//! TypeScript, C#, SQL, JSON, Rust, Python, shell). Unknown languages stay plain.

/// What a piece of code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// Nothing special.
    Plain,
    /// A keyword of the language.
    Keyword,
    /// A string or character literal.
    Str,
    /// A number.
    Number,
    /// A comment.
    Comment,
}

impl Token {
    /// The CSS class for the token, if it has one.
    pub fn class(self) -> Option<&'static str> {
        match self {
            Token::Plain => None,
            Token::Keyword => Some("k"),
            Token::Str => Some("s"),
            Token::Number => Some("n"),
            Token::Comment => Some("c"),
        }
    }
}

struct Language {
    names: &'static [&'static str],
    keywords: &'static [&'static str],
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
}

const LANGUAGES: &[Language] = &[
    Language {
        names: &["lua"],
        keywords: &[
            "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto",
            "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until",
            "while",
        ],
        line_comments: &["--"],
        block_comment: Some(("--[[", "]]")),
    },
    Language {
        names: &[
            "js",
            "javascript",
            "ts",
            "typescript",
            "jsx",
            "tsx",
            "cs",
            "csharp",
            "c#",
            "java",
            "c",
            "cpp",
            "c++",
            "go",
        ],
        keywords: &[
            "async",
            "await",
            "break",
            "case",
            "catch",
            "class",
            "const",
            "continue",
            "default",
            "else",
            "export",
            "false",
            "for",
            "function",
            "if",
            "import",
            "let",
            "new",
            "null",
            "return",
            "static",
            "switch",
            "this",
            "throw",
            "true",
            "try",
            "typeof",
            "var",
            "void",
            "while",
            "public",
            "private",
            "using",
            "namespace",
            "int",
            "string",
            "bool",
            "func",
            "package",
            "struct",
            "type",
            "interface",
        ],
        line_comments: &["//"],
        block_comment: Some(("/*", "*/")),
    },
    Language {
        names: &["rust", "rs"],
        keywords: &[
            "as", "async", "await", "break", "const", "continue", "crate", "else", "enum", "false",
            "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
            "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
            "unsafe", "use", "where", "while",
        ],
        line_comments: &["//"],
        block_comment: Some(("/*", "*/")),
    },
    Language {
        names: &["py", "python"],
        keywords: &[
            "and", "as", "assert", "break", "class", "continue", "def", "elif", "else", "except",
            "False", "finally", "for", "from", "if", "import", "in", "is", "lambda", "None", "not",
            "or", "pass", "raise", "return", "True", "try", "while", "with", "yield",
        ],
        line_comments: &["#"],
        block_comment: None,
    },
    Language {
        names: &["sql", "mysql"],
        keywords: &[
            "select", "from", "where", "insert", "into", "values", "update", "set", "delete",
            "create", "table", "and", "or", "not", "null", "join", "left", "inner", "on", "group",
            "by", "order", "limit", "as", "SELECT", "FROM", "WHERE", "INSERT", "INTO", "VALUES",
            "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "AND", "OR", "NOT", "NULL", "JOIN",
            "LEFT", "INNER", "ON", "GROUP", "BY", "ORDER", "LIMIT", "AS",
        ],
        line_comments: &["--"],
        block_comment: Some(("/*", "*/")),
    },
    Language {
        names: &["json"],
        keywords: &["true", "false", "null"],
        line_comments: &[],
        block_comment: None,
    },
    Language {
        names: &["sh", "bash", "shell", "console"],
        keywords: &[
            "if", "then", "else", "fi", "for", "do", "done", "while", "case", "esac", "function",
            "export", "echo", "cd",
        ],
        line_comments: &["#"],
        block_comment: None,
    },
];

/// Splits `code` into tokens for `lang`; plain text only when the language is unknown.
pub fn highlight<'a>(lang: Option<&str>, code: &'a str) -> Vec<(Token, &'a str)> {
    let Some(language) = lang.and_then(|l| LANGUAGES.iter().find(|x| x.names.contains(&l))) else {
        return vec![(Token::Plain, code)];
    };
    // Slicing `code` by position below never splits a character: `i` starts at 0 and moves
    // either by a whole character (the loop's last line) or to the end of a token, and a
    // token ends where `str::find` stopped (a boundary), one past an ASCII quote or newline,
    // or at the end of `code`. A string literal's scan steps over a backslash and one more
    // byte, which may land inside a multi-byte character, but it stops only on an ASCII byte
    // or at the end, and an ASCII byte is never inside a multi-byte character. (The property
    // tests in host/tests/markdown.rs feed arbitrary Unicode through every language.)
    let mut out: Vec<(Token, &'a str)> = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    let bytes = code.as_bytes();
    let emit = |out: &mut Vec<(Token, &'a str)>,
                plain_start: &mut usize,
                start: usize,
                end: usize,
                token: Token| {
        if *plain_start < start {
            out.push((Token::Plain, &code[*plain_start..start]));
        }
        out.push((token, &code[start..end]));
        *plain_start = end;
    };
    while i < bytes.len() {
        let rest = &code[i..];
        if let Some((open, close)) = language.block_comment {
            if let Some(inside) = rest.strip_prefix(open) {
                let end = inside
                    .find(close)
                    .map_or(code.len(), |e| i + open.len() + e + close.len());
                emit(&mut out, &mut plain_start, i, end, Token::Comment);
                i = end;
                continue;
            }
        }
        if language.line_comments.iter().any(|c| rest.starts_with(c)) {
            let end = rest.find('\n').map_or(code.len(), |e| i + e);
            emit(&mut out, &mut plain_start, i, end, Token::Comment);
            i = end;
            continue;
        }
        let c = bytes[i];
        if c == b'"' || c == b'\'' || c == b'`' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != c && bytes[j] != b'\n' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(bytes.len());
            emit(&mut out, &mut plain_start, i, end, Token::Str);
            i = end;
            continue;
        }
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if word_start && c.is_ascii_digit() {
            let end = i + rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
                .unwrap_or(rest.len());
            emit(&mut out, &mut plain_start, i, end, Token::Number);
            i = end;
            continue;
        }
        if word_start && (c.is_ascii_alphabetic() || c == b'_') {
            let end = i + rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            if language.keywords.contains(&&code[i..end]) {
                emit(&mut out, &mut plain_start, i, end, Token::Keyword);
            }
            i = end;
            continue;
        }
        i += code[i..].chars().next().map_or(1, char::len_utf8);
    }
    if plain_start < code.len() {
        out.push((Token::Plain, &code[plain_start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_tokens() {
        let tokens = highlight(Some("lua"), "local x = 10 -- note\nprint(\"hi\")");
        let classes: Vec<(Token, &str)> = tokens
            .into_iter()
            .filter(|(t, _)| *t != Token::Plain)
            .collect();
        assert_eq!(
            classes,
            vec![
                (Token::Keyword, "local"),
                (Token::Number, "10"),
                (Token::Comment, "-- note"),
                (Token::Str, "\"hi\"")
            ]
        );
    }

    #[test]
    fn unknown_languages_and_the_text_round_trip() {
        assert_eq!(
            highlight(Some("brainfuck"), "+++"),
            vec![(Token::Plain, "+++")]
        );
        let code = "fn main() { let s = \"é\"; /* x */ }";
        let joined: String = highlight(Some("rust"), code)
            .iter()
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(joined, code);
    }
}
