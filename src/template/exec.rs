//! Execute a parsed template over a [`Value`], with `text/template`'s semantics: dot, variables
//! scoped to their control structure, `range` over slices, maps (in key order) and integers,
//! `if`/`with`/`else`, `break`/`continue`, lazy `and`/`or`, pipelines passing their value as the
//! last argument.

use super::funcs;
use super::parse::{Cmd, Control, Node, Operand, Pipe};
use super::value::Value;
use super::{ErrorKind, TemplateError, MAX_OUTPUT};

enum Flow {
    Normal,
    Break,
    Continue,
}

pub struct Exec<'a> {
    src: &'a str,
    vars: Vec<(String, Value)>,
    pub out: String,
}

type Result<T> = std::result::Result<T, TemplateError>;

impl<'a> Exec<'a> {
    pub fn new(src: &'a str, root: &Value) -> Self {
        Self {
            src,
            vars: vec![("$".to_owned(), root.clone())],
            out: String::new(),
        }
    }

    fn err(&self, pos: usize, message: impl Into<String>) -> TemplateError {
        TemplateError::at(ErrorKind::Execute, self.src, pos, message)
    }

    pub fn run(&mut self, nodes: &[Node], dot: &Value) -> Result<()> {
        self.walk(nodes, dot).map(|_| ())
    }

    fn walk(&mut self, nodes: &[Node], dot: &Value) -> Result<Flow> {
        for node in nodes {
            match node {
                Node::Text(t) => self.write(t, 0)?,
                Node::Action(pipe) => {
                    let v = self.pipeline(pipe, dot)?;
                    if pipe.vars.is_empty() {
                        let text = match &v {
                            Value::Missing => "<no value>".to_owned(),
                            other => other.go_print().map_err(|m| self.err(pipe.pos, m))?,
                        };
                        self.write(&text, pipe.pos)?;
                    }
                }
                Node::If(c) | Node::With(c) => {
                    let mark = self.vars.len();
                    let v = self.pipeline(&c.pipe, dot)?;
                    let flow = if v.truthy() {
                        let inner = if matches!(node, Node::With(_)) {
                            v
                        } else {
                            dot.clone()
                        };
                        self.walk(&c.body, &inner)?
                    } else {
                        self.walk(&c.otherwise, dot)?
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(c) => self.range(c, dot)?,
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn write(&mut self, text: &str, pos: usize) -> Result<()> {
        if self.out.len() + text.len() > MAX_OUTPUT {
            return Err(self.err(pos, "the message grows past 1 MiB"));
        }
        self.out.push_str(text);
        Ok(())
    }

    fn range(&mut self, c: &Control, dot: &Value) -> Result<()> {
        let mark = self.vars.len();
        let collection = self.eval_cmds(&c.pipe, dot)?;
        let items: Vec<(Value, Value)> = match &collection {
            Value::List(l) => l
                .items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                .collect(),
            Value::Map(m) => m.entries.clone(),
            Value::Int(n) => (0..*n).map(|i| (Value::Int(i), Value::Int(i))).collect(),
            Value::Missing | Value::Nil => Vec::new(),
            other => {
                return Err(self.err(
                    c.pipe.pos,
                    format!("range can't iterate over {}", other.type_name()),
                ))
            }
        };
        if matches!(collection, Value::Int(_)) && c.pipe.vars.len() > 1 {
            return Err(self.err(
                c.pipe.pos,
                "can't use two variables to range over an integer",
            ));
        }
        if items.is_empty() {
            self.vars.truncate(mark);
            self.walk(&c.otherwise, dot)?;
            return Ok(());
        }
        // The declared variables, then per iteration: the last gets the element, the first (of
        // two) the key or index.
        if !c.pipe.assign {
            for v in &c.pipe.vars {
                self.vars.push((v.clone(), Value::Nil));
            }
        }
        let iteration_mark = self.vars.len();
        for (key, elem) in items {
            match c.pipe.vars.as_slice() {
                [] => {}
                [e] => self.set(e, elem.clone(), c.pipe.assign, c.pipe.pos)?,
                [k, e] => {
                    self.set(e, elem.clone(), c.pipe.assign, c.pipe.pos)?;
                    self.set(k, key, c.pipe.assign, c.pipe.pos)?;
                }
                _ => return Err(self.err(c.pipe.pos, "too many variables in range")),
            }
            let flow = self.walk(&c.body, &elem)?;
            self.vars.truncate(iteration_mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    /// Set a variable declared by this pipeline (the innermost of that name) or, for `=`, the
    /// visible one.
    fn set(&mut self, name: &str, value: Value, _assign: bool, pos: usize) -> Result<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(self.err(pos, format!("undefined variable: {name}"))),
        }
    }

    fn pipeline(&mut self, pipe: &Pipe, dot: &Value) -> Result<Value> {
        let value = self.eval_cmds(pipe, dot)?;
        for v in &pipe.vars {
            if pipe.assign {
                self.set(v, value.clone(), true, pipe.pos)?;
            } else {
                self.vars.push((v.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn eval_cmds(&mut self, pipe: &Pipe, dot: &Value) -> Result<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.command(cmd, dot, value)?);
        }
        value.ok_or_else(|| self.err(pipe.pos, "missing value for command"))
    }

    fn command(&mut self, cmd: &Cmd, dot: &Value, piped: Option<Value>) -> Result<Value> {
        let first = &cmd.args[0];
        if let Operand::Func(name, pos) = first {
            return self.call(name, *pos, &cmd.args[1..], dot, piped);
        }
        if cmd.args.len() > 1 || piped.is_some() {
            return Err(self.err(
                first.pos().unwrap_or(cmd.pos),
                "can't give argument to non-function",
            ));
        }
        self.operand(first, dot, cmd.pos)
    }

    fn call(
        &mut self,
        name: &str,
        pos: usize,
        args: &[Operand],
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value> {
        if name == "and" || name == "or" {
            let total = args.len() + usize::from(piped.is_some());
            if total == 0 {
                return Err(self.err(
                    pos,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut last = Value::Nil;
            for a in args {
                last = self.operand(a, dot, pos)?;
                if last.truthy() != (name == "and") {
                    return Ok(last);
                }
            }
            if let Some(p) = piped {
                last = p;
            }
            return Ok(last);
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for a in args {
            values.push(self.operand(a, dot, pos)?);
        }
        values.extend(piped);
        funcs::call(name, values).map_err(|m| self.err(pos, format!("error calling {name}: {m}")))
    }

    fn operand(&mut self, op: &Operand, dot: &Value, _pos: usize) -> Result<Value> {
        match op {
            Operand::Dot(fields, p) => self.fields(dot.clone(), fields, *p, "."),
            Operand::Var(name, fields, p) => {
                let value = self
                    .vars
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| self.err(*p, format!("undefined variable: {name}")))?;
                self.fields(value, fields, *p, name)
            }
            Operand::Sub(pipe, fields) => {
                let value = self.eval_cmds(pipe, dot)?;
                self.fields(value, fields, pipe.pos, "(…)")
            }
            Operand::Func(name, p) => self.call(name, *p, &[], dot, None),
            Operand::Str(s) => Ok(Value::Str(s.clone())),
            Operand::Int(n) => Ok(Value::Int(*n)),
            Operand::Bool(b) => Ok(Value::Bool(*b)),
            Operand::Nil(p) => Err(self.err(*p, "nil is not a command")),
        }
    }

    /// Follow a chain of field names (or argument-less methods, or string map keys).
    fn fields(
        &self,
        mut value: Value,
        fields: &[String],
        pos: usize,
        start: &str,
    ) -> Result<Value> {
        let mut path = if start == "." {
            String::new()
        } else {
            start.to_owned()
        };
        for f in fields {
            path.push('.');
            path.push_str(f);
            value = match &value {
                Value::Struct(s) => match s.fields.iter().chain(&s.methods).find(|(n, _)| n == f) {
                    Some((_, v)) => v.clone(),
                    None => return Err(self.err(pos, missing_field(f, s.type_name, &path))),
                },
                Value::Map(m) if matches!(m.zero, Value::Str(_)) => m
                    .entries
                    .iter()
                    .find(|(k, _)| matches!(k, Value::Str(k) if k == f))
                    .map_or(Value::Missing, |(_, v)| v.clone()),
                Value::Missing | Value::Nil => {
                    return Err(self.err(pos, format!("nil pointer evaluating <{path}>")))
                }
                other => {
                    return Err(self.err(
                        pos,
                        format!("can't evaluate field {f} in type {}", other.type_name()),
                    ))
                }
            };
        }
        Ok(value)
    }
}

fn missing_field(field: &str, type_name: &str, path: &str) -> String {
    match (type_name, field) {
        ("source.TemplateData", "Updated") => format!(
            "<{path}>: the `.Updated` template data was removed in Flux 2.7 (image-automation-controller v1.0), which stalls the automation; use `.Changed`"
        ),
        ("update.Result", "ImageResult") => format!(
            "<{path}>: `.Changed.ImageResult` was removed in Flux 2.7 (image-automation-controller v1.0); use `.Changed.Changes` or `.Changed.Objects`"
        ),
        _ => format!("<{path}>: can't evaluate field {field} in type {type_name}"),
    }
}
