//! Parse lexed pieces into a tree, with the checks Go's parser makes before anything runs:
//! unknown functions, undefined variables, unbalanced `end`, misplaced `else`, `break` outside
//! `range`. Constructs imagelock does not render (`define`, `template`, `block`) fail here.

use super::funcs;
use super::lex::{Piece, Tok, Token};
use super::{ErrorKind, TemplateError};

#[derive(Clone, Debug)]
pub enum Node {
    Text(String),
    /// `{{ pipeline }}`: printed unless it declares a variable.
    Action(Pipe),
    If(Control),
    With(Control),
    Range(Control),
    Break,
    Continue,
}

#[derive(Clone, Debug)]
pub struct Control {
    pub pipe: Pipe,
    pub body: Vec<Node>,
    pub otherwise: Vec<Node>,
}

#[derive(Clone, Debug)]
pub struct Pipe {
    pub pos: usize,
    /// Declared (`:=`) or assigned (`=`) variables, with `$`.
    pub vars: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Cmd>,
}

#[derive(Clone, Debug)]
pub struct Cmd {
    pub pos: usize,
    pub args: Vec<Operand>,
}

#[derive(Clone, Debug)]
pub enum Operand {
    /// `.` followed by zero or more fields: `.`, `.Changed.Changes`.
    Dot(Vec<String>, usize),
    /// `$x.Field…`.
    Var(String, Vec<String>, usize),
    /// `(pipeline).Field…`.
    Sub(Box<Pipe>, Vec<String>),
    Func(String, usize),
    Str(String),
    Int(i64),
    Bool(bool),
    Nil(usize),
}

impl Operand {
    pub fn pos(&self) -> Option<usize> {
        match self {
            Operand::Dot(_, p) | Operand::Var(_, _, p) | Operand::Func(_, p) | Operand::Nil(p) => {
                Some(*p)
            }
            Operand::Sub(pipe, _) => Some(pipe.pos),
            _ => None,
        }
    }
}

/// What ended a list of nodes.
enum Stop {
    Eof,
    End(usize),
    Else(usize),
    /// `{{else if …}}` / `{{else with …}}`: the keyword and the rest of the action.
    ElseChain(String, Vec<Token>, usize),
}

pub struct Parser<'a> {
    src: &'a str,
    pieces: std::vec::IntoIter<Piece>,
    vars: Vec<String>,
    range_depth: usize,
}

pub fn parse(src: &str, pieces: Vec<Piece>) -> Result<Vec<Node>, TemplateError> {
    let mut p = Parser {
        src,
        pieces: pieces.into_iter(),
        vars: vec!["$".to_owned()],
        range_depth: 0,
    };
    let (nodes, end) = p.list()?;
    match end {
        Stop::Eof => Ok(nodes),
        Stop::End(pos) => Err(p.err(pos, "unexpected {{end}}")),
        Stop::Else(pos) | Stop::ElseChain(_, _, pos) => Err(p.err(pos, "unexpected {{else}}")),
    }
}

impl Parser<'_> {
    fn err(&self, pos: usize, message: impl Into<String>) -> TemplateError {
        TemplateError::at(ErrorKind::Parse, self.src, pos, message)
    }

    fn list(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut nodes = Vec::new();
        while let Some(piece) = self.pieces.next() {
            let (tokens, pos) = match piece {
                Piece::Text(t) => {
                    nodes.push(Node::Text(t));
                    continue;
                }
                Piece::Action(tokens, pos) => (tokens, pos),
            };
            let Some(first) = tokens.first() else {
                return Err(self.err(pos, "missing value for command"));
            };
            let keyword = match &first.kind {
                Tok::Ident(word) => word.as_str(),
                _ => "",
            };
            let rest = || tokens[1..].to_vec();
            match keyword {
                "end" => {
                    self.no_args(&tokens, "end")?;
                    return Ok((nodes, Stop::End(pos)));
                }
                "else" => {
                    return Ok(match tokens.get(1).map(|t| &t.kind) {
                        None => (nodes, Stop::Else(pos)),
                        Some(Tok::Ident(k)) if k == "if" || k == "with" => {
                            (nodes, Stop::ElseChain(k.clone(), tokens[2..].to_vec(), pos))
                        }
                        Some(_) => return Err(self.err(pos, "unexpected tokens after {{else}}")),
                    })
                }
                "if" | "with" | "range" => {
                    let node = self.control(keyword, rest(), pos)?;
                    nodes.push(node);
                }
                "break" | "continue" => {
                    self.no_args(&tokens, keyword)?;
                    if self.range_depth == 0 {
                        return Err(
                            self.err(pos, format!("{{{{{keyword}}}}} outside {{{{range}}}}"))
                        );
                    }
                    nodes.push(if keyword == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    });
                }
                "define" | "template" | "block" => {
                    return Err(self.err(
                        pos,
                        format!(
                            "{{{{{keyword}}}}} is not supported by imagelock's template renderer"
                        ),
                    ))
                }
                _ => {
                    let pipe = self.pipeline(tokens, pos, false)?;
                    nodes.push(Node::Action(pipe));
                }
            }
        }
        Ok((nodes, Stop::Eof))
    }

    fn no_args(&self, tokens: &[Token], keyword: &str) -> Result<(), TemplateError> {
        match tokens.get(1) {
            Some(t) => Err(self.err(t.pos, format!("unexpected tokens in {{{{{keyword}}}}}"))),
            None => Ok(()),
        }
    }

    /// `if`, `with` or `range`: the pipeline, the body, an optional `else`, up to `end`.
    fn control(
        &mut self,
        kind: &str,
        tokens: Vec<Token>,
        pos: usize,
    ) -> Result<Node, TemplateError> {
        let mark = self.vars.len();
        let pipe = self.pipeline(tokens, pos, kind == "range")?;
        if kind == "range" {
            self.range_depth += 1;
        }
        let body = self.list();
        if kind == "range" {
            self.range_depth -= 1;
        }
        let (body, end) = body?;
        let otherwise = match end {
            Stop::End(_) => Vec::new(),
            Stop::Else(_) => match self.list()? {
                (nodes, Stop::End(_)) => nodes,
                (_, Stop::Eof) => {
                    return Err(self.err(
                        pos,
                        format!("unexpected EOF: {{{{{kind}}}}} without {{{{end}}}}"),
                    ))
                }
                (_, Stop::Else(p) | Stop::ElseChain(_, _, p)) => {
                    return Err(self.err(p, "expected {{end}}, found {{else}}"))
                }
            },
            Stop::ElseChain(chained, tokens, p) => {
                if chained != kind {
                    return Err(
                        self.err(p, format!("{{{{else {chained}}}}} inside {{{{{kind}}}}}"))
                    );
                }
                // `{{if a}}…{{else if b}}…{{end}}` is `{{if a}}…{{else}}{{if b}}…{{end}}{{end}}`.
                vec![self.control(&chained, tokens, p)?]
            }
            Stop::Eof => {
                return Err(self.err(
                    pos,
                    format!("unexpected EOF: {{{{{kind}}}}} without {{{{end}}}}"),
                ))
            }
        };
        self.vars.truncate(mark);
        let control = Control {
            pipe,
            body,
            otherwise,
        };
        Ok(match kind {
            "if" => Node::If(control),
            "with" => Node::With(control),
            _ => Node::Range(control),
        })
    }

    /// `[$x[, $y] :=|=] command [| command]…`
    fn pipeline(
        &mut self,
        tokens: Vec<Token>,
        pos: usize,
        range: bool,
    ) -> Result<Pipe, TemplateError> {
        let mut vars = Vec::new();
        let mut assign = false;
        let mut i = 0;
        if let Some(Tok::Var(_)) = tokens.first().map(|t| &t.kind) {
            let declares = |i: usize| {
                matches!(
                    tokens.get(i).map(|t| &t.kind),
                    Some(Tok::Declare | Tok::Assign)
                )
            };
            let is_var = |i: usize| matches!(tokens.get(i).map(|t| &t.kind), Some(Tok::Var(_)));
            let name = |i: usize| match &tokens[i].kind {
                Tok::Var(v) => v.clone(),
                _ => String::new(),
            };
            if declares(1) {
                vars.push(name(0));
                assign = tokens[1].kind == Tok::Assign;
                i = 2;
            } else if range
                && matches!(tokens.get(1).map(|t| &t.kind), Some(Tok::Comma))
                && is_var(2)
                && declares(3)
            {
                vars.push(name(0));
                vars.push(name(2));
                assign = tokens[3].kind == Tok::Assign;
                i = 4;
            } else if matches!(tokens.get(1).map(|t| &t.kind), Some(Tok::Comma)) {
                return Err(self.err(tokens[1].pos, "too many declarations in command"));
            }
        }
        for v in &vars {
            if v == "$" {
                return Err(self.err(pos, "cannot declare or assign `$`"));
            }
            if assign && !self.vars.contains(v) {
                return Err(self.err(pos, format!("undefined variable {v}")));
            }
        }
        let (cmds, next) = self.commands(&tokens, i, pos, false)?;
        if next != tokens.len() {
            return Err(self.err(tokens[next].pos, "unexpected token in pipeline"));
        }
        if !assign {
            self.vars.extend(vars.iter().cloned());
        }
        Ok(Pipe {
            pos,
            vars,
            assign,
            cmds,
        })
    }

    /// Commands from `tokens[i..]` up to the end or, in parentheses, the closing `)`.
    fn commands(
        &mut self,
        tokens: &[Token],
        mut i: usize,
        pos: usize,
        nested: bool,
    ) -> Result<(Vec<Cmd>, usize), TemplateError> {
        let mut cmds = Vec::new();
        loop {
            let cmd_pos = tokens.get(i).map_or(pos, |t| t.pos);
            let mut args = Vec::new();
            while let Some(t) = tokens.get(i) {
                if matches!(t.kind, Tok::Pipe | Tok::RParen) {
                    break;
                }
                let (operand, next) = self.operand(tokens, i)?;
                args.push(operand);
                i = next;
            }
            if args.is_empty() {
                return Err(self.err(cmd_pos, "missing value for command"));
            }
            if let Some(Operand::Nil(p)) = args.first() {
                return Err(self.err(*p, "nil is not a command"));
            }
            cmds.push(Cmd { pos: cmd_pos, args });
            match tokens.get(i).map(|t| &t.kind) {
                Some(Tok::Pipe) => i += 1,
                Some(Tok::RParen) if nested => return Ok((cmds, i)),
                Some(Tok::RParen) => return Err(self.err(tokens[i].pos, "unexpected right paren")),
                _ if nested => return Err(self.err(pos, "unclosed left paren")),
                _ => return Ok((cmds, i)),
            }
        }
    }

    fn operand(&mut self, tokens: &[Token], i: usize) -> Result<(Operand, usize), TemplateError> {
        let t = &tokens[i];
        let mut next = i + 1;
        let base = match &t.kind {
            Tok::Dot => Operand::Dot(Vec::new(), t.pos),
            Tok::Field(f) => Operand::Dot(vec![f.clone()], t.pos),
            Tok::Var(v) => {
                if !self.vars.contains(v) {
                    return Err(self.err(t.pos, format!("undefined variable \"{v}\"")));
                }
                Operand::Var(v.clone(), Vec::new(), t.pos)
            }
            Tok::Ident(name) => {
                if !funcs::exists(name) {
                    return Err(self.err(t.pos, funcs::unknown_message(name)));
                }
                Operand::Func(name.clone(), t.pos)
            }
            Tok::Str(s) => Operand::Str(s.clone()),
            Tok::Int(n) => Operand::Int(*n),
            Tok::Bool(b) => Operand::Bool(*b),
            Tok::Nil => Operand::Nil(t.pos),
            Tok::LParen => {
                let (cmds, close) = self.commands(tokens, i + 1, t.pos, true)?;
                next = close + 1;
                Operand::Sub(
                    Box::new(Pipe {
                        pos: t.pos,
                        vars: Vec::new(),
                        assign: false,
                        cmds,
                    }),
                    Vec::new(),
                )
            }
            Tok::RParen | Tok::Pipe | Tok::Declare | Tok::Assign | Tok::Comma => {
                return Err(self.err(t.pos, "unexpected token in operand"))
            }
        };
        // Fields written right after the operand (no space) chain onto it.
        let mut fields = Vec::new();
        while let Some(Token {
            kind: Tok::Field(f),
            spaced: false,
            ..
        }) = tokens.get(next)
        {
            fields.push(f.clone());
            next += 1;
        }
        let operand = match base {
            Operand::Dot(mut chain, p) => {
                chain.extend(fields);
                Operand::Dot(chain, p)
            }
            Operand::Var(v, _, p) => Operand::Var(v, fields, p),
            Operand::Sub(pipe, _) => Operand::Sub(pipe, fields),
            other if fields.is_empty() => other,
            _ => return Err(self.err(t.pos, "unexpected field after a constant or function")),
        };
        Ok((operand, next))
    }
}
