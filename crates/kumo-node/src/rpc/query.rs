//! The CometBFT query language used by `tx_search` and websocket `subscribe`:
//! `key OP value` conditions joined by `AND`. Keys are `tm.event`, `tx.hash`, `tx.height` or
//! `<event type>.<attribute key>`; values are `'single quoted strings'` or integers; operators are
//! `=`, `<`, `<=`, `>`, `>=`, `CONTAINS` and `EXISTS`.

use crate::types::{Condition, Op, QueryValue, TxQuery};
use kumo_app::abci::Event;
use std::collections::BTreeMap;

/// Parses a query such as `message.sender='akash1…' AND tx.height>=5`.
pub fn parse_tx_query(q: &str) -> Result<TxQuery, String> {
    let mut p = Parser { s: q, pos: 0 };
    let mut conditions = Vec::new();
    p.skip_ws();
    if p.at_end() {
        return Err("empty query".to_string());
    }
    loop {
        conditions.push(p.condition()?);
        p.skip_ws();
        if p.at_end() {
            break;
        }
        let rest = p.rest();
        if rest.starts_with("AND") && rest[3..].starts_with(|c: char| c.is_whitespace()) {
            p.pos += 3;
            p.skip_ws();
            if p.at_end() {
                return Err("query ends after AND: a condition must follow".to_string());
            }
        } else {
            return Err(format!(
                "expected AND between conditions at position {}, found {:?}",
                p.pos,
                truncate(rest)
            ));
        }
    }
    Ok(TxQuery { conditions })
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(20) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn condition(&mut self) -> Result<Condition, String> {
        let start = self.pos;
        let key_len = self
            .rest()
            .find(|c: char| c.is_whitespace() || "=<>'\"()\\".contains(c))
            .unwrap_or(self.rest().len());
        if key_len == 0 {
            return Err(format!("expected a key at position {start}"));
        }
        let key = self.rest()[..key_len].to_string();
        self.pos += key_len;
        self.skip_ws();
        let rest = self.rest();
        let (op_name, op_len) = if rest.starts_with("<=") {
            ("<=", 2)
        } else if rest.starts_with(">=") {
            (">=", 2)
        } else if rest.starts_with('=') {
            ("=", 1)
        } else if rest.starts_with('<') {
            ("<", 1)
        } else if rest.starts_with('>') {
            (">", 1)
        } else if rest.starts_with("CONTAINS") {
            ("CONTAINS", 8)
        } else if rest.starts_with("EXISTS") {
            ("EXISTS", 6)
        } else {
            return Err(format!(
                "expected an operator (=, <, <=, >, >=, CONTAINS, EXISTS) after key {key:?}, found {:?}",
                truncate(rest)
            ));
        };
        self.pos += op_len;
        if op_name == "EXISTS" {
            if !(self.at_end() || self.rest().starts_with(char::is_whitespace)) {
                return Err(format!("unexpected text after {key} EXISTS"));
            }
            return Ok(Condition {
                key,
                op: Op::Exists,
            });
        }
        self.skip_ws();
        let value = self.value(&key)?;
        let op = match (op_name, value) {
            ("CONTAINS", QueryValue::Str(s)) => Op::Contains(s),
            ("CONTAINS", QueryValue::Int(_)) => {
                return Err(format!("CONTAINS needs a quoted string value (key {key})"))
            }
            ("=", v) => Op::Eq(v),
            ("<", v) => Op::Lt(v),
            ("<=", v) => Op::Le(v),
            (">", v) => Op::Gt(v),
            (_, v) => Op::Ge(v),
        };
        Ok(Condition { key, op })
    }

    fn value(&mut self, key: &str) -> Result<QueryValue, String> {
        let rest = self.rest();
        if let Some(body) = rest.strip_prefix('\'') {
            let end = body
                .find('\'')
                .ok_or_else(|| format!("unterminated quoted value for key {key}"))?;
            let v = body[..end].to_string();
            self.pos += end + 2;
            if !(self.at_end() || self.rest().starts_with(char::is_whitespace)) {
                return Err(format!(
                    "unexpected text after the quoted value for key {key}"
                ));
            }
            return Ok(QueryValue::Str(v));
        }
        if rest.starts_with("TIME") || rest.starts_with("DATE") {
            return Err(format!(
                "TIME and DATE values are not supported (key {key})"
            ));
        }
        let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..len];
        if token.is_empty() {
            return Err(format!("missing value for key {key}"));
        }
        let digits = token.strip_prefix('-').unwrap_or(token);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid value {token:?} for key {key}: strings must be in single quotes, numbers must be integers"
            ));
        }
        let n: i128 = token
            .parse()
            .map_err(|_| format!("number {token} for key {key} is out of range"))?;
        self.pos += len;
        Ok(QueryValue::Int(n))
    }
}

/// Composite key -> values, as CometBFT's event bus builds it for a tx or block.
pub type EventMap = BTreeMap<String, Vec<String>>;

/// Adds `type.key -> value` for every attribute (empty keys skipped, as CometBFT does).
pub fn add_events(map: &mut EventMap, events: &[Event]) {
    for e in events {
        for a in &e.attributes {
            if a.key.is_empty() {
                continue;
            }
            map.entry(format!("{}.{}", e.kind, a.key))
                .or_default()
                .push(a.value.clone());
        }
    }
}

/// The event map of a tx: `tm.event=Tx`, `tx.hash`, `tx.height` and all its events.
pub fn tx_event_map(events: &[Event], height: u64, hash: &[u8; 32]) -> EventMap {
    let mut map = EventMap::new();
    map.insert("tm.event".into(), vec!["Tx".into()]);
    map.insert("tx.hash".into(), vec![hex::encode_upper(hash)]);
    map.insert("tx.height".into(), vec![height.to_string()]);
    add_events(&mut map, events);
    map
}

/// True when every condition holds for at least one value under its key.
pub fn map_matches(query: &TxQuery, map: &EventMap) -> bool {
    query.conditions.iter().all(|c| match map.get(&c.key) {
        None => false,
        Some(values) => values.iter().any(|v| op_matches(&c.key, &c.op, v)),
    })
}

/// Evaluates every condition of `query` (`tx.hash`, `tx.height`, `tm.event`, `type.key`)
/// against one tx's events.
pub fn event_matches(query: &TxQuery, events: &[Event], height: u64, hash: &[u8; 32]) -> bool {
    map_matches(query, &tx_event_map(events, height, hash))
}

fn op_matches(key: &str, op: &Op, value: &str) -> bool {
    use std::cmp::Ordering;
    let cmp = |q: &QueryValue| -> Option<Ordering> {
        match q {
            QueryValue::Int(n) => value.trim().parse::<i128>().ok().map(|v| v.cmp(n)),
            QueryValue::Str(s) if key == "tx.hash" => {
                Some(value.to_ascii_uppercase().cmp(&s.to_ascii_uppercase()))
            }
            QueryValue::Str(s) => Some(value.cmp(s.as_str())),
        }
    };
    match op {
        Op::Exists => true,
        Op::Contains(s) => value.contains(s.as_str()),
        Op::Eq(q) => cmp(q) == Some(Ordering::Equal),
        Op::Lt(q) => cmp(q) == Some(Ordering::Less),
        Op::Le(q) => matches!(cmp(q), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt(q) => cmp(q) == Some(Ordering::Greater),
        Op::Ge(q) => matches!(cmp(q), Some(Ordering::Greater | Ordering::Equal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(key: &str, op: Op) -> Condition {
        Condition {
            key: key.into(),
            op,
        }
    }

    #[test]
    fn parses_client_queries() {
        assert_eq!(
            parse_tx_query("tx.height=5").unwrap().conditions,
            vec![cond("tx.height", Op::Eq(QueryValue::Int(5)))]
        );
        assert_eq!(
            parse_tx_query("message.sender='akash1abc' AND transfer.amount='5uakt'")
                .unwrap()
                .conditions,
            vec![
                cond(
                    "message.sender",
                    Op::Eq(QueryValue::Str("akash1abc".into()))
                ),
                cond("transfer.amount", Op::Eq(QueryValue::Str("5uakt".into()))),
            ]
        );
        assert_eq!(
            parse_tx_query("  tm.event = 'Tx'  AND  note.text='hello big world' AND tx.height >= 3 AND tx.height<-1 ")
                .unwrap()
                .conditions,
            vec![
                cond("tm.event", Op::Eq(QueryValue::Str("Tx".into()))),
                cond("note.text", Op::Eq(QueryValue::Str("hello big world".into()))),
                cond("tx.height", Op::Ge(QueryValue::Int(3))),
                cond("tx.height", Op::Lt(QueryValue::Int(-1))),
            ]
        );
        assert_eq!(
            parse_tx_query("a.b CONTAINS 'x y' AND c.d EXISTS AND e.f<='z'")
                .unwrap()
                .conditions,
            vec![
                cond("a.b", Op::Contains("x y".into())),
                cond("c.d", Op::Exists),
                cond("e.f", Op::Le(QueryValue::Str("z".into()))),
            ]
        );
    }

    #[test]
    fn rejects_bad_queries() {
        for bad in [
            "",
            "   ",
            "tx.height",
            "tx.height=",
            "tx.hash='ABC",
            "a.b='x' OR c.d='y'",
            "a.b='x' AND",
            "a.b=hello",
            "a.b=1.5",
            "=5",
            "a.b CONTAINS 5",
            "a.b='x'c.d='y'",
            "a.b=TIME 2020-01-01T00:00:00Z",
        ] {
            assert!(parse_tx_query(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn matches_tx_events() {
        let events = vec![
            Event::new("message").attr("sender", "akash1abc"),
            Event::new("transfer")
                .attr("recipient", "akash1xyz")
                .attr("amount", "5uakt"),
            Event::new("transfer").attr("amount", "7uakt"),
        ];
        let hash = [0xab; 32];
        let m = |q: &str| event_matches(&parse_tx_query(q).unwrap(), &events, 5, &hash);
        assert!(m("message.sender='akash1abc' AND transfer.amount='5uakt'"));
        assert!(m("transfer.amount='7uakt'"));
        assert!(!m("transfer.amount='6uakt'"));
        assert!(m("tx.height=5"));
        assert!(m("tx.height>=5 AND tx.height<6"));
        assert!(!m("tx.height>5"));
        assert!(m(&format!("tx.hash='{}'", "ab".repeat(32))));
        assert!(!m(&format!("tx.hash='{}'", "cd".repeat(32))));
        assert!(m("tm.event='Tx' AND transfer.recipient EXISTS"));
        assert!(!m("tm.event='NewBlock'"));
        assert!(m("transfer.recipient CONTAINS 'xyz'"));
        assert!(!m("message.module EXISTS"));
        assert!(!m("message.sender='akash1abc' AND transfer.amount='9uakt'"));
    }
}
