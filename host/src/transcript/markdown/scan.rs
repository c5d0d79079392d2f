//! Next-occurrence tables over one inline text: where the next `>`, `](`, unescaped `**`, … is
//! from any position. Each table is built once, lazily, in one backward pass, so every lookup
//! the inline parser makes is O(1) and a parse never rescans the text: a run of 100,000 `[` or
//! `*` costs the same per byte as a short message.
//!
//! Positions are byte offsets. Every table marks ASCII bytes only, and an ASCII byte is never
//! inside a multi-byte UTF-8 character, so every position a lookup returns is a character
//! boundary of the text.

use std::cell::OnceCell;

/// What a lookup looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Find {
    /// `>`.
    Gt,
    /// `<`.
    Lt,
    /// `](`, the middle of a masked link.
    LinkMiddle,
    /// `)`.
    CloseParen,
    /// A line break.
    Newline,
    /// `` ` ``.
    Tick,
    /// ` `` `.
    DoubleTick,
    /// An unescaped `*`, `_`, `~` or `|`.
    Single(u8),
    /// Two of them in a row, the first unescaped.
    Double(u8),
}

/// The delimiter characters that have escape-aware tables.
const DELIMITERS: [u8; 4] = [b'*', b'_', b'~', b'|'];

/// Characters a backslash makes literal.
pub(super) const ESCAPABLE: &str = "\\*_~`|>[]()<#@:-.!";

/// The tables over one text. Offsets are stored as `u32` (4 bytes a position, not 8): the
/// inline parser refuses markdown in texts of 4 GiB or more, so every offset fits.
pub(super) struct Scan<'a> {
    bytes: &'a [u8],
    escaped: OnceCell<Vec<bool>>,
    run_end: OnceCell<Vec<u32>>,
    plain: [OnceCell<Vec<u32>>; 7],
    single: [OnceCell<Vec<u32>>; 4],
    double: [OnceCell<Vec<u32>>; 4],
}

impl<'a> Scan<'a> {
    /// Tables over `text` (built when first used). `text` must be shorter than 4 GiB.
    pub(super) fn new(text: &'a str) -> Self {
        debug_assert!(u32::try_from(text.len()).is_ok());
        Self {
            bytes: text.as_bytes(),
            escaped: OnceCell::new(),
            run_end: OnceCell::new(),
            plain: Default::default(),
            single: Default::default(),
            double: Default::default(),
        }
    }

    /// The first position at or after `from` where `what` occurs, or the text's length.
    pub(super) fn next(&self, what: Find, from: usize) -> usize {
        let len = self.bytes.len();
        if from >= len {
            return len;
        }
        let table = match what {
            Find::Gt => self.plain_table(0, |b, i| b[i] == b'>'),
            Find::Lt => self.plain_table(1, |b, i| b[i] == b'<'),
            Find::LinkMiddle => {
                self.plain_table(2, |b, i| b[i] == b']' && b.get(i + 1) == Some(&b'('))
            }
            Find::CloseParen => self.plain_table(3, |b, i| b[i] == b')'),
            Find::Newline => self.plain_table(4, |b, i| b[i] == b'\n'),
            Find::Tick => self.plain_table(5, |b, i| b[i] == b'`'),
            Find::DoubleTick => {
                self.plain_table(6, |b, i| b[i] == b'`' && b.get(i + 1) == Some(&b'`'))
            }
            Find::Single(c) => {
                let Some(k) = DELIMITERS.iter().position(|d| *d == c) else {
                    return len;
                };
                self.single[k].get_or_init(|| {
                    let escaped = self.escaped();
                    build(self.bytes, |b, i| b[i] == c && !escaped[i])
                })
            }
            Find::Double(c) => {
                let Some(k) = DELIMITERS.iter().position(|d| *d == c) else {
                    return len;
                };
                self.double[k].get_or_init(|| {
                    let escaped = self.escaped();
                    build(self.bytes, |b, i| {
                        b[i] == c && b.get(i + 1) == Some(&c) && !escaped[i]
                    })
                })
            }
        };
        table[from] as usize
    }

    /// Where the run of identical bytes starting at `at` ends (exclusive).
    pub(super) fn run_end(&self, at: usize) -> usize {
        let len = self.bytes.len();
        if at >= len {
            return len;
        }
        let table = self.run_end.get_or_init(|| {
            let mut table = vec![0u32; len];
            for i in (0..len).rev() {
                table[i] = if i + 1 < len && self.bytes[i + 1] == self.bytes[i] {
                    table[i + 1]
                } else {
                    (i + 1) as u32
                };
            }
            table
        });
        table[at] as usize
    }

    fn plain_table(&self, slot: usize, at: impl Fn(&[u8], usize) -> bool) -> &[u32] {
        self.plain[slot].get_or_init(|| build(self.bytes, at))
    }

    /// Which bytes a backslash makes literal, read left to right as the parser reads them
    /// (`\\*`: the second backslash is literal, the `*` is not).
    fn escaped(&self) -> &[bool] {
        self.escaped.get_or_init(|| {
            let mut escaped = vec![false; self.bytes.len()];
            let mut i = 0;
            while i < self.bytes.len() {
                if self.bytes[i] == b'\\'
                    && self
                        .bytes
                        .get(i + 1)
                        .is_some_and(|b| b.is_ascii() && ESCAPABLE.as_bytes().contains(b))
                {
                    escaped[i + 1] = true;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            escaped
        })
    }
}

/// `table[i]` = the first `j >= i` where `at(bytes, j)`, else `bytes.len()`; one extra entry
/// for `i == len`.
fn build(bytes: &[u8], at: impl Fn(&[u8], usize) -> bool) -> Vec<u32> {
    let len = bytes.len();
    let mut table = vec![len as u32; len + 1];
    for i in (0..len).rev() {
        table[i] = if at(bytes, i) { i as u32 } else { table[i + 1] };
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let scan = Scan::new("a<b>](c)\\**x**~~");
        assert_eq!(scan.next(Find::Lt, 0), 1);
        assert_eq!(scan.next(Find::Gt, 0), 3);
        assert_eq!(scan.next(Find::Gt, 4), 16);
        assert_eq!(scan.next(Find::LinkMiddle, 0), 4);
        assert_eq!(scan.next(Find::CloseParen, 0), 7);
        // The escaped star is skipped; the next unescaped one is the star after it.
        assert_eq!(scan.next(Find::Single(b'*'), 8), 10);
        assert_eq!(scan.next(Find::Double(b'*'), 8), 12);
        assert_eq!(scan.next(Find::Double(b'~'), 0), 14);
        assert_eq!(scan.run_end(12), 14);
        assert_eq!(scan.next(Find::Newline, 0), 16);
        assert_eq!(scan.next(Find::Tick, 100), 16);
    }
}
