//! The catalogue's own checks: it loads without a fault, both languages have
//! the same messages with the same arguments, every message is used somewhere
//! in the workspace, no message formats numbers or dates through Fluent.

use super::*;
use fluent_syntax::ast;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every message of one language's files: id → the variables it reads, and
/// the functions it calls.
fn messages(language: Language) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut out = BTreeMap::new();
    for (area, en, nl) in FILES {
        let source = if language == Language::En { *en } else { *nl };
        let resource = fluent_syntax::parser::parse(source).unwrap_or_else(|(_, e)| panic!("{area}: {e:?}"));
        for entry in resource.body {
            if let ast::Entry::Message(m) = entry {
                let mut vars = BTreeSet::new();
                let mut calls = BTreeSet::new();
                if let Some(p) = &m.value {
                    pattern(p, &mut vars, &mut calls);
                }
                assert!(m.attributes.is_empty(), "{}: the catalogue uses no attributes", m.id.name);
                let fresh = out.insert(m.id.name.to_owned(), (vars, calls)).is_none();
                assert!(fresh, "{} is defined twice in {}", m.id.name, language.tag());
            }
        }
    }
    out
}

fn pattern(p: &ast::Pattern<&str>, vars: &mut BTreeSet<String>, calls: &mut BTreeSet<String>) {
    for element in &p.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expr(expression, vars, calls);
        }
    }
}

fn expr(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>, calls: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline(selector, vars, calls);
            for v in variants {
                pattern(&v.value, vars, calls);
            }
        }
        ast::Expression::Inline(i) => inline(i, vars, calls),
    }
}

fn inline(i: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>, calls: &mut BTreeSet<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { id, arguments } => {
            calls.insert(id.name.to_owned());
            for a in &arguments.positional {
                inline(a, vars, calls);
            }
        }
        ast::InlineExpression::Placeable { expression } => expr(expression, vars, calls),
        _ => {}
    }
}

fn sources(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
            out.push('\n');
        }
    }
}

/// The Rust sources of every crate that shows text (all but this one's), and the examples.
fn workspace_sources() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut text = String::new();
    for entry in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        if entry.file_name() != "i18n" {
            sources(&entry.path().join("src"), &mut text);
        }
    }
    sources(&root.join("examples"), &mut text);
    text
}

#[test]
fn the_catalogue_loads_without_a_fault() {
    assert_eq!(faults(), Vec::<String>::new());
}

#[test]
fn both_languages_have_the_same_messages_with_the_same_arguments() {
    let en = messages(Language::En);
    let nl = messages(Language::Nl);
    let only_en: Vec<_> = en.keys().filter(|k| !nl.contains_key(*k)).collect();
    let only_nl: Vec<_> = nl.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(only_en.is_empty(), "only in English: {only_en:?}");
    assert!(only_nl.is_empty(), "only in Dutch: {only_nl:?}");
    for (id, (vars, _)) in &en {
        assert_eq!(&nl[id].0, vars, "{id}: the Dutch text reads other arguments than the English one");
    }
}

#[test]
fn no_message_formats_numbers_or_dates_through_fluent() {
    for language in Language::ALL {
        for (id, (_, calls)) in messages(language) {
            assert!(
                calls.is_empty(),
                "{id} ({}) calls {calls:?}: amounts and dates are formatted in Rust",
                language.tag()
            );
        }
    }
}

#[test]
fn every_message_is_used() {
    let code = workspace_sources();
    let unused: Vec<String> = messages(Language::En)
        .into_keys()
        .filter(|id| match id.strip_prefix("problem-") {
            // A problem's text is chosen by its code: used while some error has that code.
            Some(problem) => !code.contains(&format!("\"{problem}\"")),
            None => !code.contains(&format!("\"{id}\"")),
        })
        .collect();
    assert!(unused.is_empty(), "messages nothing uses: {unused:?}");
}

#[test]
fn messages_take_arguments_and_plurals() {
    let en = Locale::new(Language::En, TimeZone::utc());
    let nl = Locale::new(Language::Nl, TimeZone::utc());
    let left = |l: &Locale, n: u32| t!(l, "billing-trial-left", count = n, date = "6 December 2026");
    assert_eq!(left(&en, 1), "1 day left (ends 6 December 2026)");
    assert_eq!(left(&en, 5), "5 days left (ends 6 December 2026)");
    assert_eq!(left(&nl, 1), "nog 1 dag (eindigt op 6 December 2026)");
    assert_eq!(left(&nl, 5), "nog 5 dagen (eindigt op 6 December 2026)");
    assert_eq!(en.text("no-such-message"), "no-such-message");
}

#[test]
fn money_and_moments_follow_the_reader() {
    let at = DateTime::parse_from_rfc3339("2026-12-06T13:05:00Z").unwrap().with_timezone(&Utc);
    let amsterdam = TimeZone::parse("Europe/Amsterdam").unwrap();
    let nl = Locale::new(Language::Nl, amsterdam);
    assert_eq!(nl.money(Money::eur(4995)), "€ 49,95");
    assert_eq!(nl.date_time(at), "6 december 2026 om 14:05");
    let en = Locale::default().settled(&[&Preferences { language: None, time_zone: Some(amsterdam) }]);
    assert_eq!(en.date_time(at), "6 December 2026, 14:05");
    assert_eq!(en.money(Money::eur(4995)), "€49.95");
}

#[test]
fn the_user_overrides_the_tenant() {
    let tenant = Preferences { language: Some(Language::Nl), time_zone: TimeZone::parse("Europe/Amsterdam").ok() };
    let user = Preferences { language: Some(Language::En), time_zone: None };
    let reader = Locale::default().settled(&[&tenant, &user]);
    assert_eq!(reader.language(), Language::En);
    assert_eq!(reader.zone().name(), "Europe/Amsterdam");
    let reader = Locale::default().settled(&[&tenant]);
    assert_eq!(reader.language(), Language::Nl);
}

#[test]
fn accept_language_picks_the_first_language_tenantry_speaks() {
    let pick = |h: &str| negotiate(h).map(|l| l.language());
    assert_eq!(pick("nl-NL,nl;q=0.9,en;q=0.8"), Some(Language::Nl));
    assert_eq!(pick("de-DE,de;q=0.9,nl;q=0.5,en;q=0.4"), Some(Language::Nl));
    assert_eq!(pick("en-GB;q=0.4, nl-BE"), Some(Language::Nl));
    assert_eq!(pick("fr, de"), None);
    assert_eq!(pick("nl;q=0, en"), Some(Language::En));
    assert_eq!(pick("nl;q=abc, en"), Some(Language::En));
    assert_eq!(pick(""), None);
    assert_eq!(pick("*"), None);
    assert_eq!(pick("nl;Q=0, en"), Some(Language::En), "the weight's name in any case");
    assert_eq!(pick("nl;q=NaN, en;q=inf"), Some(Language::En));
    assert_eq!(pick(&format!("{}nl", "xx, ".repeat(40))), None, "only the first 32 ranges are read");
    assert_eq!(pick(&format!("nl, {}", "x".repeat(2000))), None, "an overlong header chooses nothing");
}
