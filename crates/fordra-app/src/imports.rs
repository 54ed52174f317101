//! Imports of customers and invoices from CSV bytes: the whole file or nothing.

use crate::creditors::default_language;
use crate::{input, App, CreditorId, Result};
use serde::Serialize;

/// What a customers import did.
#[derive(Clone, Debug, Serialize)]
pub struct CustomersImported {
    /// The source as given.
    pub file: String,
    /// Rows read.
    pub rows: usize,
    /// New customers.
    pub created: usize,
    /// Customers changed.
    pub updated: usize,
    /// Customers the file repeats as they are.
    pub unchanged: usize,
}

/// What an invoices import did.
#[derive(Clone, Debug, Serialize)]
pub struct InvoicesImported {
    /// The source as given.
    pub file: String,
    /// Rows read.
    pub rows: usize,
    /// New claims.
    pub created: usize,
    /// Historical invoices stored as paid.
    pub settled: usize,
    /// Invoices known already.
    pub unchanged: usize,
}

/// The last part of a source name (a path's file name): what the audit log and the bank keys
/// record, so the same file from two directories is one source.
pub fn base_name(source: &str) -> String {
    std::path::Path::new(source)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.to_string())
}

impl App<'_> {
    /// Customers from a CSV file's bytes: created, updated or unchanged by id.
    pub fn import_customers(&mut self, creditor: &CreditorId, source: &str, bytes: &[u8]) -> Result<CustomersImported> {
        let c = self.store.creditor(creditor)?;
        let rows = input::customers(source, bytes, default_language(c.jurisdiction))?;
        let s = self.store.upsert_customers(creditor, &rows)?;
        self.store.audit(
            creditor,
            &format!("import:{}", base_name(source)),
            "customers",
            &format!("{} created, {} updated, {} unchanged", s.created, s.updated, s.unchanged),
        )?;
        Ok(CustomersImported {
            file: source.to_string(),
            rows: rows.len(),
            created: s.created,
            updated: s.updated,
            unchanged: s.unchanged,
        })
    }

    /// Invoices from a CSV file's bytes: new claims (with their references), historical ones as
    /// paid; an invoice known already with the same content is unchanged.
    pub fn import_invoices(&mut self, creditor: &CreditorId, source: &str, bytes: &[u8]) -> Result<InvoicesImported> {
        let c = self.store.creditor(creditor)?;
        let rows = input::invoices(source, bytes, c.currency)?;
        let s = self.store.import_invoices(creditor, self.law, &rows, &base_name(source))?;
        Ok(InvoicesImported {
            file: source.to_string(),
            rows: rows.len(),
            created: s.created,
            settled: s.settled,
            unchanged: s.unchanged,
        })
    }
}
