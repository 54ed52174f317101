//! A day's print and digital-mailbox batch, as a print-and-post service or a mailbox provider
//! (Kivra, OmaPosti, Digipost, e-Boks) takes it: the folder of PDFs the worker wrote (one per
//! letter, named by its delivery), one merged print-ready PDF, and a manifest in CSV and JSON
//! with recipient, address, national id or organisation number, reference, amount and deadline.
//! Made from the folder alone, so running it again gives the same files.

use crate::couriers::{write_atomic, ManifestRow};
use crate::CommsError;
use krilla::pdf::PdfDocument;
use krilla::Document;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct Batch {
    /// The batch folder.
    pub folder: String,
    /// Letters in it.
    pub letters: usize,
    /// Pages in the merged PDF.
    pub pages: usize,
    /// The merged PDF.
    pub merged: String,
    /// The manifest, CSV.
    pub manifest_csv: String,
    /// The manifest, JSON.
    pub manifest_json: String,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CommsError + '_ {
    move |source| CommsError::Io { path: path.display().to_string(), source }
}

/// The letters' records in a batch folder, in file-name order.
pub fn records(folder: &Path) -> Result<Vec<ManifestRow>, CommsError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(io(folder))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.file_name().is_none_or(|n| n != "manifest.json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).map_err(io(f))?;
            serde_json::from_slice(&bytes).map_err(|e| CommsError::Template(format!("{}: {e}", f.display())))
        })
        .collect()
}

/// Writes the merged PDF and the manifests for the batch in `folder` (e.g. `out/2026-11-24/print`).
pub fn export(folder: &Path) -> Result<Batch, CommsError> {
    let rows = records(folder)?;
    if rows.is_empty() {
        return Err(CommsError::Config(format!("{}: no letters in this batch", folder.display())));
    }
    // The merged PDF: every letter's pages in manifest order, each letter starting on a new sheet.
    let mut doc = Document::new();
    let mut pages = 0;
    for r in &rows {
        let file = folder.join(&r.file);
        let bytes = std::fs::read(&file).map_err(io(&file))?;
        let pdf = krilla::pdf::Pdf::new(bytes)
            .map_err(|e| CommsError::Template(format!("{}: not a readable PDF ({e:?})", file.display())))?;
        let n = pdf.pages().len();
        let indices: Vec<usize> = (0..n).collect();
        doc.embed_pdf_pages(&PdfDocument::new(Arc::new(pdf)), &indices);
        pages += n;
    }
    let merged = doc.finish().map_err(|e| CommsError::Template(format!("merged PDF: {e:?}")))?;
    let merged_path = folder.join("print.pdf");
    write_atomic(&merged_path, &merged)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        csv.serialize(r).map_err(|e| CommsError::Template(format!("manifest: {e}")))?;
    }
    let csv = csv.into_inner().map_err(|e| CommsError::Template(format!("manifest: {e}")))?;
    let csv_path = folder.join("manifest.csv");
    write_atomic(&csv_path, &csv)?;
    let json_path = folder.join("manifest.json");
    let json = serde_json::to_vec_pretty(&rows).map_err(|e| CommsError::Template(e.to_string()))?;
    write_atomic(&json_path, &json)?;
    Ok(Batch {
        folder: folder.display().to_string(),
        letters: rows.len(),
        pages,
        merged: merged_path.display().to_string(),
        manifest_csv: csv_path.display().to_string(),
        manifest_json: json_path.display().to_string(),
    })
}
