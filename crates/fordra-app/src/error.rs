//! The application's errors: one enum whose variants an adapter maps without reading messages
//! (the CLI to one line and exit status 2, the HTTP service to a status code and a stable error
//! code). Messages name what is wrong; hints on which command to run belong to the adapter.

use fordra_store::StoreError;
use std::fmt;

/// What went wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The entity does not exist (for this creditor).
    #[error("no {entity} '{id}'")]
    NotFound {
        /// What was looked for: "creditor", "customer", "claim", "payment", "pause", …
        entity: &'static str,
        /// The id asked for.
        id: String,
    },
    /// What was asked conflicts with what is stored (an id taken, a run not the latest, a file
    /// with a known id and other content).
    #[error("{0}")]
    Conflict(String),
    /// Input from outside is malformed or out of bounds.
    #[error("{0}")]
    Invalid(Invalid),
    /// The request would break the law or the creditor's handling rules.
    #[error("{}", unlawful_text(.rules))]
    Unlawful {
        /// Each rule broken, in words with its source.
        rules: Vec<String>,
    },
    /// The database failed or holds something this version cannot read.
    #[error("{0}")]
    Storage(String),
}

/// Where bad input was found and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The file, upload or option the value came from ("customers.csv", "--amount").
    pub source: String,
    /// Line in the source, when it has lines.
    pub line: Option<usize>,
    /// Column or field.
    pub column: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.source.is_empty() {
            write!(f, "{}: ", self.source)?;
        }
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        if let Some(c) = &self.column {
            write!(f, "column {c}: ")?;
        }
        f.write_str(&self.reason)
    }
}

fn unlawful_text(rules: &[String]) -> String {
    match rules {
        [one] => one.clone(),
        _ => format!("refused, it breaks these rules:\n  - {}", rules.join("\n  - ")),
    }
}

impl AppError {
    /// Bad input without a line: an option or a field.
    pub fn invalid(source: impl Into<String>, reason: impl Into<String>) -> AppError {
        AppError::Invalid(Invalid { source: source.into(), line: None, column: None, reason: reason.into() })
    }
    /// Bad input at a line and column of a file.
    pub fn at(source: &str, line: usize, column: Option<&str>, reason: impl Into<String>) -> AppError {
        AppError::Invalid(Invalid {
            source: source.to_string(),
            line: Some(line),
            column: column.map(str::to_string),
            reason: reason.into(),
        })
    }
    /// A stable code per variant, for adapters (the HTTP error shape).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound { .. } => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid_input",
            AppError::Unlawful { .. } => "unlawful",
            AppError::Storage(_) => "storage",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, id } => AppError::NotFound { entity, id },
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Rule(m) => AppError::invalid("", m),
            e @ (StoreError::Sqlite(_) | StoreError::Postgres(_) | StoreError::Data(_) | StoreError::Row { .. }) => {
                AppError::Storage(e.to_string())
            }
        }
    }
}

impl From<fordra_core::limits::OutOfBounds> for AppError {
    fn from(e: fordra_core::limits::OutOfBounds) -> Self {
        AppError::invalid(e.field.clone(), e.problem)
    }
}

impl From<fordra_core::law::LawError> for AppError {
    fn from(e: fordra_core::law::LawError) -> Self {
        AppError::Unlawful { rules: vec![e.to_string()] }
    }
}

/// A use case's result.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
