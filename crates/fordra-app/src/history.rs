//! Accounts-receivable history from an ERP export: the column mapping, the reader (from bytes)
//! and the import.

use crate::input::Sheet;
use crate::{App, AppError, CreditorId, Result};
use chrono::NaiveDate;
use fordra_core::history::HistInvoice;
use fordra_core::money::{parse_minor, Currency};
use serde::Serialize;
use std::collections::HashMap;

const KEYS: &[&str] = &[
    "customer",
    "invoice",
    "invoice_date",
    "due_date",
    "amount",
    "paid_date",
    "disputed",
    "channel",
    "country",
    "credit_score",
];
const REQUIRED: &[&str] = &["customer", "invoice", "invoice_date", "due_date", "amount"];

/// How an AR export's columns map to history fields.
pub struct Mapping<'a> {
    /// `key=COLUMN` pairs; unmapped keys use their own name.
    pub maps: &'a [String],
    /// The export's date format (chrono).
    pub date_format: &'a str,
    /// Extra numeric columns used as features.
    pub extra: &'a [String],
}

/// A column mapping kept in a file, so the same ERP export is read the same way every month:
///
/// ```toml
/// customer = "Customer No"
/// invoice = "Document No"
/// invoice_date = "Doc Date"
/// date_format = "%m/%d/%Y"
/// currency = "USD"
/// features = ["Region code"]
/// ```
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// The export's date format.
    pub date_format: Option<String>,
    /// The export's currency.
    pub currency: Option<String>,
    /// Extra numeric feature columns.
    #[serde(default)]
    pub features: Vec<String>,
    customer: Option<String>,
    invoice: Option<String>,
    invoice_date: Option<String>,
    due_date: Option<String>,
    amount: Option<String>,
    paid_date: Option<String>,
    disputed: Option<String>,
    channel: Option<String>,
    country: Option<String>,
    credit_score: Option<String>,
}

impl MappingFile {
    /// A mapping from TOML bytes named `source`.
    pub fn parse(source: &str, bytes: &[u8]) -> Result<MappingFile> {
        let text = crate::input::config_text(source, bytes)?;
        toml::from_str(&text).map_err(|e| AppError::invalid(source, e.to_string()))
    }
    /// The mapped keys as `KEY=COLUMN`.
    pub fn maps(&self) -> Vec<String> {
        let keys = [
            ("customer", &self.customer),
            ("invoice", &self.invoice),
            ("invoice_date", &self.invoice_date),
            ("due_date", &self.due_date),
            ("amount", &self.amount),
            ("paid_date", &self.paid_date),
            ("disputed", &self.disputed),
            ("channel", &self.channel),
            ("country", &self.country),
            ("credit_score", &self.credit_score),
        ];
        keys.iter().filter_map(|(k, v)| v.as_ref().map(|c| format!("{k}={c}"))).collect()
    }
}

/// History rows with their country, and the number of non-positive rows skipped.
type HistoryRows = (Vec<(HistInvoice, Option<String>)>, usize);

/// Reads an AR export with a column mapping.
pub fn read_history(name: &str, bytes: &[u8], mapping: &Mapping<'_>) -> Result<HistoryRows> {
    let (maps, date_format, extra) = (mapping.maps, mapping.date_format, mapping.extra);
    let mut map: HashMap<String, String> = KEYS.iter().map(|k| (k.to_string(), k.to_string())).collect();
    for m in maps {
        let (k, v) = m.split_once('=').ok_or_else(|| AppError::invalid(format!("--map {m}"), "expected KEY=COLUMN"))?;
        if !KEYS.contains(&k) {
            return Err(AppError::invalid(
                format!("--map {m}"),
                format!("unknown key '{k}' (keys: {})", KEYS.join(", ")),
            ));
        }
        map.insert(k.to_string(), v.to_ascii_lowercase());
    }
    let col = |key: &str| map.get(key).cloned().unwrap_or_else(|| key.to_string());
    let required: Vec<String> = REQUIRED.iter().map(|k| col(k)).collect();
    let required: Vec<&str> = required.iter().map(String::as_str).collect();
    let sheet = Sheet::parse(name, bytes, &required)?;
    let date = |l: &crate::input::Line<'_>, key: &str| -> Result<Option<NaiveDate>> {
        let c = col(key);
        match l.opt(&c) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, date_format)
                .map(Some)
                .map_err(|_| l.err(&c, format!("'{v}' is not a date in the format {date_format}"))),
        }
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    for l in sheet.lines() {
        let req = |key: &str| l.req(&col(key)).map(str::to_string);
        let amount_text = req("amount")?;
        let amount = parse_minor(&amount_text.replace(' ', "")).map_err(|e| l.err(&col("amount"), e))?;
        if amount <= 0 {
            skipped += 1; // credit notes and zero lines are not invoices
            continue;
        }
        let invoice_date = date(&l, "invoice_date")?.ok_or_else(|| l.err(&col("invoice_date"), "is empty"))?;
        let due_date = date(&l, "due_date")?.ok_or_else(|| l.err(&col("due_date"), "is empty"))?;
        if due_date < invoice_date {
            return Err(
                l.err(&col("due_date"), format!("due date {due_date} is before the invoice date {invoice_date}"))
            );
        }
        let disputed = match l.opt(&col("disputed")).map(|s| s.to_ascii_lowercase()) {
            None => false,
            // Yes and no as Nordic exports write them too.
            Some(v) if ["1", "yes", "true", "y", "x", "ja", "j", "kyllä", "k"].contains(&v.as_str()) => true,
            Some(v) if ["0", "no", "false", "n", "nej", "nei", "ei", "e"].contains(&v.as_str()) => false,
            Some(v) => return Err(l.err(&col("disputed"), format!("'{v}' is not yes/no"))),
        };
        let credit_score = l
            .opt(&col("credit_score"))
            .map(|v| v.parse::<f64>().map_err(|_| l.err(&col("credit_score"), format!("'{v}' is not a number"))))
            .transpose()?;
        let extra = extra
            .iter()
            .map(|c| {
                let c = c.to_ascii_lowercase();
                l.opt(&c).map_or(Ok(0.0), |v| {
                    v.replace(',', ".").parse::<f64>().map_err(|_| l.err(&c, format!("'{v}' is not a number")))
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        let h = HistInvoice {
            customer: req("customer")?,
            invoice: req("invoice")?,
            invoice_date,
            due_date,
            amount,
            // A prepayment counts as paid on the invoice date.
            paid_date: date(&l, "paid_date")?.map(|p| p.max(invoice_date)),
            disputed,
            channel: l.opt(&col("channel")).map(str::to_string),
            credit_score,
            extra,
        };
        out.push((h, l.opt(&col("country")).map(str::to_string)));
    }
    Ok((out, skipped))
}

/// A history import asked for.
pub struct HistoryImport<'a> {
    /// The export's name.
    pub source: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// A saved mapping (its name and bytes), applied before the options below.
    pub mapping_file: Option<(&'a str, &'a [u8])>,
    /// The export's currency (default: the mapping's, else the creditor's).
    pub currency: Option<Currency>,
    /// `KEY=COLUMN` pairs added to the mapping.
    pub maps: Vec<String>,
    /// The export's date format (default: the mapping's, else %Y-%m-%d).
    pub date_format: Option<String>,
    /// Extra numeric feature columns (default: the mapping's).
    pub features: Vec<String>,
}

/// What a history import did.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryImported {
    /// The source.
    pub file: String,
    /// Rows read.
    pub rows: usize,
    /// New invoices.
    pub created: usize,
    /// Invoices updated.
    pub updated: usize,
    /// Credit notes and zero lines skipped.
    pub skipped_non_positive: usize,
}

impl App<'_> {
    /// Imports an accounts-receivable export for the payment-behaviour model.
    pub fn import_history(&mut self, creditor: &CreditorId, h: &HistoryImport<'_>) -> Result<HistoryImported> {
        let c = self.store.creditor(creditor)?;
        let saved = match h.mapping_file {
            Some((name, bytes)) => MappingFile::parse(name, bytes)?,
            None => MappingFile::default(),
        };
        let mut maps = saved.maps();
        maps.extend(h.maps.iter().cloned());
        let currency = match (h.currency, &saved.currency) {
            (Some(c), _) => c,
            (None, Some(code)) => code.parse().map_err(|e: fordra_core::domain::ParseError| {
                AppError::invalid(format!("{}: currency", h.mapping_file.map_or(h.source, |m| m.0)), e.0)
            })?,
            (None, None) => c.currency,
        };
        let date_format = h.date_format.clone().or(saved.date_format.clone()).unwrap_or_else(|| "%Y-%m-%d".into());
        let features = if h.features.is_empty() { saved.features.clone() } else { h.features.clone() };
        let (rows, skipped) =
            read_history(h.source, h.bytes, &Mapping { maps: &maps, date_format: &date_format, extra: &features })?;
        let rows: Vec<_> = rows.into_iter().map(|(r, country)| (r, currency.code().to_string(), country)).collect();
        let (created, updated) = self.store.import_history(creditor, &rows, &crate::imports::base_name(h.source))?;
        Ok(HistoryImported {
            file: h.source.to_string(),
            rows: rows.len(),
            created,
            updated,
            skipped_non_positive: skipped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// An export is outside input: arbitrary bytes, and arbitrary rows under a valid header,
        /// never panic, and every error names the file and a line.
        #[test]
        fn history_reader_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400), rows in proptest::collection::vec(r#"[-a-zA-Z0-9./,;" ]{0,40}"#, 0..6)) {
            let header = "customer,invoice,invoice_date,due_date,amount,paid_date,disputed,credit_score,Extra\n";
            for (bytes, format) in [(body.clone(), "%Y-%m-%d"), (format!("{header}{}", rows.join("\n")).into_bytes(), "%m/%d/%Y")] {
                let extra = ["Extra".to_string()];
                if let Err(e) = read_history("ar.csv", &bytes, &Mapping { maps: &[], date_format: format, extra: &extra }) {
                    let msg = e.to_string();
                    prop_assert!(msg.contains("ar.csv") && msg.contains("line "), "{}", msg);
                }
            }
        }
    }

    #[test]
    fn export_rows_with_their_own_formats() {
        let p: &[u8] = b"Kund,Faktura,Datum,Forfall,Belopp,Betald,Tvist\nk1,1,1.3.2024,31.3.2024,\"1 234,50\",2.4.2024,nej\nk1,2,1.4.2024,30.4.2024,-100.00,,\nk2,3,5.4.2024,5.5.2024,200,1.4.2024,kanske\n";
        let maps: Vec<String> = [
            "customer=Kund",
            "invoice=Faktura",
            "invoice_date=Datum",
            "due_date=Forfall",
            "amount=Belopp",
            "paid_date=Betald",
            "disputed=Tvist",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let e = read_history("ar.csv", p, &Mapping { maps: &maps, date_format: "%d.%m.%Y", extra: &[] })
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 4: column tvist: 'kanske' is not yes/no"), "{e}");
        let p: &[u8] = b"Kund,Faktura,Datum,Forfall,Belopp,Betald,Tvist\nk1,1,1.3.2024,31.3.2024,\"1 234,50\",2.4.2024,nej\nk1,2,1.4.2024,30.4.2024,-100.00,,\nk2,3,5.4.2024,5.5.2024,200,1.4.2024,ja\n";
        let (rows, skipped) =
            read_history("ar.csv", p, &Mapping { maps: &maps, date_format: "%d.%m.%Y", extra: &[] }).unwrap();
        assert_eq!((rows.len(), skipped), (2, 1), "the credit note is skipped");
        assert_eq!(rows[0].0.amount, 123450);
        assert_eq!(
            rows[1].0.paid_date,
            Some("2024-04-05".parse().unwrap()),
            "paid before the invoice date: counted as paid on it"
        );
        assert!(rows[1].0.disputed);
    }
}
