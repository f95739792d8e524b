//! A defensive YAML loader: yaml-rust2's event parser feeding our own tree builder.
//!
//! Why yaml-rust2 and not serde: `serde_yaml` is deprecated and unmaintained, `serde_yml` is a
//! fork with a troubled history, and none of them let us stop while the tree is being built.
//! yaml-rust2 (maintained, pure Rust, YAML 1.2) exposes a pull parser (`next_token`), so we check
//! the nesting depth and the node count (alias expansion included, the "billion laughs" attack)
//! on every event and stop at once, and we keep what the SDL semantics need: mapping order (JS
//! object order, which Akash's TS SDL code iterates), line numbers for error messages, anchors,
//! aliases and `<<` merge keys (which js-yaml, the YAML loader of Akash's TS SDK, also applies).
//!
//! Scalars are resolved the way js-yaml's default (YAML 1.2 core) schema does it: `null`/`~`/
//! empty, `true`/`false` (three spellings each), integers (decimal, `0x`, `0o`, `0b`, `_`
//! separators), floats (`1.5`, `1e3`, `.inf`, `.nan`); everything else, and every quoted or block
//! scalar, is a string. Numbers are kept as exact decimals, never as floats.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// Largest SDL accepted, in bytes. Real SDLs are a few KiB.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;
/// Deepest nesting of mappings/sequences. An SDL needs about 8.
pub const MAX_DEPTH: usize = 64;
/// Most nodes in the loaded tree, counting every alias expansion.
pub const MAX_NODES: usize = 200_000;

/// An exact decimal number as written in YAML (`-12.5` is neg, "12", "5").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Num {
    pub neg: bool,
    /// Integer digits without leading zeros ("0" for zero).
    pub int: String,
    /// Fraction digits without trailing zeros.
    pub frac: String,
    /// `.inf` / `.nan`: numbers that no SDL field accepts.
    pub special: bool,
}

impl Num {
    pub fn is_integer(&self) -> bool {
        !self.special && self.frac.is_empty()
    }
    pub fn is_zero(&self) -> bool {
        !self.special && self.int == "0" && self.frac.is_empty()
    }
    pub fn is_negative(&self) -> bool {
        self.neg && !self.is_zero()
    }
    /// The value as a non-negative integer, if it is one and fits.
    pub fn to_u64(&self) -> Option<u64> {
        if !self.is_integer() || self.is_negative() {
            return None;
        }
        self.int.parse().ok()
    }
    /// Plain decimal text (`12.5`, `-3`), the way JavaScript's `String(n)` writes ordinary
    /// numbers.
    pub fn to_plain_string(&self) -> String {
        if self.special {
            return if self.int == "nan" {
                "NaN".into()
            } else if self.neg {
                "-Infinity".into()
            } else {
                "Infinity".into()
            };
        }
        let mut s = String::new();
        if self.is_negative() {
            s.push('-');
        }
        s.push_str(&self.int);
        if !self.frac.is_empty() {
            s.push('.');
            s.push_str(&self.frac);
        }
        s
    }

    fn from_digits(neg: bool, int: &str, frac: &str, exp: i64) -> Option<Num> {
        // Shift the decimal point by `exp`; refuse silly exponents rather than allocate.
        if exp.abs() > 400 {
            return None;
        }
        let digits: String = format!("{int}{frac}");
        let point = int.len() as i64 + exp;
        let (i, f) = if point <= 0 {
            (
                String::new(),
                format!("{}{}", "0".repeat((-point) as usize), digits),
            )
        } else if point as usize >= digits.len() {
            (
                format!("{digits}{}", "0".repeat(point as usize - digits.len())),
                String::new(),
            )
        } else {
            (
                digits[..point as usize].to_string(),
                digits[point as usize..].to_string(),
            )
        };
        let i = i.trim_start_matches('0');
        let f = f.trim_end_matches('0');
        Some(Num {
            neg,
            int: if i.is_empty() { "0".into() } else { i.into() },
            frac: f.into(),
            special: false,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(Num),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in JavaScript object order (see [`js_object_order`]).
    Map(Vec<(String, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based line where the node starts.
    pub line: usize,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Num(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
    /// Nodes in this subtree (itself included).
    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|(_, n)| n.size()).sum(),
            _ => 0,
        }
    }
    fn depth(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::depth).max().unwrap_or(0),
            Value::Map(entries) => 1 + entries.iter().map(|(_, n)| n.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }
}

/// A YAML problem: message and 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, YamlError> {
    Err(YamlError {
        line,
        message: message.into(),
    })
}

enum Frame {
    Seq {
        items: Vec<Node>,
        anchor: usize,
        line: usize,
    },
    Map {
        entries: Vec<(String, Node)>,
        /// Keys that came from a `<<` merge: a later explicit key replaces them silently.
        merged: Vec<String>,
        key: Option<(String, usize)>,
        anchor: usize,
        line: usize,
    },
}

/// Loads one YAML document into a [`Node`] tree, enforcing the size, depth and node limits.
pub fn load(text: &str) -> Result<Node, YamlError> {
    if text.len() > MAX_INPUT_BYTES {
        return err(
            1,
            format!(
                "file is {} bytes; the limit is {MAX_INPUT_BYTES} bytes (1 MiB) - an SDL is a few KiB, check that this is the right file",
                text.len()
            ),
        );
    }
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            line: e.marker().line(),
            message: if e.info().contains("recursion limit") {
                "nesting deeper than the YAML parser allows; an SDL needs fewer than 10 levels"
                    .to_string()
            } else {
                format!("invalid YAML: {}", e.info())
            },
        })?;
        let line = mark.line().max(1);
        let done: Option<(Node, usize)> = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return err(
                        line,
                        "the file holds several YAML documents (---); an SDL is one document",
                    );
                }
                None
            }
            Event::Alias(id) => {
                let Some(target) = anchors.get(&id) else {
                    return err(line, "alias (*name) refers to an unknown anchor");
                };
                nodes = nodes.saturating_add(target.size());
                if nodes > MAX_NODES {
                    return err(line, format!("the document expands to more than {MAX_NODES} nodes (aliases included); refusing to expand it"));
                }
                if stack.len() + target.depth() > MAX_DEPTH {
                    return err(line, format!("nesting deeper than {MAX_DEPTH} levels"));
                }
                let mut n = target.clone();
                n.line = line;
                Some((n, 0))
            }
            Event::Scalar(text, style, anchor, tag) => {
                nodes += 1;
                if nodes > MAX_NODES {
                    return err(
                        line,
                        format!("the document has more than {MAX_NODES} nodes"),
                    );
                }
                let value = resolve_scalar(&text, style, tag.as_ref(), line)?;
                Some((Node { value, line }, anchor))
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq", line)?;
                open(&mut stack, &mut nodes, line)?;
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    line,
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map", line)?;
                open(&mut stack, &mut nodes, line)?;
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    merged: Vec::new(),
                    key: None,
                    anchor,
                    line,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    anchor,
                    line,
                }) => Some((
                    Node {
                        value: Value::Seq(items),
                        line,
                    },
                    anchor,
                )),
                _ => return err(line, "unbalanced sequence end"),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    anchor,
                    line,
                    ..
                }) => Some((
                    Node {
                        value: Value::Map(js_object_order(entries)),
                        line,
                    },
                    anchor,
                )),
                _ => return err(line, "unbalanced mapping end"),
            },
        };
        let Some((node, anchor)) = done else { continue };
        if anchor > 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                merged,
                key,
                ..
            }) => match key.take() {
                None => {
                    let k = key_string(&node)?;
                    *key = Some((k, node.line));
                }
                Some((k, key_line)) => insert_entry(entries, merged, k, key_line, node)?,
            },
        }
    }
    match root {
        Some(n) => Ok(n),
        None => Ok(Node {
            value: Value::Null,
            line: 1,
        }),
    }
}

fn open(stack: &mut [Frame], nodes: &mut usize, line: usize) -> Result<(), YamlError> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        return err(
            line,
            format!("the document has more than {MAX_NODES} nodes"),
        );
    }
    if stack.len() >= MAX_DEPTH {
        return err(
            line,
            format!("nesting deeper than {MAX_DEPTH} levels; an SDL needs fewer than 10"),
        );
    }
    if let Some(Frame::Map { key: None, .. }) = stack.last() {
        return err(
            line,
            "a list or mapping used as a mapping key; SDL keys are plain names",
        );
    }
    Ok(())
}

fn insert_entry(
    entries: &mut Vec<(String, Node)>,
    merged: &mut Vec<String>,
    key: String,
    key_line: usize,
    value: Node,
) -> Result<(), YamlError> {
    if key == "<<" {
        // Merge key: copy in the keys of the mapping (or list of mappings) not yet present.
        let sources: Vec<&Node> = match &value.value {
            Value::Map(_) => vec![&value],
            Value::Seq(items) => items.iter().collect(),
            _ => {
                return err(
                    key_line,
                    "`<<` (merge key) needs a mapping or a list of mappings",
                )
            }
        };
        for src in sources {
            let Value::Map(src_entries) = &src.value else {
                return err(
                    key_line,
                    "`<<` (merge key) needs a mapping or a list of mappings",
                );
            };
            for (k, v) in src_entries {
                if !entries.iter().any(|(e, _)| e == k) {
                    entries.push((k.clone(), v.clone()));
                    merged.push(k.clone());
                }
            }
        }
        return Ok(());
    }
    if let Some(pos) = entries.iter().position(|(k, _)| *k == key) {
        if let Some(m) = merged.iter().position(|k| *k == key) {
            merged.remove(m);
            entries[pos].1 = value;
            return Ok(());
        }
        return err(
            key_line,
            format!("duplicated mapping key {key:?}; each key may appear once"),
        );
    }
    entries.push((key, value));
    Ok(())
}

/// JavaScript objects list integer-like keys ("0", "17") first in numeric order, then the other
/// keys in insertion order. Akash's TS SDL code iterates objects, so we keep that order.
pub fn js_object_order(entries: Vec<(String, Node)>) -> Vec<(String, Node)> {
    fn array_index(k: &str) -> Option<u64> {
        if k.is_empty()
            || (k.len() > 1 && k.starts_with('0'))
            || !k.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        k.parse::<u64>().ok().filter(|&v| v < u32::MAX as u64)
    }
    let (mut idx, rest): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(k, _)| array_index(k).is_some());
    idx.sort_by_key(|(k, _)| array_index(k));
    idx.extend(rest);
    idx
}

fn key_string(node: &Node) -> Result<String, YamlError> {
    Ok(match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Num(n) => n.to_plain_string(),
        Value::Str(s) => s.clone(),
        _ => return err(node.line, "a list or mapping used as a mapping key"),
    })
}

fn check_collection_tag(tag: Option<&Tag>, kind: &str, line: usize) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(t) if is_core_tag(t) && t.suffix == kind => Ok(()),
        Some(t) => err(
            line,
            format!("unsupported YAML tag {}{}", t.handle, t.suffix),
        ),
    }
}

fn is_core_tag(t: &Tag) -> bool {
    t.handle == "!!" || t.handle == "tag:yaml.org,2002:"
}

fn resolve_scalar(
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
    line: usize,
) -> Result<Value, YamlError> {
    if let Some(t) = tag {
        if !is_core_tag(t) {
            if t.handle == "!" && t.suffix.is_empty() {
                return Ok(Value::Str(text.to_string()));
            }
            return err(
                line,
                format!("unsupported YAML tag {}{}", t.handle, t.suffix),
            );
        }
        let resolved = plain_scalar(text);
        return match (t.suffix.as_str(), resolved) {
            ("str", _) => Ok(Value::Str(text.to_string())),
            ("null", v @ Value::Null) | ("bool", v @ Value::Bool(_)) => Ok(v),
            ("int", Value::Num(n)) if n.is_integer() => Ok(Value::Num(n)),
            ("float", Value::Num(n)) => Ok(Value::Num(n)),
            (s, _) => err(line, format!("{text:?} is not a valid !!{s}")),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::Str(text.to_string()));
    }
    Ok(plain_scalar(text))
}

fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    parse_number(text)
        .map(Value::Num)
        .unwrap_or_else(|| Value::Str(text.to_string()))
}

/// js-yaml's core-schema numbers: `[-+]` then decimal/`0x`/`0o`/`0b` integers with `_`
/// separators, or floats `1.5`, `1.`, `.5`, `1e3`, `.inf`, `.nan`.
fn parse_number(text: &str) -> Option<Num> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    match body {
        ".inf" | ".Inf" | ".INF" => {
            return Some(Num {
                neg,
                int: "inf".into(),
                frac: String::new(),
                special: true,
            })
        }
        ".nan" | ".NaN" | ".NAN" if text == body => {
            return Some(Num {
                neg: false,
                int: "nan".into(),
                frac: String::new(),
                special: true,
            })
        }
        _ => {}
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = body.strip_prefix(prefix) {
            let clean: String = digits.chars().filter(|&c| c != '_').collect();
            if clean.is_empty() || digits.starts_with('_') {
                return None;
            }
            let v = u128::from_str_radix(&clean, radix).ok()?;
            return Num::from_digits(neg, &v.to_string(), "", 0);
        }
    }
    // Decimal: digits[_digits][.digits][e[+-]digits], or .digits[e..]
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(p) => {
            let e = &body[p + 1..];
            let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if e_digits.is_empty()
                || !e_digits.bytes().all(|b| b.is_ascii_digit())
                || e_digits.len() > 6
            {
                return None;
            }
            (&body[..p], e.parse::<i64>().ok()?)
        }
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let has_point = mantissa.contains('.');
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if int.is_empty() && !has_point {
        return None;
    }
    if int.starts_with('_') || frac.starts_with('_') {
        return None;
    }
    let ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !ok(int) || !ok(frac) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    // `.5` needs digits after the point; `1.` is a float in js-yaml.
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let int: String = int.chars().filter(|&c| c != '_').collect();
    let frac: String = frac.chars().filter(|&c| c != '_').collect();
    Num::from_digits(neg, &int, &frac, exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> String {
        match plain_scalar(s) {
            Value::Num(n) => n.to_plain_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn resolves_numbers_like_js_yaml() {
        assert_eq!(num("1"), "1");
        assert_eq!(num("1.0"), "1");
        assert_eq!(num("0.5"), "0.5");
        assert_eq!(num(".5"), "0.5");
        assert_eq!(num("1e3"), "1000");
        assert_eq!(num("2.5E-1"), "0.25");
        assert_eq!(num("0x10"), "16");
        assert_eq!(num("1_000"), "1000");
        assert_eq!(num("-3"), "-3");
        assert_eq!(num("100m"), "Str(\"100m\")");
        assert_eq!(num("1.2.3"), "Str(\"1.2.3\")");
        assert_eq!(plain_scalar("~"), Value::Null);
        assert_eq!(plain_scalar("True"), Value::Bool(true));
        assert_eq!(plain_scalar("yes"), Value::Str("yes".into()));
    }

    #[test]
    fn keeps_order_and_applies_merge_keys() {
        let n = load("b: 1\na: &x {p: 1, q: 2}\nc:\n  <<: *x\n  q: 3\n\"2\": z\n").unwrap();
        let Value::Map(e) = &n.value else { panic!() };
        let keys: Vec<_> = e.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["2", "b", "a", "c"]);
        let Value::Map(c) = &e[3].1.value else {
            panic!()
        };
        assert_eq!(c[1].0, "q");
        assert_eq!(c[1].1.value, plain_scalar("3"));
    }

    #[test]
    fn refuses_duplicates_depth_size_and_alias_bombs() {
        assert!(load("a: 1\na: 2\n")
            .unwrap_err()
            .message
            .contains("duplicated"));
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(load(&deep).unwrap_err().message.contains("nesting"));
        let big = "a: b\n".repeat(MAX_INPUT_BYTES / 5 + 1);
        assert!(load(&big).unwrap_err().message.contains("limit"));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(load(&bomb).unwrap_err().message.contains("nodes"));
        assert!(load("a: 1\n---\nb: 2\n")
            .unwrap_err()
            .message
            .contains("several"));
    }
}
