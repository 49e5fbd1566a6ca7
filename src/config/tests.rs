use super::*;
use crate::text::TextRange;

fn finding(rule: Rule, file: &str, at: usize) -> Finding {
    Finding::new(rule, file, TextRange::new(at, at + 1), "m")
}

#[test]
fn rules_are_ignored_or_warned_globally_and_per_path() {
    let config = Config::parse(
        ".imagelock.yaml",
        "ignore: [image-mismatch]\nwarn: [IL021]\nper-path:\n  \"legacy/**\": {ignore: [IL022], warn: [unknown-policy]}\n",
    )
    .unwrap();
    let kept = config.apply(vec![
        finding(Rule::ImageMismatch, "apps/a.yaml", 0),
        finding(Rule::NoTagSelected, "apps/a.yaml", 0),
        finding(Rule::OutOfDate, "apps/a.yaml", 0),
        finding(Rule::OutOfDate, "legacy/x/a.yaml", 0),
        finding(Rule::UnknownPolicy, "legacy/a.yaml", 0),
        finding(Rule::UnknownPolicy, "apps/a.yaml", 0),
    ]);
    let got: Vec<(Rule, &str, Severity)> = kept
        .iter()
        .map(|f| (f.rule, f.file.as_str(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            (Rule::NoTagSelected, "apps/a.yaml", Severity::Warning),
            (Rule::OutOfDate, "apps/a.yaml", Severity::Error),
            (Rule::UnknownPolicy, "legacy/a.yaml", Severity::Warning),
            (Rule::UnknownPolicy, "apps/a.yaml", Severity::Error),
        ]
    );
}

#[test]
fn bad_files_are_errors_that_point_into_them() {
    let err = Config::parse("c.yaml", "ignore: [IL999]\n").unwrap_err();
    let ConfigError::UnknownRule { rule, span, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (rule.as_str(), span.map(|s| s.offset())),
        ("IL999", Some(9))
    );
    let err = Config::parse("c.yaml", "exclude: [\"a/[\"]\n").unwrap_err();
    assert!(matches!(err, ConfigError::Glob { .. }), "{err:?}");
    let err = Config::parse("c.yaml", "ignores: [IL001]\n").unwrap_err();
    let ConfigError::Invalid { message, span, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("unknown field `ignores`"), "{message}");
    assert_eq!(span.map(|s| s.offset()), Some(0));
    assert!(Config::parse("c.yaml", "").is_ok());
}

#[test]
fn excludes_match_relative_paths() {
    let config = Config::parse("c", "exclude: [\"charts/**\", \"./vendor/*.yaml\"]\n").unwrap();
    assert!(config.excludes("charts/app/templates/x.yaml"));
    assert!(config.excludes("vendor/a.yaml"));
    assert!(!config.excludes("apps/charts.yaml"));
    assert!(!Config::default().excludes("anything.yaml"));
}

#[test]
fn the_flag_beats_the_file_which_beats_the_default() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        Config::load(dir.path(), &Flags::default())
            .unwrap()
            .default_namespace,
        "flux-system"
    );
    fs_err::write(dir.path().join(FILE_NAME), "default-namespace: apps\n").unwrap();
    let config = Config::load(dir.path(), &Flags::default()).unwrap();
    assert_eq!(config.default_namespace, "apps");
    assert_eq!(config.source, Some(dir.path().join(FILE_NAME)));
    assert_eq!(
        Config::load(
            dir.path(),
            &Flags {
                default_namespace: Some("ops"),
                ..Flags::default()
            }
        )
        .unwrap()
        .default_namespace,
        "ops"
    );
}

#[test]
fn the_flux_version_flag_beats_the_file_which_beats_the_newest() {
    use crate::flux_version::FluxVersion;
    let dir = tempfile::tempdir().unwrap();
    let load = |flag| {
        let flags = Flags {
            flux_version: flag,
            ..Flags::default()
        };
        Config::load(dir.path(), &flags).map(|c| c.flux_version.to_string())
    };
    assert_eq!(load(None).unwrap(), FluxVersion::NEWEST.to_string());
    fs_err::write(dir.path().join(FILE_NAME), "flux-version: \"v2.6.3\"\n").unwrap();
    assert_eq!(load(None).unwrap(), "2.6");
    assert_eq!(load(Some("2.7")).unwrap(), "2.7");
    let err = load(Some("2.7x")).unwrap_err();
    assert!(err.to_string().contains("`2.7x`"), "{err}");
}

#[test]
fn a_bad_flux_version_points_at_its_value() {
    let text = "ignore: []\nflux-version: \"1.9\"\n";
    let err = Config::parse("c.yaml", text).unwrap_err();
    let ConfigError::FluxVersion { message, span, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("`1.9`") && message.contains("older"),
        "{message}"
    );
    assert_eq!(span.map(|s| s.offset()), text.find("1.9"));
    let err = Config::parse("c.yaml", "flux-version: latest\n").unwrap_err();
    assert!(
        err.to_string().contains("`latest` is not a Flux version"),
        "{err}"
    );
}

struct Texts<'a>(&'a [(&'a str, &'a str)]);

impl Sources for Texts<'_> {
    fn text(&self, file: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == file).map(|(_, t)| *t)
    }
}

use crate::report::Sources;

#[test]
fn suppressions_cover_their_line_and_the_line_below_a_comment_line() {
    let text = "\
a: 1 # imagelock: ignore[IL022]
# imagelock: ignore[image-mismatch, IL004]
b: 2
c: 3 # imagelock: ignore
d: 4
e: 5 # imagelock: ignore[IL016]
f: 6 ## imagelock: ignore[IL999]
g: 7 # imagelock: skip
h: 8 # see imagelock: ignore
";
    let at = |line: &str| text.find(line).unwrap();
    let mut s = Suppressions::default();
    s.scan("f.yaml", text);
    let findings = vec![
        finding(Rule::OutOfDate, "f.yaml", at("a: 1")),
        finding(Rule::ImageMismatch, "f.yaml", at("b: 2")),
        finding(Rule::OutOfDate, "f.yaml", at("b: 2")),
        finding(Rule::UnknownPolicy, "f.yaml", at("c: 3") + 3),
        finding(Rule::UnknownPolicy, "f.yaml", at("d: 4")),
        finding(Rule::OutOfDate, "f.yaml", at("f: 6")),
        finding(Rule::OutOfDate, "f.yaml", at("h: 8")),
    ];
    let sources = Texts(&[("f.yaml", text)]);
    let (kept, dropped) = s.apply(findings, &sources);
    let line = |f: &Finding| {
        let start = text[..f.range.start()].rfind('\n').map_or(0, |i| i + 1);
        text[start..start + 4].to_owned()
    };
    assert_eq!(
        kept.iter().map(line).collect::<Vec<_>>(),
        ["b: 2", "d: 4", "f: 6", "h: 8"]
    );
    assert_eq!(
        dropped.iter().map(line).collect::<Vec<_>>(),
        ["a: 1", "b: 2", "c: 3"]
    );
    let unused: Vec<String> = s
        .unused(&|_| true)
        .iter()
        .map(|f| format!("{}: {}", &text[f.range.as_range()], f.message))
        .collect();
    assert_eq!(
        unused,
        [
            "# imagelock: ignore[image-mismatch, IL004]: no IL004 finding here to suppress",
            "# imagelock: ignore[IL016]: no IL016 finding here to suppress",
            "## imagelock: ignore[IL999]: this suppression is not understood: `IL999` is not a rule",
            "# imagelock: skip: this suppression is not understood: expected `ignore` or `ignore[CODE, …]`, found `skip`",
        ]
    );
    assert!(s.unused(&|_| false).is_empty(), "only in reported files");
}

#[test]
fn committed_schema_matches_the_types() {
    crate::schemas::assert_committed(
        &schemars::schema_for!(ConfigFile),
        "imagelock.config.schema.json",
    );
}

#[test]
fn the_min_age_flag_beats_the_file_and_a_bad_value_points_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let load = |flag| {
        let flags = Flags {
            min_age: flag,
            ..Flags::default()
        };
        Config::load(dir.path(), &flags).map(|c| c.min_age.map(|a| a.to_string()))
    };
    assert_eq!(load(None).unwrap(), None);
    fs_err::write(dir.path().join(FILE_NAME), "min-age: 48h\n").unwrap();
    assert_eq!(load(None).unwrap().as_deref(), Some("2d"));
    assert_eq!(load(Some("30m")).unwrap().as_deref(), Some("30m"));
    assert_eq!(load(Some("0")).unwrap(), None);
    let err = load(Some("2 days")).unwrap_err();
    assert!(err.to_string().starts_with("--min-age: `2 days`"), "{err}");

    let zero = Config::parse(FILE_NAME, "min-age: 0\n").unwrap();
    assert_eq!(zero.min_age, None);
    let err = Config::parse(FILE_NAME, "min-age: 48\n").unwrap_err();
    assert!(
        err.to_string().contains("`48` is not a minimum age"),
        "{err}"
    );
    let err = Config::parse(FILE_NAME, "exclude: []\nmin-age: 48hours\n").unwrap_err();
    assert!(
        matches!(
            &err,
            ConfigError::MinAge { span: Some(s), .. } if s.offset() == 21 && s.len() == 7
        ),
        "{err:?}"
    );
}

#[test]
fn all_markers_is_off_unless_the_file_or_the_flag_turns_it_on() {
    let dir = tempfile::tempdir().unwrap();
    let load = |flag| {
        let flags = Flags {
            all_markers: flag,
            ..Flags::default()
        };
        Config::load(dir.path(), &flags).unwrap().all_markers
    };
    assert!(!load(false));
    assert!(load(true));
    fs_err::write(dir.path().join(FILE_NAME), "all-markers: false\n").unwrap();
    assert!(!load(false));
    assert!(load(true), "the flag turns it on over the file");
    fs_err::write(dir.path().join(FILE_NAME), "all-markers: true\n").unwrap();
    assert!(load(false));
    let err = Config::parse(FILE_NAME, "all-markers: sometimes\n").unwrap_err();
    assert!(err.to_string().contains(FILE_NAME), "{err}");
}
