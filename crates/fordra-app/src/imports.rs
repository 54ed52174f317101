//! Imports of customers and invoices from CSV bytes: the whole file or nothing.

use crate::claims::amount_due;
use crate::creditors::default_language;
use crate::{input, App, AppError, CreditorId, Result};
use fordra_core::domain::{ClaimStatus, DebtorKind};
use fordra_core::limits::{self, OutOfBounds};
use fordra_core::reference;
use fordra_core::settle::PaymentKind;
use fordra_store::{ClaimRow, CustomerRow, ImportSummary, InvoiceRow, NewClaim, NewPayment};
use serde::Serialize;
use std::collections::HashMap;

/// What a customers import did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
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
        self.customers_from(creditor, source, &input::Sheet::parse(source, bytes, input::CUSTOMER_COLUMNS)?)
    }

    /// Customers from JSON objects with the CSV file's columns as fields (the API's upsert).
    pub fn import_customers_json(
        &mut self,
        creditor: &CreditorId,
        source: &str,
        items: &[serde_json::Value],
    ) -> Result<CustomersImported> {
        self.customers_from(creditor, source, &input::Sheet::from_json(source, items, input::CUSTOMER_COLUMNS)?)
    }

    fn customers_from(
        &mut self,
        creditor: &CreditorId,
        source: &str,
        sheet: &input::Sheet,
    ) -> Result<CustomersImported> {
        let c = self.store.creditor(creditor)?;
        let rows = input::customers_of(sheet, default_language(c.jurisdiction))?;
        let s = self.import_customer_rows(creditor, &rows, source)?;
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
        self.invoices_from(creditor, source, &input::Sheet::parse(source, bytes, input::INVOICE_COLUMNS)?)
    }

    /// Invoices from JSON objects with the CSV file's columns as fields (the API's single and
    /// bulk upsert): the same rules, one transaction.
    pub fn import_invoices_json(
        &mut self,
        creditor: &CreditorId,
        source: &str,
        items: &[serde_json::Value],
    ) -> Result<InvoicesImported> {
        self.invoices_from(creditor, source, &input::Sheet::from_json(source, items, input::INVOICE_COLUMNS)?)
    }

    fn invoices_from(&mut self, creditor: &CreditorId, source: &str, sheet: &input::Sheet) -> Result<InvoicesImported> {
        let c = self.store.creditor(creditor)?;
        let rows = input::invoices_of(sheet, c.currency)?;
        let s = self.import_invoice_rows(creditor, &rows, &base_name(source))?;
        Ok(InvoicesImported {
            file: source.to_string(),
            rows: rows.len(),
            created: s.created,
            settled: s.settled,
            unchanged: s.unchanged,
        })
    }

    /// Customers as rows (from a file, the demo, the benchmark): each within its bounds and
    /// listed once, or nothing is stored.
    pub fn import_customer_rows(
        &mut self,
        creditor: &CreditorId,
        rows: &[CustomerRow],
        source: &str,
    ) -> Result<ImportSummary> {
        let mut seen: HashMap<&str, usize> = HashMap::default();
        for (i, c) in rows.iter().enumerate() {
            check_customer(c)?;
            if let Some(first) = seen.insert(c.id.as_str(), i + 1) {
                return Err(AppError::invalid(
                    source,
                    format!("customer '{}' appears twice (rows {first} and {})", c.id, i + 1),
                ));
            }
        }
        self.store.write_tx(creditor, |s| -> Result<ImportSummary> {
            let sum = s.upsert_customers(creditor, rows)?;
            s.audit(
                creditor,
                &format!("import:{}", base_name(source)),
                "customers",
                &format!("{} created, {} updated, {} unchanged", sum.created, sum.updated, sum.unchanged),
            )?;
            Ok(sum)
        })
    }

    /// Invoices as rows, in one transaction. Identical re-imports change nothing; a known invoice
    /// that now has a paid date is settled (with the interest owed to that day); a known invoice
    /// with another amount, dates or customer is refused; a payment reference already used by
    /// another claim is refused (one debtor's payment must never settle another's claim).
    pub fn import_invoice_rows(
        &mut self,
        creditor: &CreditorId,
        rows: &[InvoiceRow],
        source: &str,
    ) -> Result<ImportSummary> {
        let (law, today) = (self.law, self.today);
        self.store.write_tx(creditor, |s| -> Result<ImportSummary> {
            let cr = s.creditor(creditor)?;
            let j = law.jurisdiction(cr.jurisdiction)?;
            let customers = s.customer_kinds(creditor)?;
            refuse_consumer_claims(j, rows, &customers, source)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let existing = s.claims_by_ids(creditor, &ids)?;
            let reference_of = |r: &InvoiceRow| {
                r.reference
                    .clone()
                    .or_else(|| cr.reference_scheme.and_then(|sch| reference::make(sch, &r.invoice_number).ok()))
            };
            // Stored references are normalised; older ones may not be: ask for both spellings.
            let wanted: Vec<String> = rows
                .iter()
                .filter(|r| !existing.contains_key(&r.id))
                .filter_map(reference_of)
                .flat_map(|x| {
                    let n = reference::normalize(&x);
                    if n == x {
                        vec![x]
                    } else {
                        vec![x, n]
                    }
                })
                .collect();
            let mut references = s.claims_by_references(creditor, &wanted)?;
            let mut sum = ImportSummary::default();
            let (mut new_claims, mut payments, mut touched) = (Vec::new(), Vec::new(), Vec::new());
            let mut seen: HashMap<String, usize> = HashMap::new();
            for r in rows {
                check_invoice(r, source, today)?;
                let at = |col: &str, reason: String| AppError::at(source, r.line, Some(col), reason);
                if let Some(first) = seen.insert(r.id.clone(), r.line) {
                    return Err(at("id", format!("invoice '{}' appears twice (first on line {first})", r.id)));
                }
                if !customers.contains_key(&r.customer_id) {
                    return Err(at(
                        "customer_id",
                        format!("unknown customer '{}' (import customers first)", r.customer_id),
                    ));
                }
                if let Some(old) = existing.get(&r.id) {
                    check_same_invoice(old, r, source)?;
                    match (r.paid_date, old.status) {
                        (Some(p), ClaimStatus::Open) => {
                            let open = amount_due(s, &cr, law, &r.id, p)?;
                            payments.push(settled(r, p, open, true, &format!("{source} (paid date)")));
                            touched.push(r.customer_id.clone());
                            sum.settled += 1
                        }
                        _ => sum.unchanged += 1,
                    }
                    continue;
                }
                // Stored without spaces, as matching compares them.
                let reference = reference_of(r).map(|x| reference::normalize(&x));
                check_new_invoice(r, reference.as_deref(), &mut references, source)?;
                sum.created += 1;
                if let Some(p) = r.paid_date {
                    payments.push(settled(r, p, r.amount, false, source));
                }
                new_claims.push(claim_of(r, reference));
                touched.push(r.customer_id.clone());
            }
            s.insert_claims(creditor, &new_claims)?;
            s.insert_payments(creditor, &payments)?;
            s.reconcile(&cr, j, &touched, &format!("invoices from {source}"))?;
            s.audit(
                creditor,
                &format!("import:{source}"),
                "invoices",
                &format!("{} created, {} settled, {} unchanged", sum.created, sum.settled, sum.unchanged),
            )?;
            Ok(sum)
        })
    }
}

/// Under tables for business claims only (EU B2B), an invoice to a consumer is refused: a
/// consumer claim falls under the law of the consumer's country.
fn refuse_consumer_claims(
    j: &fordra_core::law::Jurisdiction,
    rows: &[InvoiceRow],
    customers: &rustc_hash::FxHashMap<String, DebtorKind>,
    source: &str,
) -> Result<()> {
    if !j.business_only {
        return Ok(());
    }
    match rows.iter().find(|r| customers.get(&r.customer_id) == Some(&DebtorKind::Consumer)) {
        Some(r) => Err(AppError::at(source, r.line, None, format!(
            "invoice {} is to consumer {}: the {} tables apply between businesses only; a consumer claim falls under the law of the consumer's country",
            r.id, r.customer_id, j.code.upper()
        ))),
        None => Ok(()),
    }
}

/// A new invoice's dates, and its payment reference: within bounds and no other claim's
/// (one debtor's payment must never settle another's claim). The reference is then taken.
fn check_new_invoice(
    r: &InvoiceRow,
    reference: Option<&str>,
    references: &mut rustc_hash::FxHashMap<String, String>,
    source: &str,
) -> Result<()> {
    let at = |col: &str, reason: String| AppError::at(source, r.line, Some(col), reason);
    if r.due_date < r.issue_date {
        return Err(at("due_date", format!("{} is before the invoice date {}", r.due_date, r.issue_date)));
    }
    if r.paid_date.is_some_and(|p| p < r.issue_date) {
        return Err(at("paid_date", "is before the invoice date".into()));
    }
    if let Some(key) = reference {
        limits::text("reference", key, limits::MAX_REFERENCE).map_err(|e| at("reference", e.problem))?;
        if let Some(other) = references.insert(key.to_string(), r.id.clone()) {
            return Err(at("reference", format!(
                "{key} is already the reference of invoice '{other}'; each invoice needs its own, or a payment could settle the wrong claim"
            )));
        }
    }
    Ok(())
}

/// The payment an invoice's paid date stands for (with the interest owed to that day when the
/// claim was open in Fordra).
fn settled(r: &InvoiceRow, date: chrono::NaiveDate, amount: i64, interest: bool, source: &str) -> NewPayment {
    NewPayment {
        id: format!("settled:{}", r.id),
        claim: r.id.clone(),
        customer: r.customer_id.clone(),
        date,
        amount,
        currency: r.currency,
        kind: PaymentKind::Settled { interest },
        bank_key: None,
        source: source.to_string(),
        reference: None,
        payer: None,
    }
}

fn claim_of(r: &InvoiceRow, reference: Option<String>) -> NewClaim {
    NewClaim {
        id: r.id.clone(),
        customer_id: r.customer_id.clone(),
        invoice_number: r.invoice_number.clone(),
        issue_date: r.issue_date,
        due_date: r.due_date,
        currency: r.currency,
        principal: r.amount,
        paid_date: r.paid_date,
        reference,
        due_date_agreed: r.due_date_agreed,
        demand_date: r.demand_date,
    }
}

/// Bounds on a customer from outside (the CSV reader checks them per column; rows from elsewhere
/// are checked here).
fn check_customer(c: &CustomerRow) -> Result<(), OutOfBounds> {
    limits::id("customer id", &c.id)?;
    limits::text("name", &c.name, limits::MAX_NAME)?;
    limits::text("language", &c.language, 8)?;
    for (field, v, max) in [
        ("email", &c.email, 254),
        ("phone", &c.phone, 32),
        ("address", &c.address, limits::MAX_NAME),
        ("org_no", &c.org_no, 32),
    ] {
        if let Some(v) = v {
            limits::text(field, v, max)?;
        }
    }
    if let Some(score) = c.credit_score {
        limits::days("credit_score", i64::from(score), 0, 100)?;
    }
    if let Some(d) = c.credit_score_date {
        limits::date("credit_score_date", d)?;
    }
    Ok(())
}

/// An invoice's own bounds and dates.
fn check_invoice(r: &InvoiceRow, source: &str, today: chrono::NaiveDate) -> Result<()> {
    let at = |col: &str, e: OutOfBounds| AppError::at(source, r.line, Some(col), e.problem);
    limits::id("id", &r.id).map_err(|e| at("id", e))?;
    limits::text("invoice_number", &r.invoice_number, limits::MAX_ID).map_err(|e| at("invoice_number", e))?;
    limits::amount("amount", r.amount, 1).map_err(|e| at("amount", e))?;
    limits::date("issue_date", r.issue_date).map_err(|e| at("issue_date", e))?;
    limits::date("due_date", r.due_date).map_err(|e| at("due_date", e))?;
    if let Some(p) = r.paid_date {
        limits::past_date("paid_date", p, today).map_err(|e| at("paid_date", e))?;
    }
    Ok(())
}

/// A known invoice imported again must say the same (customer, dates, amount, currency).
fn check_same_invoice(old: &ClaimRow, r: &InvoiceRow, source: &str) -> Result<()> {
    let same = old.customer_id == r.customer_id
        && old.due_date == r.due_date
        && old.principal == r.amount
        && old.currency == r.currency
        && old.issue_date == r.issue_date;
    if same {
        return Ok(());
    }
    Err(AppError::at(source, r.line, None, format!(
        "invoice '{}' already exists with other data (customer {}, due {}, amount {} {}); corrections are made with credit notes, not by re-import",
        r.id,
        old.customer_id,
        old.due_date,
        fordra_core::money::format_minor(old.principal),
        old.currency
    )))
}
