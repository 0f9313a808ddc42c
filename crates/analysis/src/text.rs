//! Tokenizer for German and English social-media text: lowercased words with `ß` folded to
//! `ss`, Snowball stems, @mentions, #hashtags, URLs, emoji, emoticons, numbers and line names
//! ("RE30", "ICE 598" -> `ice598`), `!`/`?` runs, optional negation marking.
//!
//! Hand-written scanner rather than `unicode-segmentation` word bounds: UAX #29 splits
//! `@name`, `#tag`, URLs and emoticons like `:-)` into pieces and gives no token kinds, and a
//! single pass over the chars writing into one reusable buffer keeps allocation per message,
//! not per token. All token texts and stems live in [`Tokens::buffer`]; tokens are ranges.

use std::ops::Range;

use rust_stemmers::{Algorithm, Stemmer};

use crate::cases::terms::FastMap;

/// Which stemmer to use. `Other` keeps words unstemmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    De,
    En,
    Other,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
            Lang::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Lang {
        match s {
            "de" | "deu" | "ger" | "german" => Lang::De,
            "en" | "eng" | "english" => Lang::En,
            _ => Lang::Other,
        }
    }
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters (and inner hyphens/apostrophes): `zug`, `s-bahn`, `don't`.
    Word,
    /// Digits only, with inner `.`/`,`/`:` (`3,50`, `10:30`).
    Number,
    /// Letters mixed with digits: line names, codes (`re30`, `ice598`, `s1`, `4g`).
    Code,
    /// `@name`, lowercased.
    Mention,
    /// `#tag`, lowercased.
    Hashtag,
    /// `http(s)://…` or `www.…`; stem is `<url>`.
    Url,
    /// One emoji (variation selectors, joiners and skin tones dropped).
    Emoji,
    /// `:-)`, `:(`, `<3`, `;)`, `:D`, `xD`, `^^` …, kept as written.
    Emoticon,
    /// A run of `!` and/or `?`, cut to 3 chars.
    Punct,
}

/// One token: ranges into [`Tokens::buffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// Inside the scope of a negation word ("nicht gut", "not happy") when marking is on.
    pub negated: bool,
    text: Range<u32>,
    stem: Range<u32>,
}

/// A borrowed view of one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRef<'a> {
    pub kind: TokenKind,
    pub negated: bool,
    /// Lowercased, `ß` -> `ss`, letter runs longer than 3 cut to 3.
    pub text: &'a str,
    /// Snowball stem for words (same as `text` for other kinds; `<url>` for URLs).
    pub stem: &'a str,
}

/// The tokens of one text. Reuse one value across messages with [`Tokenizer::tokenize_into`]
/// to avoid allocating per message.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    buffer: String,
    tokens: Vec<Token>,
    /// Kept across texts (not cleared with the tokens).
    stems: StemMemo,
}

/// Stems already computed, by language: Snowball takes hundreds of instructions a word, and
/// words repeat from message to message (a tenth of `classify` was stemming). Bounded: it
/// starts afresh when full.
#[derive(Debug, Default, Clone)]
struct StemMemo {
    de: FastMap<Box<str>, Box<str>>,
    en: FastMap<Box<str>, Box<str>>,
}

impl StemMemo {
    /// Words remembered per language.
    const CAP: usize = 1 << 15;

    /// The memo of `lang`; `None` for [`Lang::Other`] (not stemmed).
    fn of(&mut self, lang: Lang) -> Option<&mut FastMap<Box<str>, Box<str>>> {
        match lang {
            Lang::De => Some(&mut self.de),
            Lang::En => Some(&mut self.en),
            Lang::Other => None,
        }
    }
}

impl Tokens {
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn clear(&mut self) {
        self.buffer.clear();
        self.tokens.clear();
    }

    pub fn get(&self, i: usize) -> Option<TokenRef<'_>> {
        self.tokens.get(i).map(|t| self.view(t))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = TokenRef<'_>> + '_ {
        self.tokens.iter().map(|t| self.view(t))
    }

    /// Kinds and texts, in order: [`Tokens::iter`] without the stems, for callers that do
    /// not read them (each string view is a bounds check at both ends).
    pub fn kinds_and_texts(&self) -> impl ExactSizeIterator<Item = (TokenKind, &str)> + '_ {
        self.tokens.iter().map(|t| {
            (
                t.kind,
                &self.buffer[t.text.start as usize..t.text.end as usize],
            )
        })
    }

    /// Token texts, in order.
    pub fn texts(&self) -> Vec<&str> {
        self.iter().map(|t| t.text).collect()
    }

    /// Stems, in order.
    pub fn stems(&self) -> Vec<&str> {
        self.iter().map(|t| t.stem).collect()
    }

    /// The buffer that all token texts and stems point into.
    pub fn buffer(&self) -> &str {
        &self.buffer
    }

    fn view<'a>(&'a self, t: &Token) -> TokenRef<'a> {
        TokenRef {
            kind: t.kind,
            negated: t.negated,
            text: &self.buffer[t.text.start as usize..t.text.end as usize],
            stem: &self.buffer[t.stem.start as usize..t.stem.end as usize],
        }
    }
}

/// Tokenizer with Snowball stemmers for German and English. Cheap to share (`&self`).
pub struct Tokenizer {
    german: Stemmer,
    english: Stemmer,
    negation: bool,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("negation", &self.negation)
            .finish()
    }
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

/// Emoticons recognised at a token start, longest first within a shared prefix.
const EMOTICONS: &[&str] = &[
    ":-))", ":-((", ":'-(", ":-)", ":-(", ":-D", ":-P", ":-p", ":-/", ":-|", ":-O", ":-o", ";-)",
    ":'(", ":))", ":((", ":)", ":(", ":D", ":P", ":p", ":/", ":|", ":O", ":o", ";)", ";D", "=)",
    "=(", "<3", "</3", "^^", "-.-", "-_-", "^_^", "o_O", "O_o", "xD", "XD", ">:(", "D:",
];

/// Words that open a negation scope.
const NEGATIONS: &[&str] = &[
    "nicht",
    "kein",
    "keine",
    "keinen",
    "keinem",
    "keiner",
    "keines",
    "nie",
    "niemals",
    "nix",
    "nichts",
    "ohne",
    "weder",
    "not",
    "no",
    "never",
    "nothing",
    "nobody",
    "none",
    "cannot",
    "without",
    "nor",
    "isn't",
    "don't",
    "doesn't",
    "didn't",
    "won't",
    "can't",
    "wasn't",
    "aren't",
    "couldn't",
    "wouldn't",
    "shouldn't",
    "haven't",
    "hasn't",
    "dont",
    "cant",
    "wont",
];

/// Negation scope length in tokens (ends earlier at `.`, `,`, `!`, `?`, `;`, `:`).
const NEGATION_SCOPE: usize = 3;

/// Train and bus types that are followed by a number: "ICE 598" becomes one `Code` token.
const LINE_TYPES: &[&str] = &[
    "ice", "ic", "ec", "re", "rb", "rex", "s", "u", "bus", "tgv", "ire", "erx", "flight", "zug",
];

fn is_negation(w: &str) -> bool {
    // First-byte filter: every negation starts with one of these letters.
    matches!(
        w.as_bytes().first(),
        Some(b'n' | b'k' | b'o' | b'w' | b'c' | b'i' | b'd' | b'a' | b'h' | b's')
    ) && NEGATIONS.contains(&w)
}

fn is_line_type(w: &str) -> bool {
    w.len() <= 6
        && matches!(
            w.as_bytes().first(),
            Some(b'i' | b'e' | b'r' | b's' | b'u' | b'b' | b't' | b'f' | b'z')
        )
        && LINE_TYPES.contains(&w)
}

fn is_emoji(c: char) -> bool {
    // Every range below starts above U+2000: most characters are out after one compare.
    (c as u32) >= 0x203C
        && matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF | 0x3030 | 0x303D
        | 0x3297 | 0x3299 | 0x203C | 0x2049)
}

/// Zero-width joiner, variation selectors, skin-tone modifiers: part of an emoji, not a token.
fn is_emoji_modifier(c: char) -> bool {
    matches!(
        c as u32,
        0x200D | 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF | 0x20E3
    )
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric() && !is_emoji(c)
}

impl Tokenizer {
    /// A tokenizer without negation marking.
    pub fn new() -> Self {
        Tokenizer {
            german: Stemmer::create(Algorithm::German),
            english: Stemmer::create(Algorithm::English),
            negation: false,
        }
    }

    /// Turns marking of negation scopes on or off ([`Token::negated`]).
    pub fn with_negation(mut self, on: bool) -> Self {
        self.negation = on;
        self
    }

    /// The Snowball stem of a lowercased word, as [`Tokenizer::tokenize_into`] gives it for
    /// a [`TokenKind::Word`] in `lang` (the word itself for [`Lang::Other`]).
    pub fn stem<'a>(&self, word: &'a str, lang: Lang) -> std::borrow::Cow<'a, str> {
        match lang {
            Lang::De => self.german.stem(word),
            Lang::En => self.english.stem(word),
            Lang::Other => std::borrow::Cow::Borrowed(word),
        }
    }

    /// Tokenizes into a fresh [`Tokens`].
    pub fn tokenize(&self, text: &str, lang: Lang) -> Tokens {
        let mut out = Tokens::default();
        self.tokenize_into(text, lang, &mut out);
        out
    }

    /// Tokenizes `text` into `out` (cleared first), reusing its allocations.
    pub fn tokenize_into(&self, text: &str, lang: Lang, out: &mut Tokens) {
        out.clear();
        let text = decode_entities(text);
        let s: &str = &text;
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut negation_left = 0usize;
        while i < s.len() {
            // A space starts no token and ends no scope: nothing below would take it.
            let b = bytes[i];
            if b == b' ' {
                i += 1;
                continue;
            }
            let c = if b.is_ascii() {
                char::from(b)
            } else {
                s[i..].chars().next().unwrap_or(' ')
            };
            let clen = c.len_utf8();
            // URLs.
            if (c == 'h' || c == 'H' || c == 'w' || c == 'W') && starts_url(&bytes[i..]) {
                let end = s[i..]
                    .find(|ch: char| ch.is_whitespace())
                    .map_or(s.len(), |e| i + e);
                let start = out.buffer.len();
                push_lower(&mut out.buffer, &s[i..end]);
                let text = start as u32..out.buffer.len() as u32;
                let stem_start = out.buffer.len();
                out.buffer.push_str("<url>");
                out.tokens.push(Token {
                    kind: TokenKind::Url,
                    negated: false,
                    text,
                    stem: stem_start as u32..out.buffer.len() as u32,
                });
                i = end;
                continue;
            }
            // Mentions and hashtags.
            if c == '@' || c == '#' {
                let body_end = scan_while(s, i + 1, |ch| is_word_char(ch) || ch == '_');
                if body_end > i + 1 {
                    let start = out.buffer.len();
                    out.buffer.push(c);
                    push_lower(&mut out.buffer, &s[i + 1..body_end]);
                    let r = start as u32..out.buffer.len() as u32;
                    out.tokens.push(Token {
                        kind: if c == '@' {
                            TokenKind::Mention
                        } else {
                            TokenKind::Hashtag
                        },
                        negated: false,
                        text: r.clone(),
                        stem: r,
                    });
                    i = body_end;
                    continue;
                }
            }
            // Emoticons (before punctuation and words: `:D`, `xD`, `<3`).
            if (!c.is_alphanumeric() || matches!(c, 'x' | 'X' | 'D' | 'o' | 'O'))
                && let Some(e) = match_emoticon(s, i)
            {
                push_plain(out, &s[i..i + e.len()], TokenKind::Emoticon);
                i += e.len();
                continue;
            }
            if is_emoji(c) {
                push_plain(out, &s[i..i + clen], TokenKind::Emoji);
                i += clen;
                continue;
            }
            if c == '!' || c == '?' {
                let end = scan_while(s, i, |ch| ch == '!' || ch == '?');
                let cut = (end - i).min(3);
                push_plain(out, &s[i..i + cut], TokenKind::Punct);
                negation_left = 0;
                i = end;
                continue;
            }
            if is_word_char(c) {
                let end = scan_word(s, i);
                let word = &s[i..end];
                let ascii = AsciiWord::of(word);
                let (has_alpha, has_digit) = match &ascii {
                    Some(w) => (w.has_alpha, w.has_digit),
                    None => (
                        word.chars().any(char::is_alphabetic),
                        word.bytes().any(|b| b.is_ascii_digit()),
                    ),
                };
                let kind = match (has_alpha, has_digit) {
                    (true, true) => TokenKind::Code,
                    (false, true) => TokenKind::Number,
                    _ => TokenKind::Word,
                };
                let start = out.buffer.len();
                push_word_as(&mut out.buffer, word, ascii);
                let mut end_used = end;
                let mut kind = kind;
                // "ICE 598" -> "ice598".
                if kind == TokenKind::Word && is_line_type(&out.buffer[start..]) {
                    let next = scan_while(s, end, |ch| ch == ' ');
                    if next > end && next == end + 1 {
                        let num_end = scan_while(s, next, |ch| ch.is_ascii_digit());
                        let boundary = s[num_end..]
                            .chars()
                            .next()
                            .is_none_or(|ch| !is_word_char(ch));
                        if num_end > next && boundary {
                            out.buffer.push_str(&s[next..num_end]);
                            kind = TokenKind::Code;
                            end_used = num_end;
                        }
                    }
                }
                let text = start as u32..out.buffer.len() as u32;
                let memo = if kind == TokenKind::Word {
                    out.stems.of(lang)
                } else {
                    None
                };
                let stem = match memo {
                    Some(memo) => match memo.get(&out.buffer[start..]) {
                        Some(st) => push_stem(&mut out.buffer, &text, st),
                        None => {
                            if memo.len() >= StemMemo::CAP {
                                memo.clear();
                            }
                            let st: Box<str> = self.stem(&out.buffer[start..], lang).into();
                            let range = push_stem(&mut out.buffer, &text, &st);
                            memo.insert(out.buffer[start..text.end as usize].into(), st);
                            range
                        }
                    },
                    None => text.clone(),
                };
                let is_neg = self.negation
                    && kind == TokenKind::Word
                    && is_negation(&out.buffer[text.start as usize..text.end as usize]);
                out.tokens.push(Token {
                    kind,
                    negated: self.negation && negation_left > 0 && !is_neg,
                    text,
                    stem,
                });
                if self.negation {
                    if is_neg {
                        negation_left = NEGATION_SCOPE;
                    } else {
                        negation_left = negation_left.saturating_sub(1);
                    }
                }
                i = end_used;
                continue;
            }
            if matches!(c, '.' | ',' | ';' | ':' | '\n') {
                negation_left = 0;
            }
            i += clen;
            // Skip emoji modifiers silently.
            let _ = is_emoji_modifier(c);
        }
    }
}

/// The range of a word's stem in `buffer`: the word's own (`text`) when they are the same,
/// else the stem's, appended.
fn push_stem(buffer: &mut String, text: &Range<u32>, stem: &str) -> Range<u32> {
    if *stem == buffer[text.start as usize..text.end as usize] {
        return text.clone();
    }
    let start = buffer.len();
    buffer.push_str(stem);
    start as u32..buffer.len() as u32
}

/// Tokenizes with a fresh default tokenizer (no negation marking). For many texts, keep one
/// [`Tokenizer`] and one [`Tokens`] and call [`Tokenizer::tokenize_into`].
pub fn tokenize(text: &str, lang: Lang) -> Tokens {
    Tokenizer::new().tokenize(text, lang)
}

fn starts_url(b: &[u8]) -> bool {
    let has = |p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
    has(b"http://") || has(b"https://") || (has(b"www.") && b.len() > 5)
}

fn scan_while(s: &str, from: usize, f: impl Fn(char) -> bool) -> usize {
    s[from..]
        .char_indices()
        .find(|&(_, ch)| !f(ch))
        .map_or(s.len(), |(j, _)| from + j)
}

/// A word: word chars, with single inner `-`, `'`, `’`, `.`/`,`/`:` (between digits) joining.
fn scan_word(s: &str, from: usize) -> usize {
    let mut end = scan_word_chars(s, from);
    loop {
        let mut it = s[end..].chars();
        let Some(joiner) = it.next() else { break };
        let Some(next) = it.next() else { break };
        let prev = s[..end].chars().next_back().unwrap_or(' ');
        let joins = match joiner {
            '-' | '\'' | '’' => is_word_char(next),
            '.' | ',' | ':' => prev.is_ascii_digit() && next.is_ascii_digit(),
            _ => false,
        };
        if !joins {
            break;
        }
        end = scan_word_chars(s, end + joiner.len_utf8());
    }
    end
}

/// `scan_while(s, from, is_word_char)`, a byte at a time over ASCII (most text), decoding
/// only other characters.
fn scan_word_chars(s: &str, from: usize) -> usize {
    let bytes = s.as_bytes();
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        let class = CLASS[usize::from(b)];
        if class & (ALPHA | DIGIT) != 0 {
            i += 1;
        } else if class == 0 {
            return i;
        } else {
            let c = s[i..].chars().next().expect("a char boundary");
            if !is_word_char(c) {
                return i;
            }
            i += c.len_utf8();
        }
    }
    s.len()
}

/// Whether an emoticon can start with this byte (every first byte of [`EMOTICONS`]; a test
/// checks). The tokenizer asks at every space and punctuation mark, so this saves comparing
/// each of them with every emoticon.
fn may_start_emoticon(b: u8) -> bool {
    matches!(
        b,
        b':' | b';' | b'=' | b'<' | b'^' | b'-' | b'o' | b'O' | b'x' | b'X' | b'>' | b'D'
    )
}

fn match_emoticon(s: &str, i: usize) -> Option<&'static str> {
    let rest = &s[i..];
    if !rest
        .as_bytes()
        .first()
        .is_some_and(|&b| may_start_emoticon(b))
    {
        return None;
    }
    let prev_ok = s[..i]
        .chars()
        .next_back()
        .is_none_or(|p| !p.is_alphanumeric());
    for e in EMOTICONS {
        if let Some(after) = rest.strip_prefix(e) {
            let first_alpha = e.chars().next().is_some_and(char::is_alphanumeric);
            let last_alpha = e.chars().next_back().is_some_and(char::is_alphanumeric);
            let after_ok = after.chars().next().is_none_or(|n| !n.is_alphanumeric());
            if (first_alpha && !prev_ok) || (last_alpha && !after_ok) {
                continue;
            }
            return Some(e);
        }
    }
    None
}

/// Lowercase with `ß` -> `ss`.
fn push_lower(buf: &mut String, s: &str) {
    for c in s.chars() {
        push_lower_char(buf, c);
    }
}

fn push_lower_char(buf: &mut String, c: char) {
    if c.is_ascii() {
        buf.push(c.to_ascii_lowercase());
    } else if c == 'ß' || c == 'ẞ' {
        buf.push_str("ss");
    } else {
        for l in c.to_lowercase() {
            buf.push(l);
        }
    }
}

/// Byte classes ([`CLASS`]): an ASCII letter, an ASCII digit, a byte of a non-ASCII character
/// (0: any other ASCII byte).
const ALPHA: u8 = 1;
const DIGIT: u8 = 2;
const OTHER: u8 = 4;

/// The class of every byte, so that a scan tests one table entry per byte (and a word's
/// classes OR together in one pass).
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if !c.is_ascii() {
            OTHER
        } else if c.is_ascii_alphabetic() {
            ALPHA
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            0
        };
        b += 1;
    }
    t
};

/// What the tokenizer needs to know of an ASCII word, found in one pass over its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AsciiWord {
    has_alpha: bool,
    has_digit: bool,
    /// A letter four or more times in a row (`push_word_as` cuts such runs).
    long_run: bool,
}

impl AsciiWord {
    /// `None` for a word with a non-ASCII character.
    fn of(word: &str) -> Option<AsciiWord> {
        let bytes = word.as_bytes();
        let (mut class, mut last, mut doubled) = (0u8, 0u8, false);
        for &b in bytes {
            class |= CLASS[usize::from(b)];
            doubled |= b == last;
            last = b;
        }
        if class & OTHER != 0 {
            return None;
        }
        // Runs need a doubled letter first (most words have none).
        let long_run = doubled && has_long_run(bytes);
        Some(AsciiWord {
            has_alpha: class & ALPHA != 0,
            has_digit: class & DIGIT != 0,
            long_run,
        })
    }
}

/// [`push_word_as`] taking the word's look itself (the tests' entry).
#[cfg(test)]
fn push_word(buf: &mut String, s: &str) {
    push_word_as(buf, s, AsciiWord::of(s));
}

/// Lowercase, `ß` -> `ss`, `’` -> `'`, letter runs longer than 3 cut to 3 ("sooooo" -> "sooo");
/// `ascii` is the word's [`AsciiWord::of`], which the tokenizer has already taken.
fn push_word_as(buf: &mut String, s: &str, ascii: Option<AsciiWord>) {
    match ascii {
        // Most words are ASCII without a long run: copy and lowercase in place.
        Some(w) if !w.long_run => {
            let start = buf.len();
            buf.push_str(s);
            buf[start..].make_ascii_lowercase();
        }
        _ => push_word_chars(buf, s),
    }
}

/// Whether a letter occurs four or more times in a row.
fn has_long_run(bytes: &[u8]) -> bool {
    bytes
        .windows(4)
        .any(|w| w[0].is_ascii_alphabetic() && w[1..].iter().all(|&x| x == w[0]))
}

/// [`push_word_as`] a character at a time.
fn push_word_chars(buf: &mut String, s: &str) {
    let mut last = '\0';
    let mut run = 0;
    for c in s.chars() {
        let c = if c == '’' { '\'' } else { c };
        if c == last {
            run += 1;
            if run >= 3 && c.is_alphabetic() {
                continue;
            }
        } else {
            last = c;
            run = 0;
        }
        push_lower_char(buf, c);
    }
}

fn push_plain(out: &mut Tokens, s: &str, kind: TokenKind) {
    let start = out.buffer.len() as u32;
    out.buffer.push_str(s);
    let r = start..out.buffer.len() as u32;
    out.tokens.push(Token {
        kind,
        negated: false,
        text: r.clone(),
        stem: r,
    });
}

/// Decodes the HTML entities Twitter exports keep (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&apos;`, `&#39;`). Borrows when there is nothing to decode.
fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let mut matched = false;
        for (ent, ch) in [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&apos;", '\''),
            ("&#39;", '\''),
        ] {
            if rest.starts_with(ent) {
                out.push(ch);
                rest = &rest[ent.len()..];
                matched = true;
                break;
            }
        }
        if !matched {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words with and without runs, digits, case, and non-ASCII letters.
    const WORDS: &[&str] = &[
        "Hello",
        "sooooo",
        "SOOOOO",
        "SoOoO",
        "aaa",
        "aaaa",
        "1000000",
        "re30",
        "x",
        "",
        "don't",
        "AbCdEfG",
        "zzzzzzzzzzzz",
        "ooo0000ooo",
        "aaaAAAA",
        "1111",
        "a-bbbb",
        "bbb-b",
        "ä",
        "café",
        "Grüüüüße",
    ];

    /// The ASCII fast path of `push_word` gives what the character-wise one gives.
    #[test]
    fn ascii_words_are_pushed_as_char_by_char() {
        for &w in WORDS {
            let (mut fast, mut slow) = (String::from("pre"), String::from("pre"));
            push_word(&mut fast, w);
            push_word_chars(&mut slow, w);
            assert_eq!(fast, slow, "{w}");
        }
    }

    /// The one-pass look at an ASCII word agrees with the separate checks it replaces.
    #[test]
    fn ascii_word_flags_match_the_separate_checks() {
        for &w in WORDS {
            let b = w.as_bytes();
            let expected = w.is_ascii().then(|| AsciiWord {
                has_alpha: b.iter().any(u8::is_ascii_alphabetic),
                has_digit: b.iter().any(u8::is_ascii_digit),
                long_run: b
                    .windows(4)
                    .any(|w| w[0].is_ascii_alphabetic() && w[1..].iter().all(|&x| x == w[0])),
            });
            assert_eq!(AsciiWord::of(w), expected, "{w}");
        }
    }

    /// The byte-wise word scan stops where the char-wise one does, at every start position.
    #[test]
    fn word_scan_by_bytes_matches_the_scan_by_chars() {
        let texts = [
            "RE30 fällt aus, Grüße aus Köln",
            "ÄÖÜäöüß straße STRASSE",
            "gate B12😡😡 now",
            "naïve café—déjà vu ½ ² ٣ 中文 ok",
            "#nothappy @united x_y 12:30 3,5",
            "",
        ];
        for text in texts {
            for (from, _) in text.char_indices() {
                assert_eq!(
                    scan_word_chars(text, from),
                    scan_while(text, from, |c| c.is_alphanumeric() && !is_emoji(c)),
                    "{text:?} from {from}"
                );
            }
        }
        for c in ['a', 'Z', '5', 'ä', 'ß', '½', '😡', '-', ' ', '中'] {
            assert_eq!(is_word_char(c), c.is_alphanumeric() && !is_emoji(c), "{c}");
        }
    }

    fn check(text: &str, lang: Lang, expected: &[(&str, TokenKind)]) {
        let toks = tokenize(text, lang);
        let got: Vec<(&str, TokenKind)> = toks.iter().map(|t| (t.text, t.kind)).collect();
        assert_eq!(got, expected, "tokens of {text:?}");
    }

    #[test]
    fn german_social_text() {
        use TokenKind::*;
        check(
            "@DB_Bahn Der ICE 598 ist schon wieder 30 Min. zu spät!!! 😡😡 #fail https://t.co/xY",
            Lang::De,
            &[
                ("@db_bahn", Mention),
                ("der", Word),
                ("ice598", Code),
                ("ist", Word),
                ("schon", Word),
                ("wieder", Word),
                ("30", Number),
                ("min", Word),
                ("zu", Word),
                ("spät", Word),
                ("!!!", Punct),
                ("😡", Emoji),
                ("😡", Emoji),
                ("#fail", Hashtag),
                ("https://t.co/xy", Url),
            ],
        );
    }

    #[test]
    fn line_names_numbers_and_compounds() {
        use TokenKind::*;
        check(
            "RE30 um 10:30, S-Bahn kostet 3,50 €",
            Lang::De,
            &[
                ("re30", Code),
                ("um", Word),
                ("10:30", Number),
                ("s-bahn", Word),
                ("kostet", Word),
                ("3,50", Number),
            ],
        );
    }

    #[test]
    fn umlauts_sharp_s_and_stems() {
        let toks = tokenize("Straße Verspätungen Züge", Lang::De);
        assert_eq!(toks.texts(), ["strasse", "verspätungen", "züge"]);
        assert_eq!(toks.stems(), ["strass", "verspat", "zug"]);
        let en = tokenize("Delayed flights, cancelled again", Lang::En);
        assert_eq!(en.stems(), ["delay", "flight", "cancel", "again"]);
    }

    #[test]
    fn every_emoticon_passes_the_first_byte_filter() {
        for e in EMOTICONS {
            assert!(may_start_emoticon(e.as_bytes()[0]), "{e}");
        }
    }

    #[test]
    fn emoticons_and_entities() {
        use TokenKind::*;
        check(
            "super :-) aber &lt;3 xD :( Box :D",
            Lang::De,
            &[
                ("super", Word),
                (":-)", Emoticon),
                ("aber", Word),
                ("<3", Emoticon),
                ("xD", Emoticon),
                (":(", Emoticon),
                ("box", Word),
                (":D", Emoticon),
            ],
        );
    }

    #[test]
    fn negation_scope_ends_at_punctuation() {
        let t = Tokenizer::new().with_negation(true);
        let toks = t.tokenize("Das ist nicht gut. Aber ok", Lang::De);
        let neg: Vec<(&str, bool)> = toks.iter().map(|t| (t.text, t.negated)).collect();
        assert_eq!(
            neg,
            [
                ("das", false),
                ("ist", false),
                ("nicht", false),
                ("gut", true),
                ("aber", false),
                ("ok", false)
            ]
        );
        let en = t.tokenize("I don't like it", Lang::En);
        assert!(en.iter().any(|t| t.text == "like" && t.negated));
    }

    #[test]
    fn elongation_and_empty() {
        assert_eq!(
            tokenize("sooooo guuuut", Lang::De).texts(),
            ["sooo", "guuut"]
        );
        assert!(tokenize("", Lang::De).is_empty());
        assert!(tokenize("  ... ", Lang::En).is_empty());
    }

    #[test]
    fn reuse_keeps_results_identical() {
        let t = Tokenizer::new();
        let mut buf = Tokens::default();
        t.tokenize_into("Erster Text mit Wörtern", Lang::De, &mut buf);
        t.tokenize_into("zweiter", Lang::De, &mut buf);
        assert_eq!(buf.texts(), ["zweiter"]);
    }

    #[test]
    fn stems_from_the_memo_are_the_stems() {
        // More distinct words than the memo holds, so it also starts afresh on the way; the
        // two languages keep separate memos ("kind" is a German and an English word).
        let words: Vec<String> = (0..StemMemo::CAP + 500)
            .map(|i| {
                // Letters only (a digit makes a code, which is not stemmed).
                let tail: String = i
                    .to_string()
                    .bytes()
                    .map(|d| char::from(d - b'0' + b'a'))
                    .collect();
                format!("Verbindungen{tail} Zügen kind flights")
            })
            .collect();
        let tokenizer = Tokenizer::new();
        let mut reused = Tokens::default();
        for lang in [Lang::De, Lang::En] {
            for (i, text) in words
                .iter()
                .enumerate()
                .step_by(97)
                .chain(words.iter().enumerate())
            {
                tokenizer.tokenize_into(text, lang, &mut reused);
                let fresh = tokenizer.tokenize(text, lang);
                let stems = |t: &Tokens| t.iter().map(|t| t.stem.to_owned()).collect::<Vec<_>>();
                assert_eq!(stems(&reused), stems(&fresh), "text {i}, {lang:?}");
            }
        }
        assert!(reused.stems.de.len() <= StemMemo::CAP);
        assert_eq!(
            tokenize("Verbindungen", Lang::De)
                .iter()
                .next()
                .unwrap()
                .stem,
            "verbind"
        );
    }
}
