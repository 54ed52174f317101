//! The law tables (embedded, or from TOML bytes) and payment references.

use crate::{AppError, Result};
use fordra_core::law::LawBook;
use fordra_core::reference::{self, Scheme};
use serde::Serialize;

/// Law tables from TOML bytes named `source` (an operator's override file).
pub fn parse_law(source: &str, bytes: &[u8]) -> Result<LawBook> {
    let text = crate::input::config_text(source, bytes)?;
    LawBook::parse(&text, source).map_err(|e| AppError::invalid("", e.to_string()))
}

/// The law tables as an editable TOML file.
pub fn export_law(law: &LawBook) -> Result<String> {
    toml::to_string_pretty(law).map_err(|e| AppError::Storage(format!("law tables: {e}")))
}

/// A reference made.
#[derive(Clone, Debug, Serialize)]
pub struct ReferenceMade {
    /// The scheme.
    pub scheme: &'static str,
    /// The base number.
    pub base: String,
    /// The reference with its check digits.
    pub reference: String,
}

/// A reference checked.
#[derive(Clone, Debug, Serialize)]
pub struct ReferenceChecked {
    /// The reference.
    pub reference: String,
    /// Valid in at least one scheme.
    pub valid: bool,
    /// The schemes it is valid in.
    pub schemes: Vec<&'static str>,
}

/// A payment reference from a base number in a scheme.
pub fn make_reference(scheme: Scheme, base: &str) -> Result<ReferenceMade> {
    let r = reference::make(scheme, base).map_err(|e| AppError::invalid("", e.to_string()))?;
    Ok(ReferenceMade { scheme: scheme.name(), base: base.to_string(), reference: r })
}

/// The schemes a reference is valid in.
pub fn check_reference(r: &str) -> ReferenceChecked {
    let valid = reference::valid_schemes(r);
    ReferenceChecked {
        reference: r.to_string(),
        valid: !valid.is_empty(),
        schemes: valid.iter().map(|s| s.name()).collect(),
    }
}
