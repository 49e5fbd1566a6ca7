//! A parsed Go pattern as a pattern for the `regex` crate. Everything Go decides at parse time
//! (case folding, what `.` `^` `$` mean, greediness) is already in the tree, so the output sets
//! no flags: literals and classes are spelled out, assertions are the ASCII/`\z` forms Go means.

use std::collections::HashSet;
use std::fmt::Write as _;

use regex_syntax::hir::ClassUnicode;

use super::classes;
use super::parse::{Kind, Node};

pub(crate) fn translate(node: &Node) -> String {
    let mut out = String::new();
    let mut names = HashSet::new();
    emit(node, &mut out, &mut names);
    out
}

fn emit(node: &Node, out: &mut String, names: &mut HashSet<String>) {
    match &node.kind {
        Kind::Empty => out.push_str("(?:)"),
        Kind::Literal { rune, fold } => {
            let mut class = classes::range(*rune, *rune);
            if *fold {
                class.case_fold_simple();
            }
            match class.ranges() {
                [one] if one.start() == one.end() => push_char(out, one.start()),
                _ => push_class(out, &class),
            }
        }
        Kind::Class(class) => push_class(out, class),
        Kind::AnyNotNl => out.push_str(r"[^\n]"),
        Kind::Any => out.push_str("(?s:.)"),
        Kind::BeginText => out.push_str(r"\A"),
        // Go's `$` without (?m) is the end of the text only.
        Kind::EndText => out.push_str(r"\z"),
        Kind::BeginLine => out.push_str("(?m:^)"),
        Kind::EndLine => out.push_str("(?m:$)"),
        // Go's word boundaries are ASCII.
        Kind::WordBoundary => out.push_str(r"(?-u:\b)"),
        Kind::NoWordBoundary => out.push_str(r"(?-u:\B)"),
        Kind::Capture { index, name, sub } => {
            match name {
                Some(name) => {
                    let name = crate_name(name, *index, names);
                    let _ = write!(out, "(?P<{name}>");
                }
                None => out.push('('),
            }
            emit(sub, out, names);
            out.push(')');
        }
        Kind::Repeat {
            min,
            max,
            greedy,
            sub,
            ..
        } => {
            out.push_str("(?:");
            emit(sub, out, names);
            out.push(')');
            let _ = match (min, max) {
                (0, None) => write!(out, "*"),
                (1, None) => write!(out, "+"),
                (0, Some(1)) => write!(out, "?"),
                (n, None) => write!(out, "{{{n},}}"),
                (n, Some(m)) if n == m => write!(out, "{{{n}}}"),
                (n, Some(m)) => write!(out, "{{{n},{m}}}"),
            };
            if !greedy {
                out.push('?');
            }
        }
        Kind::Concat(subs) => {
            for sub in subs {
                emit(sub, out, names);
            }
        }
        Kind::Alternate(subs) => {
            out.push_str("(?:");
            for (i, sub) in subs.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(sub, out, names);
            }
            out.push(')');
        }
    }
}

/// The group's name for the `regex` crate; see [`super::go_group_name`] for the way back.
fn crate_name(name: &str, index: usize, names: &mut HashSet<String>) -> String {
    let starts_well = name
        .bytes()
        .next()
        .is_some_and(|c| c == b'_' || c.is_ascii_alphabetic());
    let name = if starts_well && !names.contains(name) {
        name.to_owned()
    } else {
        format!("_.{index}.{name}")
    };
    names.insert(name.clone());
    name
}

fn push_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' {
        out.push(c);
    } else {
        let _ = write!(out, r"\x{{{:x}}}", u32::from(c));
    }
}

fn push_class(out: &mut String, class: &ClassUnicode) {
    if class.ranges().is_empty() {
        // A class with nothing in it: it never matches.
        out.push_str(r"[^\x{0}-\x{10ffff}]");
        return;
    }
    out.push('[');
    for r in class.ranges() {
        push_char(out, r.start());
        if r.end() != r.start() {
            out.push('-');
            push_char(out, r.end());
        }
    }
    out.push(']');
}
