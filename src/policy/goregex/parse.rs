//! Go's `regexp/syntax` parser with `Perl` flags, step by step: the same tokens, the same checks in
//! the same order, so that a pattern fails exactly where and how Go's fails.

use regex_syntax::hir::ClassUnicode;

use super::classes;
use super::escape::{class_char, next_char, parse_escape};
use super::{ErrorCode, GoError, GoSyntax};

/// Go's `maxHeight`: deeper parse trees are rejected.
pub(crate) const MAX_HEIGHT: usize = 1000;
/// Go's `maxRepeat`: the largest count, and the largest product of nested counts.
const MAX_REPEAT: i64 = 1000;

/// Go's parse flags that matter once `Perl` is set (`ClassNL`, `PerlX`, `UnicodeGroups` always are).
#[derive(Clone, Copy, Debug)]
struct Flags {
    fold: bool,
    dot_nl: bool,
    one_line: bool,
    non_greedy: bool,
}

const PERL: Flags = Flags {
    fold: false,
    dot_nl: false,
    one_line: true,
    non_greedy: false,
};

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Empty,
    /// A Go rune (possibly a surrogate, which matches nothing); `fold` under `(?i)`.
    Literal {
        rune: u32,
        fold: bool,
    },
    Class(ClassUnicode),
    AnyNotNl,
    Any,
    BeginText,
    EndText,
    BeginLine,
    EndLine,
    WordBoundary,
    NoWordBoundary,
    Capture {
        index: usize,
        name: Option<String>,
        sub: Box<Node>,
    },
    /// `*` is 0.., `+` is 1.., `?` is 0..=1; `counted` for `{n,m}` (Go's `OpRepeat`).
    Repeat {
        min: u32,
        max: Option<u32>,
        greedy: bool,
        counted: bool,
        sub: Box<Node>,
    },
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// The height of Go's tree for this node, for Go's nesting limit.
    height: usize,
}

impl Node {
    pub(crate) fn height(&self) -> usize {
        self.height
    }

    fn leaf(kind: Kind) -> Self {
        Self { kind, height: 1 }
    }

    fn with_subs(kind: Kind) -> Self {
        let height = match &kind {
            Kind::Capture { sub, .. } | Kind::Repeat { sub, .. } => 1 + sub.height,
            // Go merges a run of literals into one string node.
            Kind::Concat(subs)
                if subs.iter().all(|s| {
                    matches!(s.kind, Kind::Literal { fold, .. }
                    if matches!(subs[0].kind, Kind::Literal { fold: f, .. } if f == fold))
                }) =>
            {
                1
            }
            Kind::Concat(subs) | Kind::Alternate(subs) => {
                1 + subs.iter().map(|s| s.height).max().unwrap_or(0)
            }
            _ => 1,
        };
        Self { kind, height }
    }
}

/// An open group: what it captures, the flags to restore at `)`, what it holds so far.
struct Frame {
    capture: Option<(usize, Option<String>)>,
    saved: Flags,
    alternatives: Vec<Node>,
    items: Vec<Node>,
}

struct Parser<'a> {
    s: &'a str,
    syntax: GoSyntax,
    flags: Flags,
    frames: Vec<Frame>,
    captures: usize,
}

/// Parse `s` as Go's `regexp.Compile` does, in the `syntax` of one Go release.
pub(crate) fn parse(s: &str, syntax: GoSyntax) -> Result<Node, GoError> {
    let mut p = Parser {
        s,
        syntax,
        flags: PERL,
        frames: vec![Frame {
            capture: None,
            saved: PERL,
            alternatives: Vec::new(),
            items: Vec::new(),
        }],
        captures: 0,
    };
    let bytes = s.as_bytes();
    let mut pos = 0;
    // Where the previous token began if it was a repetition operator (Go's `lastRepeat`).
    let mut last_repeat: Option<usize> = None;
    while pos < s.len() {
        let mut repeat = None;
        match bytes[pos] {
            b'(' if bytes.get(pos + 1) == Some(&b'?') => pos = p.perl_flags(pos)?,
            b'(' => {
                p.captures += 1;
                p.open(Some((p.captures, None)));
                pos += 1;
            }
            b'|' => {
                p.vertical_bar()?;
                pos += 1;
            }
            b')' => {
                p.right_paren()?;
                pos += 1;
            }
            b'^' | b'$' | b'.' => {
                // What `^`, `$` and `.` mean depends on the flags in effect (`m`, `s`).
                let kind = match (bytes[pos], p.flags.one_line, p.flags.dot_nl) {
                    (b'^', true, _) => Kind::BeginText,
                    (b'^', false, _) => Kind::BeginLine,
                    (b'$', true, _) => Kind::EndText,
                    (b'$', false, _) => Kind::EndLine,
                    (_, _, true) => Kind::Any,
                    (_, _, false) => Kind::AnyNotNl,
                };
                p.push_leaf(kind);
                pos += 1;
            }
            b'[' => pos = p.class(pos)?,
            op @ (b'*' | b'+' | b'?') => {
                let (min, max) = match op {
                    b'*' => (0, -1),
                    b'+' => (1, -1),
                    _ => (0, 1),
                };
                repeat = Some(pos);
                pos = p.repeat(min, max, false, pos, pos + 1, last_repeat)?;
            }
            b'{' => match parse_repeat(s, pos) {
                // Not a valid repetition: `{` is a literal.
                None => {
                    p.literal(u32::from('{'));
                    pos += 1;
                }
                Some((min, max, after)) => {
                    if !(0..=MAX_REPEAT).contains(&min) || max > MAX_REPEAT || max >= 0 && min > max
                    {
                        return Err(GoError::at(ErrorCode::InvalidRepeatSize, s, pos..after));
                    }
                    repeat = Some(pos);
                    pos = p.repeat(min, max, true, pos, after, last_repeat)?;
                }
            },
            b'\\' => pos = p.escape(pos)?,
            _ => {
                let c = next_char(s, pos);
                p.literal(u32::from(c));
                pos += c.len_utf8();
            }
        }
        last_repeat = repeat;
    }
    let node = p.finish_frame()?;
    if p.frames.len() > 1 {
        return Err(GoError::whole(ErrorCode::MissingParen, s));
    }
    Ok(node)
}

/// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}` at `pos`, as (min, max or -1, end); a count too big
/// to read is -1 for min. `None` when the text is not of that form.
fn parse_repeat(s: &str, pos: usize) -> Option<(i64, i64, usize)> {
    let b = s.as_bytes();
    let mut i = pos + 1;
    let (mut min, next) = parse_int(b, i)?;
    i = next;
    let max;
    match b.get(i)? {
        b',' => {
            i += 1;
            if *b.get(i)? == b'}' {
                max = -1;
            } else {
                let (m, next) = parse_int(b, i)?;
                i = next;
                max = m;
                if m < 0 {
                    min = -1;
                }
            }
        }
        _ => max = min,
    }
    (*b.get(i)? == b'}').then_some((min, max, i + 1))
}

/// Go's `parseInt`: digits without a leading zero; -1 once the value passes 1e8.
fn parse_int(b: &[u8], start: usize) -> Option<(i64, usize)> {
    let digits = b
        .get(start..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || digits >= 2 && b[start] == b'0' {
        return None;
    }
    let mut n: i64 = 0;
    for &c in &b[start..start + digits] {
        if n >= 100_000_000 {
            n = -1;
            break;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some((n, start + digits))
}

/// Go's `repeatIsValid`: nested counted repetitions may not multiply past `n` copies.
fn repeat_is_valid(node: &Node, mut n: i64) -> bool {
    match &node.kind {
        Kind::Repeat {
            min,
            max,
            counted,
            sub,
            ..
        } => {
            if *counted {
                let m = match max {
                    Some(0) => return true,
                    Some(m) => i64::from(*m),
                    None => i64::from(*min),
                };
                if m > n {
                    return false;
                }
                if m > 0 {
                    n /= m;
                }
            }
            repeat_is_valid(sub, n)
        }
        Kind::Capture { sub, .. } => repeat_is_valid(sub, n),
        Kind::Concat(subs) | Kind::Alternate(subs) => subs.iter().all(|s| repeat_is_valid(s, n)),
        _ => true,
    }
}

impl Parser<'_> {
    fn frame(&mut self) -> &mut Frame {
        // The root frame is never popped: `right_paren` checks for it first.
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    fn check(&self, node: Node) -> Result<Node, GoError> {
        if node.height > MAX_HEIGHT {
            return Err(GoError::whole(ErrorCode::NestingDepth, self.s));
        }
        Ok(node)
    }

    fn push_leaf(&mut self, kind: Kind) {
        self.frame().items.push(Node::leaf(kind));
    }

    fn literal(&mut self, rune: u32) {
        let fold = self.flags.fold;
        self.push_leaf(Kind::Literal { rune, fold });
    }

    fn open(&mut self, capture: Option<(usize, Option<String>)>) {
        let saved = self.flags;
        self.frames.push(Frame {
            capture,
            saved,
            alternatives: Vec::new(),
            items: Vec::new(),
        });
    }

    /// Go's `concat`: the items since the last `|` or `(` as one node.
    fn concat(&mut self) -> Result<Node, GoError> {
        let items = std::mem::take(&mut self.frame().items);
        if items.len() <= 1 {
            return Ok(items
                .into_iter()
                .next()
                .unwrap_or_else(|| Node::leaf(Kind::Empty)));
        }
        let mut flat = Vec::with_capacity(items.len());
        for item in items {
            match item.kind {
                Kind::Concat(subs) => flat.extend(subs),
                kind => flat.push(Node { kind, ..item }),
            }
        }
        self.check(Node::with_subs(Kind::Concat(flat)))
    }

    fn vertical_bar(&mut self) -> Result<(), GoError> {
        let node = self.concat()?;
        self.frame().alternatives.push(node);
        Ok(())
    }

    /// Go's `concat` then `alternate` for the innermost group.
    fn finish_frame(&mut self) -> Result<Node, GoError> {
        let last = self.concat()?;
        let mut alternatives = std::mem::take(&mut self.frame().alternatives);
        if alternatives.is_empty() {
            return Ok(last);
        }
        alternatives.push(last);
        let mut flat = Vec::with_capacity(alternatives.len());
        for alt in alternatives {
            match alt.kind {
                Kind::Alternate(subs) => flat.extend(subs),
                kind => flat.push(Node { kind, ..alt }),
            }
        }
        self.check(Node::with_subs(Kind::Alternate(flat)))
    }

    fn right_paren(&mut self) -> Result<(), GoError> {
        let node = self.finish_frame()?;
        if self.frames.len() < 2 {
            return Err(GoError::whole(ErrorCode::UnexpectedParen, self.s));
        }
        let Some(frame) = self.frames.pop() else {
            return Err(GoError::whole(ErrorCode::UnexpectedParen, self.s));
        };
        self.flags = frame.saved;
        let node = match frame.capture {
            None => node,
            Some((index, name)) => self.check(Node::with_subs(Kind::Capture {
                index,
                name,
                sub: Box::new(node),
            }))?,
        };
        self.frame().items.push(node);
        Ok(())
    }

    /// Go's `repeat`: `before..after` is the operator; a `?` after it makes it non-greedy.
    fn repeat(
        &mut self,
        min: i64,
        max: i64,
        counted: bool,
        before: usize,
        mut after: usize,
        last_repeat: Option<usize>,
    ) -> Result<usize, GoError> {
        let mut non_greedy = self.flags.non_greedy;
        if self.s.as_bytes().get(after) == Some(&b'?') {
            after += 1;
            non_greedy = !non_greedy;
        }
        if let Some(last) = last_repeat {
            // Perl does not stack repetition operators: `a**` is an error, not `(a*)*`.
            return Err(GoError::at(ErrorCode::InvalidRepeatOp, self.s, last..after));
        }
        let Some(sub) = self.frame().items.pop() else {
            return Err(GoError::at(
                ErrorCode::MissingRepeatArgument,
                self.s,
                before..after,
            ));
        };
        let node = self.check(Node::with_subs(Kind::Repeat {
            min: u32::try_from(min).unwrap_or(0),
            max: u32::try_from(max).ok(),
            greedy: !non_greedy,
            counted,
            sub: Box::new(sub),
        }))?;
        if counted && (min >= 2 || max >= 2) && !repeat_is_valid(&node, MAX_REPEAT) {
            return Err(GoError::at(
                ErrorCode::InvalidRepeatSize,
                self.s,
                before..after,
            ));
        }
        self.frame().items.push(node);
        Ok(after)
    }

    /// Go's `parsePerlFlags` at `(?`: a named group, a flag change, or a non-capturing group.
    fn perl_flags(&mut self, pos: usize) -> Result<usize, GoError> {
        let t = &self.s[pos..];
        let tb = t.as_bytes();
        let starts_with_p = tb.len() > 4 && tb[2] == b'P' && tb[3] == b'<';
        // `(?<name>` is Go 1.22's; before, `(?<` is no Perl syntax Go knows.
        let starts_with_name = tb.len() > 3 && tb[2] == b'<' && self.syntax >= GoSyntax::Go1_22;
        if starts_with_p || starts_with_name {
            let name_start = if starts_with_p { 4 } else { 3 };
            let Some(end) = t.find('>') else {
                return Err(GoError::at(
                    ErrorCode::InvalidNamedCapture,
                    self.s,
                    pos..self.s.len(),
                ));
            };
            let name = t.get(name_start..end).unwrap_or_default();
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return Err(GoError::at(
                    ErrorCode::InvalidNamedCapture,
                    self.s,
                    pos..pos + end + 1,
                ));
            }
            self.captures += 1;
            self.open(Some((self.captures, Some(name.to_owned()))));
            return Ok(pos + end + 1);
        }

        let mut flags = self.flags;
        let mut negated = false;
        let mut saw_flag = false;
        let mut i = pos + 2;
        while i < self.s.len() {
            let c = next_char(self.s, i);
            i += c.len_utf8();
            match c {
                'i' => flags.fold = !negated,
                // (?m) lets ^ and $ match at line ends: Go's OneLine cleared.
                'm' => flags.one_line = negated,
                's' => flags.dot_nl = !negated,
                'U' => flags.non_greedy = !negated,
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                    continue;
                }
                ':' | ')' if !negated || saw_flag => {
                    if c == ':' {
                        self.open(None);
                    }
                    self.flags = flags;
                    return Ok(i);
                }
                _ => break,
            }
            saw_flag = true;
        }
        Err(GoError::at(ErrorCode::InvalidPerlOp, self.s, pos..i))
    }

    /// A backslash outside a class: Go's assertions, `\Q…\E`, `\p{…}`, `\d`, or an escaped rune.
    fn escape(&mut self, pos: usize) -> Result<usize, GoError> {
        let kind = match self.s.as_bytes().get(pos + 1) {
            Some(b'A') => Some(Kind::BeginText),
            Some(b'b') => Some(Kind::WordBoundary),
            Some(b'B') => Some(Kind::NoWordBoundary),
            Some(b'z') => Some(Kind::EndText),
            Some(b'C') => {
                // Any byte: Go does not support it.
                return Err(GoError::at(ErrorCode::InvalidEscape, self.s, pos..pos + 2));
            }
            Some(b'Q') => {
                let body = &self.s[pos + 2..];
                let (literal, end) = match body.find(r"\E") {
                    Some(i) => (&body[..i], pos + 2 + i + 2),
                    None => (body, self.s.len()),
                };
                for c in literal.chars() {
                    self.literal(u32::from(c));
                }
                return Ok(end);
            }
            _ => None,
        };
        if let Some(kind) = kind {
            self.push_leaf(kind);
            return Ok(pos + 2);
        }
        if let Some((class, end)) = self.unicode_class(pos)? {
            self.push_leaf(Kind::Class(class));
            return Ok(end);
        }
        if let Some((ranges, negated)) = self
            .s
            .as_bytes()
            .get(pos + 1)
            .and_then(|&c| classes::perl_group(c))
        {
            self.push_leaf(Kind::Class(classes::group(
                ranges,
                negated,
                self.flags.fold,
            )));
            return Ok(pos + 2);
        }
        let (rune, end) = parse_escape(self.s, pos)?;
        self.literal(rune);
        Ok(end)
    }

    /// Go's `parseUnicodeClass` at a backslash: `\pL`, `\p{Greek}`, `\P{^Lu}`.
    fn unicode_class(&self, pos: usize) -> Result<Option<(ClassUnicode, usize)>, GoError> {
        let s = self.s;
        let negated = match s.as_bytes().get(pos + 1) {
            Some(b'p') => false,
            Some(b'P') => true,
            _ => return Ok(None),
        };
        let (seq, name) = if s.as_bytes().get(pos + 2) == Some(&b'{') {
            let Some(end) = s[pos..].find('}') else {
                return Err(GoError::at(ErrorCode::InvalidCharRange, s, pos..s.len()));
            };
            (pos..pos + end + 1, &s[pos + 3..pos + end])
        } else {
            let len = s[pos + 2..].chars().next().map_or(0, char::len_utf8);
            (pos..pos + 2 + len, &s[pos + 2..pos + 2 + len])
        };
        let (name, negated) = match name.strip_prefix('^') {
            Some(rest) => (rest, !negated),
            None => (name, negated),
        };
        let Some(mut class) = classes::unicode_table(name, self.syntax) else {
            return Err(GoError::at(ErrorCode::InvalidCharRange, s, seq));
        };
        if self.flags.fold {
            class.case_fold_simple();
        }
        if negated {
            class.negate();
        }
        Ok(Some((class, seq.end)))
    }

    /// Go's `parseClass` at `[`.
    fn class(&mut self, start: usize) -> Result<usize, GoError> {
        let s = self.s;
        let b = s.as_bytes();
        let fold = self.flags.fold;
        let mut t = start + 1;
        let mut class = ClassUnicode::empty();
        let negated = b.get(t) == Some(&b'^');
        if negated {
            t += 1;
        }
        // `]` is a literal as the first item.
        let mut first = true;
        while b.get(t) != Some(&b']') || first {
            first = false;
            if s.len() - t > 2 && b[t] == b'[' && b[t + 1] == b':' {
                if let Some(i) = s[t + 2..].find(":]") {
                    let end = t + 2 + i + 2;
                    let Some((ranges, neg)) = classes::posix_group(&s[t + 2..t + 2 + i]) else {
                        return Err(GoError::at(ErrorCode::InvalidCharRange, s, t..end));
                    };
                    class.union(&classes::group(ranges, neg, fold));
                    t = end;
                    continue;
                }
            }
            if b.get(t) == Some(&b'\\') {
                if let Some((c, end)) = self.unicode_class(t)? {
                    class.union(&c);
                    t = end;
                    continue;
                }
                if let Some((ranges, neg)) = b.get(t + 1).and_then(|&c| classes::perl_group(c)) {
                    class.union(&classes::group(ranges, neg, fold));
                    t += 2;
                    continue;
                }
            }
            let range_start = t;
            let (lo, next) = class_char(s, t, start)?;
            t = next;
            let mut hi = lo;
            // `[a-]` is `a` and `-`.
            if b.get(t) == Some(&b'-') && b.get(t + 1).is_some_and(|&c| c != b']') {
                let (h, next) = class_char(s, t + 1, start)?;
                t = next;
                hi = h;
                if hi < lo {
                    return Err(GoError::at(ErrorCode::InvalidCharRange, s, range_start..t));
                }
            }
            let mut range = classes::range(lo, hi);
            if fold {
                range.case_fold_simple();
            }
            class.union(&range);
        }
        if negated {
            class.negate();
        }
        self.push_leaf(Kind::Class(class));
        Ok(t + 1)
    }
}
