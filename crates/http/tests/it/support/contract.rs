//! The OpenAPI document as a contract the tests hold responses to: a strict
//! validator for the JSON Schema subset utoipa emits (no validator crate is a
//! dependency). A keyword it does not know fails the test instead of passing
//! silently, so a schema it cannot judge is never taken as satisfied.

use serde_json::Value;
use std::sync::LazyLock;

/// The service's document, as `/openapi.json` serves it.
pub static DOCUMENT: LazyLock<Contract> = LazyLock::new(|| {
    let doc = tenantry_http::openapi::document();
    Contract { doc: serde_json::to_value(doc).unwrap() }
});

/// An OpenAPI document whose schemas can judge values.
pub struct Contract {
    doc: Value,
}

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] =
    &["description", "title", "example", "examples", "default", "deprecated", "readOnly", "writeOnly"];

impl Contract {
    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// A reference to a component schema (which must exist).
    pub fn component(&self, name: &str) -> Value {
        assert!(self.doc["components"]["schemas"].get(name).is_some(), "no component schema {name}");
        serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// The documented answer of `method path` with `status`: `None` when the
    /// path or method is not in the document (the fallback's 404, `/metrics`) or
    /// a refusal's status is not documented; `Some(None)` when the response is
    /// documented without a body; `Some(Some(schema))` otherwise. A success
    /// status that is not documented fails.
    pub fn answer(&self, method: &str, path: &str, status: u16) -> Option<Option<Value>> {
        let path = path.split('?').next().unwrap_or(path);
        let operation = self.operation(method, path)?;
        let responses = &operation["responses"];
        let key = [status.to_string(), format!("{}XX", status / 100), "default".to_owned()]
            .into_iter()
            .find(|k| responses.get(k).is_some());
        let Some(key) = key else {
            assert!(!(200..300).contains(&status), "{method} {path} answered {status}, which is not documented");
            return None;
        };
        let content = &responses[&key]["content"];
        let schema = content.as_object().and_then(|c| c.values().next()).map(|media| media["schema"].clone());
        Some(schema)
    }

    fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        let segments: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        let mut found = paths.iter().filter(|(template, _)| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        });
        let (template, item) = found.next()?;
        assert!(found.next().is_none(), "{path} matches more than one template (first: {template})");
        item.get(method.to_ascii_lowercase())
    }

    /// Why `value` does not satisfy `schema` (empty: it does).
    pub fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, value, "$", &mut errors);
        errors
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return errors.push(format!("{at}: no value is allowed here")),
            Value::Object(schema) => schema,
            other => panic!("{at}: {other} is not a schema"),
        };
        for (keyword, rule) in schema {
            match keyword.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                "$ref" => {
                    let name = rule.as_str().and_then(|r| r.strip_prefix("#/components/schemas/")).unwrap();
                    let target = self.doc["components"]["schemas"].get(name).unwrap_or_else(|| panic!("no {name}"));
                    self.check(target, value, at, errors);
                }
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                        other => panic!("{at}: type {other}"),
                    };
                    if !types.iter().any(|t| is_type(value, t)) {
                        errors.push(format!("{at}: {value} is not of type {types:?}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(value) {
                        errors.push(format!("{at}: {value} is not one of {rule}"));
                    }
                }
                "const" => {
                    if rule != value {
                        errors.push(format!("{at}: {value} is not {rule}"));
                    }
                }
                "required" => {
                    if let Value::Object(object) = value {
                        for name in rule.as_array().unwrap() {
                            if !object.contains_key(name.as_str().unwrap()) {
                                errors.push(format!("{at}: `{}` is missing", name.as_str().unwrap()));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Value::Object(object) = value {
                        for (name, property) in rule.as_object().unwrap() {
                            if let Some(v) = object.get(name) {
                                self.check(property, v, &format!("{at}.{name}"), errors);
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Value::Object(object) = value {
                        let declared = schema.get("properties").and_then(Value::as_object);
                        for (name, v) in object {
                            if !declared.is_some_and(|d| d.contains_key(name)) {
                                self.check(rule, v, &format!("{at}.{name}"), errors);
                            }
                        }
                    }
                }
                "propertyNames" => {
                    if let Value::Object(object) = value {
                        for name in object.keys() {
                            self.check(rule, &Value::String(name.clone()), &format!("{at}[key {name}]"), errors);
                        }
                    }
                }
                "prefixItems" => {
                    if let Value::Array(items) = value {
                        for (i, (s, v)) in rule.as_array().unwrap().iter().zip(items).enumerate() {
                            self.check(s, v, &format!("{at}[{i}]"), errors);
                        }
                    }
                }
                "items" => {
                    if let Value::Array(items) = value {
                        let skip = schema.get("prefixItems").and_then(Value::as_array).map_or(0, Vec::len);
                        for (i, v) in items.iter().enumerate().skip(skip) {
                            self.check(rule, v, &format!("{at}[{i}]"), errors);
                        }
                    }
                }
                "uniqueItems" => {
                    if let (Value::Array(items), Value::Bool(true)) = (value, rule)
                        && items.iter().enumerate().any(|(i, v)| items[..i].contains(v))
                    {
                        errors.push(format!("{at}: items are not unique"));
                    }
                }
                "minLength" | "maxLength" => {
                    if let (Value::String(text), Some(bound)) = (value, rule.as_u64()) {
                        let n = text.chars().count() as u64;
                        if (keyword == "minLength" && n < bound) || (keyword == "maxLength" && n > bound) {
                            errors.push(format!("{at}: {value} is beyond the {keyword} {rule}"));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let (Some(v), Some(bound)) = (value.as_f64(), rule.as_f64())
                        && ((keyword == "minimum" && v < bound) || (keyword == "maximum" && v > bound))
                    {
                        errors.push(format!("{at}: {value} is beyond the {keyword} {rule}"));
                    }
                }
                "format" => check_format(rule.as_str().unwrap(), value, at, errors),
                "pattern" => {
                    if let Value::String(text) = value
                        && !matches_pattern(rule.as_str().unwrap(), text)
                    {
                        errors.push(format!("{at}: {value} does not match {rule}"));
                    }
                }
                "allOf" => {
                    for s in rule.as_array().unwrap() {
                        self.check(s, value, at, errors);
                    }
                }
                "anyOf" | "oneOf" => {
                    let mut why = Vec::new();
                    let passing = rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|s| {
                            let e = self.errors(s, value);
                            why.extend(e.iter().map(|e| format!("{at}{}", e.trim_start_matches('$'))));
                            e.is_empty()
                        })
                        .count();
                    if passing == 0 {
                        errors.push(format!("{at}: {value} matches none of its {keyword}: {why:?}"));
                    } else if keyword == "oneOf" && passing > 1 {
                        errors.push(format!("{at}: {value} matches {passing} schemas of a oneOf"));
                    }
                }
                other => panic!("{at}: the contract checker does not know `{other}`; teach it before trusting it"),
            }
        }
    }
}

fn is_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown type {other}"),
    }
}

fn check_format(format: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
    let ok = match (format, value) {
        ("uuid", Value::String(s)) => uuid::Uuid::try_parse(s).is_ok_and(|u| u.hyphenated().to_string() == *s),
        ("date-time", Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        ("date", Value::String(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        ("int32", Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        ("int64", Value::Number(n)) => n.as_i64().is_some(),
        ("password", _) => true,
        (_, Value::String(_) | Value::Number(_)) => panic!("{at}: the contract checker does not know format {format}"),
        _ => true, // a format constrains only values of its type
    };
    if !ok {
        errors.push(format!("{at}: {value} is not a valid {format}"));
    }
}

/// The patterns the document uses: `^[A-Z]{n}$`.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    regex::Regex::new(pattern).unwrap_or_else(|e| panic!("the pattern {pattern}: {e}")).is_match(text)
}
