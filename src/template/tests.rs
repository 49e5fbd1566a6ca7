use std::collections::BTreeMap;

use super::flux::{render_message, Change, CommitData, LatestImage, ObjectId, DEFAULT_MESSAGE};
use super::{render, ErrorKind, Template, Value};

fn change(old: &str, new: &str, setter: &str) -> Change {
    Change {
        old_value: old.into(),
        new_value: new.into(),
        setter: setter.into(),
    }
}

fn deployment(name: &str) -> ObjectId {
    ObjectId {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: name.into(),
        namespace: "default".into(),
    }
}

/// Two files, two Deployments, as Flux would record them.
fn data() -> CommitData {
    let mut file_changes = BTreeMap::new();
    file_changes.insert(
        "apps/redis.yaml".to_owned(),
        BTreeMap::from([(
            deployment("redis"),
            vec![change("6.0", "6.2", "flux-system:redis:tag")],
        )]),
    );
    file_changes.insert(
        "apps/podinfo.yaml".to_owned(),
        BTreeMap::from([(
            deployment("podinfo"),
            vec![change(
                "ghcr.io/stefanprodan/podinfo:5.0.0",
                "ghcr.io/stefanprodan/podinfo:5.0.3",
                "flux-system:podinfo",
            )],
        )]),
    );
    CommitData {
        automation_namespace: "flux-system".into(),
        automation_name: "flux-system".into(),
        file_changes,
        values: BTreeMap::from([("cluster".to_owned(), "prod".to_owned())]),
        ..CommitData::default()
    }
}

fn msg(template: &str) -> String {
    render_message(Some(template), &data()).unwrap_or_else(|e| panic!("{template:?}: {e}"))
}

fn error(template: &str) -> super::TemplateError {
    match render_message(Some(template), &data()) {
        Ok(out) => panic!("{template:?} rendered {out:?}, expected an error"),
        Err(e) => e,
    }
}

/// The example of Flux's ImageUpdateAutomation documentation ("Message Template"), as the YAML
/// literal block scalar delivers it.
const FLUX_DOC_TEMPLATE: &str = "Automated image update

Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
";

#[test]
fn flux_documented_example_template() {
    assert_eq!(
        msg(FLUX_DOC_TEMPLATE),
        "Automated image update

Automation name: flux-system/flux-system

Files:
- apps/podinfo.yaml
- apps/redis.yaml
Objects:
- Deployment podinfo
  Changes:
    - ghcr.io/stefanprodan/podinfo:5.0.0 -> ghcr.io/stefanprodan/podinfo:5.0.3
- Deployment redis
  Changes:
    - 6.0 -> 6.2
"
    );
}

#[test]
fn flux_documented_example_with_functions() {
    // The documentation's second example: sprig's `lower` in a pipeline, `contains` in an `if`.
    let template = "{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
  Changes:
{{- range $_, $change := $changes }}
  {{ if contains \"5.0.3\" $change.NewValue -}}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
  {{ else -}}
    [skip ci] wrong image
  {{ end -}}
{{ end -}}
{{ end -}}
";
    assert_eq!(
        msg(template),
        "- deployment podinfo\n  Changes:\n  - ghcr.io/stefanprodan/podinfo:5.0.0 -> ghcr.io/stefanprodan/podinfo:5.0.3\n  - deployment redis\n  Changes:\n  [skip ci] wrong image\n  "
    );
}

#[test]
fn flux_cli_and_demo_templates() {
    // `flux bootstrap` guides' template: print and println over the deduplicated changes.
    assert_eq!(
        msg("{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}"),
        "ghcr.io/stefanprodan/podinfo:5.0.0 -> ghcr.io/stefanprodan/podinfo:5.0.3\n6.0 -> 6.2\n"
    );
    assert_eq!(
        msg("Automated image update by Flux for cluster {{ .Values.cluster }}."),
        "Automated image update by Flux for cluster prod."
    );
}

#[test]
fn default_message_without_template() {
    assert_eq!(render_message(None, &data()).unwrap(), DEFAULT_MESSAGE);
    assert_eq!(render_message(Some(""), &data()).unwrap(), DEFAULT_MESSAGE);
    assert_eq!(DEFAULT_MESSAGE, "Update from image update automation");
}

#[test]
fn changes_are_deduplicated_and_sorted_like_flux() {
    let mut d = data();
    d.file_changes.insert(
        "apps/again.yaml".into(),
        BTreeMap::from([(
            deployment("again"),
            vec![
                change("6.0", "6.2", "flux-system:redis:tag"),
                change("a", "b", "flux-system:a"),
            ],
        )]),
    );
    let out = render_message(
        Some("{{ range .Changed.Changes }}{{ .Setter }} {{ .OldValue }}>{{ .NewValue }};{{ end }}"),
        &d,
    )
    .unwrap();
    assert_eq!(
        out,
        "flux-system:a a>b;flux-system:podinfo ghcr.io/stefanprodan/podinfo:5.0.0>ghcr.io/stefanprodan/podinfo:5.0.3;flux-system:redis:tag 6.0>6.2;"
    );
    // Objects order: APIVersion, Kind, Name, Namespace.
    let out = render_message(
        Some("{{ range $o, $c := .Changed.Objects }}{{ $o.Name }}={{ len $c }} {{ end }}"),
        &d,
    )
    .unwrap();
    assert_eq!(out, "again=2 podinfo=1 redis=1 ");
}

#[test]
fn trimming_and_comments() {
    let v = Value::Nil;
    assert_eq!(render("a  {{- \"b\" -}}  \n c", &v).unwrap(), "abc");
    assert_eq!(render("a {{- /* a comment */ -}} b", &v).unwrap(), "ab");
    assert_eq!(render("a{{/* c */}}b", &v).unwrap(), "ab");
    assert_eq!(render("{{ 3 }} {{-3}}", &v).unwrap(), "3 -3");
}

#[test]
fn control_structures() {
    let d = data();
    let r = |t: &str| render_message(Some(t), &d).unwrap();
    assert_eq!(
        r("{{ if .Values.missing }}a{{ else if .Values.cluster }}b{{ else }}c{{ end }}"),
        "b"
    );
    assert_eq!(r("{{ if eq .Values.cluster \"dev\" }}a{{ else if eq .Values.cluster \"qa\" }}b{{ else }}c{{ end }}"), "c");
    assert_eq!(
        r("{{ with .AutomationObject }}{{ .Namespace }}/{{ .Name }}{{ end }}"),
        "flux-system/flux-system"
    );
    assert_eq!(r("{{ with .Values.nope }}x{{ else }}none{{ end }}"), "none");
    assert_eq!(
        r("{{ with $x := .Values.cluster }}{{ $x }}{{ . }}{{ end }}"),
        "prodprod"
    );
    assert_eq!(
        r("{{ range $i, $c := .Changed.Changes }}{{ $i }}{{ end }}"),
        "01"
    );
    assert_eq!(
        r("{{ range .Changed.Changes }}{{ break }}x{{ end }}done"),
        "done"
    );
    assert_eq!(r("{{ range $i, $c := .Changed.Changes }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ $i }}{{ end }}"), "1");
    assert_eq!(
        r("{{ range .Values.none }}x{{ else }}empty{{ end }}"),
        "empty"
    );
    assert_eq!(r("{{ range 3 }}{{ . }}{{ end }}"), "012");
    assert_eq!(
        r("{{ $n := 0 }}{{ range .Changed.Changes }}{{ $n = len .Setter }}{{ end }}{{ $n }}"),
        "21"
    );
}

#[test]
fn functions_and_printing() {
    let d = data();
    let r = |t: &str| render_message(Some(t), &d).unwrap();
    assert_eq!(
        r("{{ print 1 2 \"a\" 3 }}|{{ println 1 \"a\" }}|"),
        "1 2a3|1 a\n|"
    );
    assert_eq!(r("{{ printf \"%s has %d changes, %q %-4s|%3d\" .AutomationObject.Name (len .Changed.Changes) \"x\" \"ab\" 7 }}"), "flux-system has 2 changes, \"x\" ab  |  7");
    assert_eq!(
        r("{{ printf \"%v\" .AutomationObject }}"),
        "flux-system/flux-system"
    );
    assert_eq!(r("{{ .Values }}"), "map[cluster:prod]");
    assert_eq!(r("{{ range .Changed.Changes }}{{ . }}{{ end }}"), "{ghcr.io/stefanprodan/podinfo:5.0.0 ghcr.io/stefanprodan/podinfo:5.0.3 flux-system:podinfo}{6.0 6.2 flux-system:redis:tag}");
    assert_eq!(r("{{ .Values.missing }}|{{ print .Values.missing }}|{{ index .Values \"missing\" }}|{{ index .Values \"cluster\" }}"), "<no value>|<nil>||prod");
    assert_eq!(
        r("{{ and 1 0 2 }} {{ or 0 \"\" \"x\" }} {{ not .Values.cluster }}"),
        "0 x false"
    );
    assert_eq!(r("{{ .Values.cluster | upper | printf \"%s!\" }}"), "PROD!");
    assert_eq!(r("{{ \"v1.2.3\" | trimPrefix \"v\" }} {{ replace \".\" \"-\" \"1.2.3\" }} {{ quote \"a\\\"b\" }} {{ default \"dflt\" .Values.none }} {{ trunc 3 \"abcdef\" }}"), "1.2.3 1-2-3 \"a\\\"b\" dflt abc");
    assert_eq!(
        r("{{ (index .Changed.Changes 1).Setter }}"),
        "flux-system:redis:tag"
    );
    assert_eq!(
        r("{{ lt 1 2 }} {{ ge \"b\" \"a\" }} {{ ne 1 1 }} {{ eq 2 1 2 }}"),
        "true true false true"
    );
}

#[test]
fn unsupported_or_invalid_templates_are_errors_not_messages() {
    let cases: &[(&str, ErrorKind, &str)] = &[
        (
            "{{ .Changed.Changes | title }}",
            ErrorKind::Parse,
            "function \"title\" is not supported",
        ),
        (
            "{{ define \"x\" }}{{ end }}",
            ErrorKind::Parse,
            "{{define}} is not supported",
        ),
        (
            "{{ template \"x\" }}",
            ErrorKind::Parse,
            "{{template}} is not supported",
        ),
        ("{{ 1.5 }}", ErrorKind::Parse, "integers only"),
        ("{{ 'a' }}", ErrorKind::Parse, "character constants"),
        ("{{ $x }}", ErrorKind::Parse, "undefined variable"),
        ("{{ if 1 }}", ErrorKind::Parse, "without {{end}}"),
        ("{{ end }}", ErrorKind::Parse, "unexpected {{end}}"),
        ("{{ break }}", ErrorKind::Parse, "outside {{range}}"),
        ("a {{ .X", ErrorKind::Parse, "unclosed action"),
        ("{{ /* c */ }}", ErrorKind::Parse, "unexpected"),
        (
            "{{ range .Updated.Images }}{{ . }}{{ end }}",
            ErrorKind::Execute,
            "removed in Flux 2.7",
        ),
        (
            "{{ .Changed.ImageResult }}",
            ErrorKind::Execute,
            "removed in Flux 2.7",
        ),
        (
            "{{ .Changed.Nope }}",
            ErrorKind::Execute,
            "can't evaluate field Nope in type update.Result",
        ),
        (
            "{{ .Changed.FileChanges }}",
            ErrorKind::Execute,
            "does not print a whole update.FileChanges",
        ),
        (
            "{{ .Changed.Changes }}",
            ErrorKind::Execute,
            "does not print a whole update.Changes",
        ),
        (
            "{{ range $o, $c := .Changed.Objects }}{{ $o }}{{ end }}",
            ErrorKind::Execute,
            "update.ObjectIdentifier",
        ),
        ("{{ . }}", ErrorKind::Execute, "source.TemplateData"),
        (
            "{{ printf \"%x\" 1 }}",
            ErrorKind::Execute,
            "%x is not supported",
        ),
        ("{{ printf \"%s\" }}", ErrorKind::Execute, "missing operand"),
        ("{{ printf \"%s\" 1 }}", ErrorKind::Execute, "%s of a int"),
        (
            "{{ .Values.cluster 1 }}",
            ErrorKind::Execute,
            "non-function",
        ),
        (
            "{{ .Values.missing.deeper }}",
            ErrorKind::Execute,
            "nil pointer",
        ),
        ("{{ lower 1 }}", ErrorKind::Execute, "expected string"),
        ("{{ eq 1 \"1\" }}", ErrorKind::Execute, "incompatible types"),
        (
            "{{ range .Values.cluster }}{{ end }}",
            ErrorKind::Execute,
            "can't iterate over string",
        ),
    ];
    for (template, kind, needle) in cases {
        let e = error(template);
        assert_eq!(e.kind, *kind, "{template}: {e}");
        assert!(e.to_string().contains(needle), "{template}: {e}");
    }
}

#[test]
fn errors_name_line_and_column() {
    let e = Template::parse("line one\n  {{ nope }}").unwrap_err();
    assert_eq!((e.line, e.column), (2, 6));
    assert!(
        e.to_string()
            .starts_with("template error: line 2, column 6:"),
        "{e}"
    );
}

/// `data()` as a Flux release before 2.7 sees it: the policies' latest images are known.
fn legacy_data(flux: &str) -> CommitData {
    let latest = |image: &str, tag: &str, name: &str| LatestImage {
        image: image.into(),
        tag: tag.into(),
        policy_namespace: "flux-system".into(),
        policy_name: name.into(),
    };
    CommitData {
        flux: crate::flux_version::FluxVersion::parse(flux).unwrap(),
        images: BTreeMap::from([
            (
                "flux-system:redis".to_owned(),
                latest("redis", "6.2", "redis"),
            ),
            (
                "flux-system:podinfo".to_owned(),
                latest("ghcr.io/stefanprodan/podinfo", "5.0.3", "podinfo"),
            ),
        ]),
        ..data()
    }
}

fn legacy_msg(flux: &str, template: &str) -> Result<String, super::TemplateError> {
    render_message(Some(template), &legacy_data(flux))
}

/// IAC 0.7's documented `.Updated` example: files, objects, images.
const LEGACY_DOC_TEMPLATE: &str = "Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Updated.Files -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $_ := .Updated.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
{{ end -}}

Images:
{{ range .Updated.Images -}}
- {{.}}
{{ end -}}
";

#[test]
fn legacy_updated_data_renders_for_targets_before_2_7() {
    let want = "Automation name: flux-system/flux-system

Files:
- apps/podinfo.yaml
- apps/redis.yaml
Objects:
- Deployment podinfo
- Deployment redis
Images:
- ghcr.io/stefanprodan/podinfo:5.0.3
- redis:6.2
";
    for flux in ["2.0", "2.3", "2.6"] {
        assert_eq!(
            legacy_msg(flux, LEGACY_DOC_TEMPLATE).unwrap(),
            want,
            "{flux}"
        );
    }
    let err = legacy_msg("2.7", LEGACY_DOC_TEMPLATE).unwrap_err();
    assert!(err.to_string().contains("Updated"), "{err}");
}

#[test]
fn legacy_image_refs_have_flux_methods() {
    let t = "{{ range .Updated.Images }}{{ .String }}|{{ .Identifier }}|{{ .Repository }}|\
{{ .Registry }}|{{ .Name }}|{{ .Policy }}|{{ .Policy.Name }}\n{{ end }}";
    assert_eq!(
        legacy_msg("2.6", t).unwrap(),
        "ghcr.io/stefanprodan/podinfo:5.0.3|5.0.3|stefanprodan/podinfo|ghcr.io|\
ghcr.io/stefanprodan/podinfo:5.0.3|flux-system/podinfo|podinfo
redis:6.2|6.2|library/redis|index.docker.io|index.docker.io/library/redis:6.2|\
flux-system/redis|redis
"
    );
    let files = "{{ range $f, $r := .Updated.Files }}{{ $f }}:\
{{ range $o, $refs := $r.Objects }} {{ $o.Name }}={{ range $refs }}{{ .Identifier }}{{ end }}{{ end }};{{ end }}";
    assert_eq!(
        legacy_msg("2.0", files).unwrap(),
        "apps/podinfo.yaml: podinfo=5.0.3;apps/redis.yaml: redis=6.2;"
    );
}

#[test]
fn template_data_by_target_release() {
    // 2.3 to 2.6: both `.Updated` and `.Changed`, which also has `.ImageResult`.
    let both = "{{ len .Updated.Images }} {{ len .Changed.Changes }} {{ len .Changed.ImageResult.Images }} {{ .Values.cluster }}";
    assert_eq!(legacy_msg("2.3", both).unwrap(), "2 2 2 prod");
    assert_eq!(legacy_msg("2.6", both).unwrap(), "2 2 2 prod");
    // Before 2.3 there is no `.Changed` and no `.Values`.
    for t in ["{{ .Changed.Changes }}", "{{ .Values.cluster }}"] {
        let err = legacy_msg("2.2", t).unwrap_err();
        assert!(
            err.to_string().contains("can't evaluate field"),
            "{t}: {err}"
        );
    }
    // From 2.7 `.Changed.ImageResult` is gone too.
    let err = legacy_msg("2.7", "{{ .Changed.ImageResult }}").unwrap_err();
    assert!(err.to_string().contains("ImageResult"), "{err}");
    assert_eq!(
        legacy_msg("2.9", "{{ len .Changed.Changes }}").unwrap(),
        "2"
    );
}
