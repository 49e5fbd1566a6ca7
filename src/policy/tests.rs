//! flux-semantics.md §3.3: every test-case fact, plus tie-break and order-independence checks.

use super::*;
use proptest::prelude::*;

fn semver(range: &str) -> Policy {
    Policy {
        choice: Choice::Semver(range.parse().expect("valid range")),
        filter: None,
        semver_rules: Default::default(),
    }
}

fn alpha(order: Order) -> Policy {
    Policy {
        choice: Choice::Alphabetical(order),
        filter: None,
        semver_rules: Default::default(),
    }
}

fn numeric(order: Order) -> Policy {
    Policy {
        choice: Choice::Numerical(order),
        filter: None,
        semver_rules: Default::default(),
    }
}

fn with_filter(mut policy: Policy, pattern: &str, extract: Option<&str>) -> Policy {
    policy.filter = Some(Filter::new(pattern, extract).expect("valid filter"));
    policy
}

fn pick(policy: &Policy, tags: &[&str]) -> Result<String, SelectError> {
    policy.select(tags)
}

fn ok(s: &str) -> Result<String, SelectError> {
    Ok(s.to_owned())
}

const ROW16: [&str; 5] = [
    "1606234201",
    "1606364286",
    "1606334092",
    "1606334284",
    "1606334201",
];

#[test]
fn semver_rows_1_to_12() {
    let p = semver("1.0.x");
    // 1
    assert_eq!(
        pick(
            &p,
            &["1.0.0", "1.0.0.1", "1.0.0p", "1.0.1", "1.2.0", "0.1.0"]
        ),
        ok("1.0.1")
    );
    // 2
    assert_eq!(pick(&p, &["v1.2.3", "v1.0.0", "v0.1.0"]), ok("v1.0.0"));
    // 3
    assert_eq!(
        pick(&p, &["b1.2.3", "b1.0.0", "b0.1.0"]),
        Err(SelectError::NoMatch)
    );
    // 4
    assert_eq!(pick(&p, &[]), Err(SelectError::Empty));
    // 5
    assert_eq!(pick(&p, &["1.2.0"]), Err(SelectError::NoMatch));
    // 6
    for r in ["1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"] {
        assert!(r.parse::<Range>().is_ok(), "{r}");
    }
    // 7
    for r in ["1.0.0p", "1x", "x1", "-1", "a", "", "*-*"] {
        assert!(r.parse::<Range>().is_err(), "{r:?}");
    }
    // 8
    assert_eq!(
        pick(
            &p,
            &[
                "0.1.0",
                "0.1.1",
                "0.2.0",
                "1.0.0",
                "1.0.1",
                "1.0.2",
                "1.1.0-alpha"
            ]
        ),
        ok("1.0.2")
    );
    // 9
    assert_eq!(pick(&p, &["1.0.0", "2.0.0", "1.0.1", "1.2.0"]), ok("1.0.1"));
    // 10, 11
    let v = semver("v1.0.x");
    assert_eq!(
        pick(&v, &["v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"]),
        ok("v1.0.1")
    );
    assert_eq!(pick(&v, &["1.0.0", "2.0.0", "1.0.1", "1.2.0"]), ok("1.0.1"));
    // 12
    assert_eq!(
        pick(&p, &["v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"]),
        ok("v1.0.1")
    );
}

#[test]
fn alphabetical_rows_13_to_18() {
    let ubuntu = ["xenial", "yakkety", "zesty", "artful", "bionic"];
    assert_eq!(pick(&alpha(Order::Asc), &ubuntu), ok("zesty"));
    assert_eq!(pick(&alpha(Order::Desc), &ubuntu), ok("artful"));
    let nums = ["16.04", "16.04.1", "16.10", "20.04", "20.10"];
    assert_eq!(pick(&alpha(Order::Asc), &nums), ok("20.10"));
    assert_eq!(pick(&alpha(Order::Desc), &nums), ok("16.04"));
    assert_eq!(pick(&alpha(Order::Asc), &ROW16), ok("1606364286"));
    assert_eq!(pick(&alpha(Order::Desc), &ROW16), ok("1606234201"));
    let rel: Vec<String> = ROW16.iter().map(|t| format!("rel-{t}")).collect();
    assert_eq!(alpha(Order::Asc).select(&rel), ok("rel-1606364286"));
    let times = [
        "2021-01-08T21-18-21Z",
        "2020-05-08T21-18-21Z",
        "2021-01-08T19-20-00Z",
        "1990-01-08T00-20-00Z",
        "2023-05-08T00-20-00Z",
    ];
    assert_eq!(pick(&alpha(Order::Asc), &times), ok("2023-05-08T00-20-00Z"));
    assert_eq!(
        pick(&alpha(Order::Desc), &times),
        ok("1990-01-08T00-20-00Z")
    );
    // byte order, no numeric runs
    assert_eq!(pick(&alpha(Order::Asc), &["1.10", "1.9"]), ok("1.9"));
}

#[test]
fn numerical_rows_19_to_25() {
    let r19 = [
        "-62", "-88", "73", "72", "15", "16", "15", "29", "-33", "-91",
    ];
    assert_eq!(pick(&numeric(Order::Asc), &r19), ok("73"));
    let r20 = ["5", "-8", "-78", "25", "70", "-4", "80", "92", "-20", "-24"];
    assert_eq!(pick(&numeric(Order::Desc), &r20), ok("-78"));
    let r21 = [
        "47.40896403322944",
        "12.248455109233458",
        "53.47333823144817",
        "3.2008658570411086",
    ];
    assert_eq!(pick(&numeric(Order::Asc), &r21), ok("53.47333823144817"));
    assert_eq!(pick(&numeric(Order::Asc), &ROW16), ok("1606364286"));
    assert_eq!(pick(&numeric(Order::Desc), &ROW16), ok("1606234201"));
    assert_eq!(pick(&numeric(Order::Asc), &["1"]), ok("1"));
    assert_eq!(pick(&numeric(Order::Desc), &["1"]), ok("1"));
    assert_eq!(
        pick(&numeric(Order::Asc), &["0", "1a", "b"]),
        Err(SelectError::NotNumeric("b".into()))
    );
    assert_eq!(pick(&numeric(Order::Asc), &[]), Err(SelectError::Empty));
    assert_eq!(pick(&alpha(Order::Asc), &[]), Err(SelectError::Empty));
}

#[test]
fn numerical_error_names_the_first_bad_tag_in_byte_descending_order() {
    // Flux fails on the first unparsable candidate in its stored (descending) order.
    assert_eq!(
        pick(&numeric(Order::Asc), &["0", "1a", "b"]),
        Err(SelectError::NotNumeric("b".into()))
    );
}

#[test]
fn numerical_ties_go_to_the_last_in_list_order() {
    // `1e1`, `10`, `10.0` are all ten; in descending byte order the last is `10`.
    assert_eq!(pick(&numeric(Order::Asc), &["10.0", "1e1", "10"]), ok("10"));
    assert_eq!(
        pick(&numeric(Order::Desc), &["10.0", "1e1", "10"]),
        ok("10")
    );
}

#[test]
fn semver_ties_go_to_the_byte_greatest() {
    assert_eq!(pick(&semver("*"), &["1.0.0", "v1.0.0"]), ok("v1.0.0"));
    assert_eq!(pick(&semver("*"), &["1.0.0+a", "1.0.0+b"]), ok("1.0.0+b"));
}

#[test]
fn filter_rows_26_to_35() {
    // 26: a filter with no pattern keeps everything
    let f = Filter::new("", None).unwrap();
    assert_eq!(f.key("a"), Some("a".into()));
    // 27
    let f = Filter::new("^ver", None).unwrap();
    let kept: Vec<_> = ["ver1", "ver2", "ver3", "rel1"]
        .iter()
        .filter_map(|t| f.key(t))
        .collect();
    assert_eq!(kept, ["ver1", "ver2", "ver3"]);
    // 28
    let f = Filter::new(r"ver(\d+)", Some("$1")).unwrap();
    let keys: Vec<_> = ["ver1", "ver2", "ver3", "rel1"]
        .iter()
        .filter_map(|t| f.key(t))
        .collect();
    assert_eq!(keys, ["1", "2", "3"]);
    // 29, 30
    let tags = [
        "123-123.123.abcd123-debug",
        "123-123.123.abcd123",
        "123-123.123.abcd456-debug",
        "123-123.123.abcd456",
    ];
    let f = Filter::new(r"^(123-[0-9]+\.[0-9]+\.[a-z0-9]+-debug)", None).unwrap();
    let kept: Vec<_> = tags.iter().filter_map(|t| f.key(t)).collect();
    assert_eq!(
        kept,
        ["123-123.123.abcd123-debug", "123-123.123.abcd456-debug"]
    );
    let f = Filter::new(r"^(?P<tag>123-[0-9]+\.[0-9]+\.[a-z0-9]+$)", Some("$tag")).unwrap();
    let kept: Vec<_> = tags.iter().filter_map(|t| f.key(t)).collect();
    assert_eq!(kept, ["123-123.123.abcd123", "123-123.123.abcd456"]);
    // 31
    let all = [
        "test-0.1.0",
        "test-0.1.1",
        "dev-0.2.0",
        "1.0.0",
        "1.0.1",
        "1.0.2",
        "1.1.0-alpha",
    ];
    let p = with_filter(semver(">=0.x"), "^test-(.*)$", Some("$1"));
    assert_eq!(pick(&p, &all), ok("test-0.1.1"));
    // 32, 33
    assert!(matches!(
        Filter::new("^test-(.*", Some("$1")),
        Err(PolicyError::InvalidRegex { .. })
    ));
    assert!(Filter::new("[=", None).is_err());
    // 34
    let rc = [
        "1.0.0",
        "1.0.0-rc.1",
        "1.0.0-rc.2",
        "1.0.0-rc.3",
        "1.0.1-rc.2",
    ];
    let p = with_filter(
        numeric(Order::Asc),
        r"1.0.0-rc\.(?P<num>[0-9]+)",
        Some("$num"),
    );
    assert_eq!(pick(&p, &rc), ok("1.0.0-rc.3"));
    // 35
    let words = ["foo-aaa", "bar-bbb", "foo-zzz", "baz-nnn", "foo-ooo"];
    let p = with_filter(alpha(Order::Asc), "foo-(?P<word>[a-z]+)", Some("$word"));
    assert_eq!(pick(&p, &words), ok("foo-zzz"));
}

#[test]
fn semver_rows_36_to_41() {
    // 36: rc9 beats rc10 (string comparison of prerelease identifiers)
    let p = with_filter(semver(">=v0.0.1-0"), ".*-rc.*", None);
    assert_eq!(pick(&p, &["v1.0.1-rc9", "v1.0.1-rc10"]), ok("v1.0.1-rc9"));
    // 37
    assert_eq!(
        pick(
            &semver(">=0.0.0-0"),
            &["1.1.1-rc.9", "1.1.1-rc.10", "1.1.1"]
        ),
        ok("1.1.1")
    );
    assert_eq!(
        pick(&semver(">=0.0.0-0"), &["1.1.1-rc.9", "1.1.1-rc.10"]),
        ok("1.1.1-rc.10")
    );
    // 38
    assert_eq!(
        pick(
            &semver("3.12.*"),
            &["latest", "build", "3.12.0-1", "3.9.1-1"]
        ),
        Err(SelectError::NoMatch)
    );
    // 39
    assert_eq!(
        pick(&semver("*"), &["2025.01.10", "2025.1.9", "2024.12.31"]),
        ok("2025.01.10")
    );
    // 40
    assert_eq!(
        pick(&semver("^1.0"), &["1.2", "1.1.0", "v1.3"]),
        ok("1.1.0")
    );
    // 41
    let p = with_filter(semver("6.7.x"), r"^6\.7\.\d+$", None);
    assert_eq!(
        pick(&p, &["6.7.0", "6.7.1", "6.8.0", "6.7.1-rc.1"]),
        ok("6.7.1")
    );
}

#[test]
fn same_key_keeps_the_byte_smallest_tag() {
    // Flux: a later tag in (descending) list order replaces an earlier one with the same key.
    let p = with_filter(alpha(Order::Asc), r"^(\d+)-", Some("$1"));
    assert_eq!(pick(&p, &["5-b", "5-a", "4-z"]), ok("5-a"));
}

#[test]
fn exclusions_default_to_signatures() {
    let ex = Exclusions::new::<&str>(&[]).unwrap();
    let kept = ex.apply(["1.0.0", "sha256-abc.sig"]);
    assert_eq!(kept, ["1.0.0"]);
    let ex = Exclusions::new(&["^dev-", "-debug$"]).unwrap();
    assert_eq!(ex.excluded_by("x-debug"), Some(1));
    assert_eq!(ex.excluded_by("a.sig"), None);
}

#[test]
fn regex_errors_carry_a_span() {
    let Err(PolicyError::InvalidRegex { span, message, .. }) =
        compile_regex_as("ab(c", GoSyntax::default())
    else {
        panic!("expected an error");
    };
    assert!(span.is_some(), "{message}");
}

#[test]
fn evaluation_explains_every_tag() {
    let p = with_filter(semver("^1"), "^v", None);
    let eval = p.evaluate(&["v1.0.0", "v1.2.0", "v2.0.0", "vx", "1.5.0"]);
    let verdict = |t: &str| {
        eval.tags
            .iter()
            .find(|v| v.tag == t)
            .map(|v| v.verdict.clone())
            .unwrap()
    };
    assert_eq!(eval.result, ok("v1.2.0"));
    assert_eq!(verdict("v1.2.0"), Verdict::Winner);
    assert_eq!(verdict("v1.0.0"), Verdict::Lower);
    assert_eq!(verdict("v2.0.0"), Verdict::OutOfRange);
    assert_eq!(verdict("vx"), Verdict::NotVersion);
    assert_eq!(verdict("1.5.0"), Verdict::FilteredOut);
}

fn tag_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "v?[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-(rc|alpha|beta)(\\.?[0-9]{1,2})?)?(\\+b[0-9])?",
        "[0-9]{1,3}(\\.[0-9]{0,2})?",
        "[a-z0-9._-]{1,12}",
        ".{0,8}",
    ]
}

fn policy_strategy() -> impl Strategy<Value = Policy> {
    let range = prop_oneof![
        Just("*".to_owned()),
        Just(">=0.0.0-0".to_owned()),
        Just("^1".to_owned()),
        Just("~1.2 || >=3".to_owned()),
        "[<>=~^!]{0,2}v?[0-9x*]{1,2}(\\.[0-9x*]{1,2}){0,2}(-rc\\.?[0-9])?",
    ];
    let choice = prop_oneof![
        range.prop_filter_map("valid range", |r| r
            .parse::<Range>()
            .ok()
            .map(Choice::Semver)),
        prop_oneof![Just(Order::Asc), Just(Order::Desc)].prop_map(Choice::Alphabetical),
        prop_oneof![Just(Order::Asc), Just(Order::Desc)].prop_map(Choice::Numerical),
    ];
    let filter = prop_oneof![
        Just(None),
        Just(Some((r"^v?(?P<v>.*)$", Some("$v")))),
        Just(Some((r"(\d+)", Some("$1")))),
        Just(Some((r"^[0-9]", None))),
    ];
    (choice, filter).prop_map(|(choice, filter)| Policy {
        choice,
        filter: filter.map(|(p, e)| Filter::new(p, e).unwrap()),
        semver_rules: Default::default(),
    })
}

proptest! {
    #[test]
    fn result_does_not_depend_on_input_order(
        policy in policy_strategy(),
        tags in proptest::collection::vec(tag_strategy(), 0..12),
        seed in any::<u64>(),
    ) {
        let expected = policy.select(&tags);
        let mut shuffled = tags.clone();
        // a deterministic shuffle from the seed
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(policy.select(&shuffled), expected.clone());
        shuffled.reverse();
        prop_assert_eq!(policy.select(&shuffled), expected.clone());
        // Resolution's winner is the one `explain` shows, with its verdict.
        let evaluation = policy.evaluate(&tags);
        prop_assert_eq!(&evaluation.result, &expected);
        let winners: Vec<&str> = evaluation
            .tags
            .iter()
            .filter(|t| t.verdict == Verdict::Winner)
            .map(|t| t.tag.as_str())
            .collect();
        prop_assert_eq!(winners, expected.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

#[test]
fn extract_names_follow_go() {
    // A name used twice: Go's Expand takes the first group of that name that matched.
    let f = Filter::new("^(?P<v>a[0-9])$|^(?P<v>b[0-9])$", Some("$v")).unwrap();
    assert_eq!(f.key("b7").as_deref(), Some("b7"));
    assert_eq!(f.key("a1").as_deref(), Some("a1"));
    // A name may start with a digit in Go; the regex crate's copy is renamed, `${1x}` still finds it.
    let f = Filter::new("^(?P<1x>[0-9]+)-(?P<ts>[0-9]+)$", Some("${1x}.$ts")).unwrap();
    assert_eq!(f.key("12-34").as_deref(), Some("12.34"));
    assert!(Filter::new(r"\Qv1.0\E", None)
        .unwrap()
        .key("v1.0")
        .is_some());
    assert!(Filter::new(r"\Qv1.0\E", None)
        .unwrap()
        .key("v1x0")
        .is_none());
}

#[test]
fn a_cooldown_drops_young_tags_before_keys_merge_and_first_seen_orders_the_rest() {
    use crate::lock::Timestamp;
    use std::collections::BTreeMap;
    let t = |s: &str| s.parse::<Timestamp>().ok();
    let seen: BTreeMap<String, Option<Timestamp>> = [
        ("main-fff0000", t("2026-11-01T00:00:00Z")),
        ("main-0aa1111", t("2026-11-20T00:00:00Z")),
        ("main-bbb2222", t("2026-11-29T00:00:00Z")),
        ("main-ccc3333", None),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let tags: Vec<&String> = seen.keys().collect();
    let cooldown = cooldown::Cooldown {
        min_age: "2d".parse().unwrap(),
        now: t("2026-11-29T12:00:00Z"),
    };
    let policy = with_filter(alpha(Order::Asc), "^main-", None);
    let timing = Timing {
        seen: Some(&seen),
        cooldown: Some(cooldown),
        newest_first_seen: false,
    };
    let e = policy.evaluate_timed(&tags, &timing);
    assert_eq!(e.result.as_deref(), Ok("main-fff0000"));
    let verdict = |tag: &str| {
        e.tags
            .iter()
            .find(|v| v.tag == tag)
            .unwrap()
            .verdict
            .clone()
    };
    assert!(matches!(
        verdict("main-bbb2222"),
        Verdict::TooYoung(Age::TooYoung { .. })
    ));
    assert_eq!(verdict("main-ccc3333"), Verdict::TooYoung(Age::Unknown));

    let newest = Timing {
        newest_first_seen: true,
        ..timing
    };
    assert_eq!(
        policy.evaluate_timed(&tags, &newest).result.as_deref(),
        Ok("main-0aa1111")
    );
    // Without a cooldown, the newest first seen is the youngest; a tag with no time is oldest.
    let no_cooldown = Timing {
        cooldown: None,
        ..newest
    };
    assert_eq!(
        policy.evaluate_timed(&tags, &no_cooldown).result.as_deref(),
        Ok("main-bbb2222")
    );
    // Everything too young: no candidate at all.
    let late = Timing {
        cooldown: Some(cooldown::Cooldown {
            min_age: "365d".parse().unwrap(),
            ..cooldown
        }),
        ..timing
    };
    assert_eq!(
        policy.evaluate_timed(&tags, &late).result,
        Err(SelectError::Empty)
    );
}
