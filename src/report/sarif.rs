//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it — every rule with its
//! documentation in `tool.driver.rules`, results with regions, and fixes for `out-of-date`.

use serde_json::{json, Value};

use super::locate::{locate, Located};
use super::{Finding, Sources};
use crate::rules::{Rule, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render_sarif(findings: &[Finding], sources: &dyn Sources) -> String {
    let rules: Vec<Rule> = Rule::all().collect();
    let rule_objects: Vec<Value> = rules.iter().map(|r| rule_object(*r)).collect();
    let results: Vec<Value> = findings
        .iter()
        .zip(locate(findings, sources))
        .map(|(f, at)| result_object(f, at, &rules))
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "imagelock",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rule_objects,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule_object(rule: Rule) -> Value {
    json!({
        "id": rule.code(),
        "name": rule.name(),
        "shortDescription": { "text": rule.summary() },
        "fullDescription": { "text": rule.summary() },
        "help": { "text": rule.doc(), "markdown": rule.doc() },
        "defaultConfiguration": { "level": level(rule.severity()) },
        "properties": { "tags": ["flux", "image-automation"] },
    })
}

fn region(at: Located) -> Value {
    json!({
        "startLine": at.start.line,
        "startColumn": at.start.column,
        "endLine": at.end.line,
        "endColumn": at.end.column,
    })
}

fn result_object(f: &Finding, at: Located, rules: &[Rule]) -> Value {
    let rule_index = rules.iter().position(|r| *r == f.rule).unwrap_or(0);
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let location = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": f.file, "uriBaseId": "%SRCROOT%" },
            "region": region(at),
        }
    });
    let mut result = json!({
        "ruleId": f.rule.code(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [location],
    });
    if let Some(times) = &f.times {
        result["properties"] = json!({ "times": times });
    }
    if let Some(change) = &f.change {
        result["fixes"] = json!([{
            "description": { "text": format!("write `{}`", change.new) },
            "artifactChanges": [{
                "artifactLocation": { "uri": f.file, "uriBaseId": "%SRCROOT%" },
                "replacements": [{
                    "deletedRegion": region(at),
                    "insertedContent": { "text": change.edit.replacement },
                }],
            }],
        }]);
    }
    result
}
