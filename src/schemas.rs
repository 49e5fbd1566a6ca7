//! The committed JSON Schemas (`schemas/`) against the types they describe: a test fails when
//! they drift; `IMAGELOCK_WRITE_SCHEMA=1 cargo test committed_schema` rewrites them.

/// Compare `schemas/{file}` with the schema generated from the types.
pub(crate) fn assert_committed(schema: &schemars::Schema, file: &str) {
    let generated = serde_json::to_string_pretty(schema).unwrap_or_default() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    if std::env::var_os("IMAGELOCK_WRITE_SCHEMA").is_some() {
        fs_err::write(&path, &generated).unwrap_or_else(|e| panic!("{e}"));
    }
    let committed = fs_err::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed, generated,
        "schemas/{file} drifted from its types; regenerate with IMAGELOCK_WRITE_SCHEMA=1 cargo test committed_schema"
    );
}
