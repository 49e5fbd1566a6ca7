//! The values a template sees, modelled on what Go's `reflect` shows `text/template`: strings,
//! integers, booleans, slices, maps (iterated in Go's `fmtsort` key order) and structs with fields
//! and argument-less methods. Each composite carries how Go's `fmt` would print it.

use std::cmp::Ordering;
use std::rc::Rc;

/// One value in a template's data or produced while executing it.
#[derive(Clone, Debug)]
pub enum Value {
    /// Go's invalid `reflect.Value`: a missing map entry. Prints `<no value>`, is false.
    Missing,
    /// Go's `nil`. Prints `<nil>`, is false.
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Rc<List>),
    Map(Rc<Map>),
    Struct(Rc<Struct>),
}

/// How Go's `fmt` prints a composite value.
#[derive(Clone, Debug)]
pub enum Print {
    /// `fmt`'s default: `[a b]`, `map[k:v]`, `{f1 f2}`.
    Default,
    /// The type has a `String()` method returning this.
    Stringer(String),
    /// The text depends on the Flux version (a `String()` method some releases have and others
    /// lack), so printing it would risk a message Flux would not write.
    Refuse,
}

#[derive(Clone, Debug)]
pub struct List {
    /// Go's name for the type, for error messages (`[]update.Change`).
    pub type_name: &'static str,
    pub items: Vec<Value>,
    pub print: Print,
}

#[derive(Clone, Debug)]
pub struct Map {
    pub type_name: &'static str,
    /// Sorted by key as `text/template`'s `range` visits them (Go's `fmtsort`).
    pub entries: Vec<(Value, Value)>,
    pub print: Print,
    /// Go's zero value of the element type, which `index` returns for a missing key.
    pub zero: Value,
}

#[derive(Clone, Debug)]
pub struct Struct {
    pub type_name: &'static str,
    /// Fields in declaration order (which is also `fmtsort`'s comparison order).
    pub fields: Vec<(&'static str, Value)>,
    /// Methods without arguments, already evaluated.
    pub methods: Vec<(&'static str, Value)>,
    pub print: Print,
}

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    pub fn list(type_name: &'static str, items: Vec<Value>, print: Print) -> Self {
        Value::List(Rc::new(List {
            type_name,
            items,
            print,
        }))
    }

    /// A map; entries are sorted here into Go's iteration order.
    pub fn map(
        type_name: &'static str,
        mut entries: Vec<(Value, Value)>,
        print: Print,
        zero: Value,
    ) -> Self {
        entries.sort_by(|a, b| compare_keys(&a.0, &b.0));
        Value::Map(Rc::new(Map {
            type_name,
            entries,
            print,
            zero,
        }))
    }

    pub fn structure(
        type_name: &'static str,
        fields: Vec<(&'static str, Value)>,
        methods: Vec<(&'static str, Value)>,
        print: Print,
    ) -> Self {
        Value::Struct(Rc::new(Struct {
            type_name,
            fields,
            methods,
            print,
        }))
    }

    /// Go's type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Missing => "<no value>",
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Str(_) => "string",
            Value::List(l) => l.type_name,
            Value::Map(m) => m.type_name,
            Value::Struct(s) => s.type_name,
        }
    }

    /// `text/template`'s truth: false, 0, nil, and empty strings, slices and maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::Struct(_) => true,
        }
    }

    /// The text `fmt.Sprint(v)` gives, or why imagelock will not produce it.
    pub fn go_print(&self) -> Result<String, String> {
        let mut out = String::new();
        self.print_into(&mut out)?;
        Ok(out)
    }

    fn print_into(&self, out: &mut String) -> Result<(), String> {
        match self {
            Value::Missing => out.push_str("<no value>"),
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Str(s) => out.push_str(s),
            Value::List(l) => match &l.print {
                Print::Stringer(s) => out.push_str(s),
                Print::Refuse => return Err(refusal(l.type_name)),
                Print::Default => {
                    out.push('[');
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            out.push(' ');
                        }
                        item.print_into(out)?;
                    }
                    out.push(']');
                }
            },
            Value::Map(m) => match &m.print {
                Print::Stringer(s) => out.push_str(s),
                Print::Refuse => return Err(refusal(m.type_name)),
                Print::Default => {
                    out.push_str("map[");
                    for (i, (k, v)) in m.entries.iter().enumerate() {
                        if i > 0 {
                            out.push(' ');
                        }
                        k.print_into(out)?;
                        out.push(':');
                        v.print_into(out)?;
                    }
                    out.push(']');
                }
            },
            Value::Struct(s) => match &s.print {
                Print::Stringer(text) => out.push_str(text),
                Print::Refuse => return Err(refusal(s.type_name)),
                Print::Default => {
                    out.push('{');
                    for (i, (_, v)) in s.fields.iter().enumerate() {
                        if i > 0 {
                            out.push(' ');
                        }
                        v.print_into(out)?;
                    }
                    out.push('}');
                }
            },
        }
        Ok(())
    }
}

fn refusal(type_name: &str) -> String {
    format!(
        "imagelock does not print a whole {type_name}: its text differs between Flux releases; print its fields instead"
    )
}

/// Go's `fmtsort` order for map keys: numbers and strings by value, structs field by field.
pub fn compare_keys(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Struct(x), Value::Struct(y)) => x
            .fields
            .iter()
            .zip(&y.fields)
            .map(|((_, fx), (_, fy))| compare_keys(fx, fy))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    }
}
