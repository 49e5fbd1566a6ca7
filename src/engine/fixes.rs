//! Turning out-of-date findings into new file contents, verified before anything is written.

use super::markers::evaluate_file;
use super::Analysis;
use crate::fix::apply_edits;
use crate::manifest;

/// The new text of one file, or why it is left untouched.
#[derive(Debug)]
pub struct FileFix {
    pub index: usize,
    pub rel: String,
    pub result: Result<String, String>,
}

/// Apply each file's edits in one pass, then re-parse and re-evaluate the result: a file whose
/// output does not parse, or that a second pass would change again, is left as it was.
/// Files are independent: they are planned on every core.
pub fn plan(analysis: &Analysis) -> Vec<FileFix> {
    let edited: Vec<_> = analysis.edits.iter().collect();
    crate::par::map(&edited, |&(&index, edits)| {
        let file = &analysis.files[index];
        let result = apply_edits(&file.text, edits)
            .map_err(|e| format!("conflicting edits: {e}"))
            .and_then(|new_text| verify(analysis, index, new_text));
        FileFix {
            index,
            rel: file.rel.clone(),
            result,
        }
    })
}

fn verify(analysis: &Analysis, index: usize, new_text: String) -> Result<String, String> {
    let manifest = manifest::parse(&new_text).map_err(|e| {
        format!(
            "the fixed file would not parse ({}); left unchanged",
            e.message
        )
    })?;
    let file = &analysis.files[index];
    let probe = super::SourceFile {
        rel: file.rel.clone(),
        text: new_text,
        manifest: None,
        selected: true,
    };
    let again = evaluate_file(&analysis.model, &analysis.resolutions, &probe, &manifest);
    if !again.edits.is_empty() {
        return Err("a second pass would change the file again; left unchanged".to_owned());
    }
    Ok(probe.text)
}
