//! CSV input with errors that name the file, line and column. A file is parsed whole before
//! anything is stored, so a bad row stores nothing.

use anyhow::{anyhow, bail, Result};
use chrono::NaiveDate;
use fordra_core::domain::DebtorKind;
use fordra_core::money::{parse_minor, Currency};
use fordra_store::{CustomerRow, InvoiceRow};
use std::collections::HashMap;
use std::path::Path;

pub struct Sheet {
    pub name: String,
    headers: HashMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

pub struct Line<'a> {
    sheet: &'a Sheet,
    pub line: usize,
    rec: &'a csv::StringRecord,
}

impl Sheet {
    pub fn read(path: &Path, required: &[&str]) -> Result<Sheet> {
        let name = path.display().to_string();
        let mut rdr = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_path(path).map_err(|e| anyhow!("{name}: {e}"))?;
        let headers: HashMap<String, usize> = rdr
            .headers()
            .map_err(|e| anyhow!("{name}: line 1: {e}"))?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches('\u{feff}').to_ascii_lowercase(), i))
            .collect();
        for r in required {
            if !headers.contains_key(*r) {
                bail!("{name}: line 1: missing column '{r}' (columns needed: {})", required.join(", "));
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                anyhow!("{name}: line {line}: {}", e.to_string().split(": ").last().unwrap_or("unreadable row"))
            })?;
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            rows.push((line, rec));
        }
        Ok(Sheet { name, headers, rows })
    }

    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> {
        self.rows.iter().map(|(line, rec)| Line { sheet: self, line: *line, rec })
    }
}

impl Line<'_> {
    fn err(&self, col: &str, msg: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("{}: line {}: column {col}: {msg}", self.sheet.name, self.line)
    }
    pub fn opt(&self, col: &str) -> Option<&str> {
        self.sheet.headers.get(col).and_then(|i| self.rec.get(*i)).filter(|s| !s.is_empty())
    }
    pub fn req(&self, col: &str) -> Result<&str> {
        self.opt(col).ok_or_else(|| self.err(col, "is empty"))
    }
    pub fn date(&self, col: &str) -> Result<NaiveDate> {
        let v = self.req(col)?;
        v.parse().map_err(|_| self.err(col, format!("'{v}' is not a date (YYYY-MM-DD)")))
    }
    pub fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>> {
        self.opt(col).map(|v| v.parse().map_err(|_| self.err(col, format!("'{v}' is not a date (YYYY-MM-DD)")))).transpose()
    }
    pub fn amount(&self, col: &str) -> Result<i64> {
        let v = self.req(col)?;
        parse_minor(v).map_err(|e| self.err(col, e))
    }
    pub fn parsed<T: std::str::FromStr<Err = String>>(&self, col: &str) -> Result<Option<T>> {
        self.opt(col).map(|v| v.parse::<T>().map_err(|e| self.err(col, e))).transpose()
    }
    pub fn flag(&self, col: &str) -> Result<bool> {
        match self.opt(col).map(|s| s.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if ["1", "yes", "true", "y", "ja", "x"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["0", "no", "false", "n", "nej"].contains(&v.as_str()) => Ok(false),
            Some(v) => Err(self.err(col, format!("'{v}' is not yes/no"))),
        }
    }
}

pub const CUSTOMER_COLUMNS: &[&str] = &["id", "name", "kind"];
pub const INVOICE_COLUMNS: &[&str] = &["id", "customer_id", "issue_date", "due_date", "amount"];

pub fn customers(path: &Path, default_language: &str) -> Result<Vec<CustomerRow>> {
    let sheet = Sheet::read(path, CUSTOMER_COLUMNS)?;
    sheet
        .lines()
        .map(|l| {
            let score = l.parsed::<ParsedInt>("credit_score")?.map(|s| s.0);
            if let Some(s) = score {
                if !(0..=100).contains(&s) {
                    return Err(l.err("credit_score", format!("{s} is outside 0–100")));
                }
            }
            let language = l.opt("language").unwrap_or(default_language).to_ascii_lowercase();
            if !["sv", "fi", "nb", "en"].contains(&language.as_str()) {
                return Err(l.err("language", format!("'{language}' is not one of sv, fi, nb, en")));
            }
            Ok(CustomerRow {
                id: l.req("id")?.to_string(),
                name: l.req("name")?.to_string(),
                kind: l.parsed::<DebtorKind>("kind")?.ok_or_else(|| l.err("kind", "is empty"))?,
                language,
                email: l.opt("email").map(str::to_string),
                phone: l.opt("phone").map(str::to_string),
                address: l.opt("address").map(str::to_string),
                org_no: l.opt("org_no").map(str::to_string),
                credit_score: score,
                credit_score_date: l.opt_date("credit_score_date")?,
                vip: l.flag("vip")?,
                segment: None,
                segment_reason: None,
            })
        })
        .collect()
}

pub struct ParsedInt(pub i32);
impl std::str::FromStr for ParsedInt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse().map(ParsedInt).map_err(|_| format!("'{s}' is not a whole number"))
    }
}

pub fn invoices(path: &Path, default_currency: Currency) -> Result<Vec<InvoiceRow>> {
    let sheet = Sheet::read(path, INVOICE_COLUMNS)?;
    sheet
        .lines()
        .map(|l| {
            let amount = l.amount("amount")?;
            if amount <= 0 {
                return Err(l.err("amount", "must be positive (credit notes are not imported as invoices)"));
            }
            let issue = l.date("issue_date")?;
            let paid = l.opt_date("paid_date")?;
            if paid.is_some_and(|p| p < issue) {
                return Err(l.err("paid_date", "is before the invoice date"));
            }
            Ok(InvoiceRow {
                line: l.line,
                id: l.req("id")?.to_string(),
                customer_id: l.req("customer_id")?.to_string(),
                invoice_number: l.opt("invoice_number").or(l.opt("id")).unwrap_or_default().to_string(),
                issue_date: issue,
                due_date: l.date("due_date")?,
                currency: l.parsed("currency")?.unwrap_or(default_currency),
                amount,
                paid_date: paid,
                reference: l.opt("reference").map(str::to_string),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.csv");
        std::fs::write(&p, bytes).unwrap();
        (dir, p)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Arbitrary bytes, and arbitrary rows under a valid header: never a panic, and every
        /// error names the file and a line.
        #[test]
        fn readers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), rows in proptest::collection::vec(r#"[-a-z0-9.,;" ]{0,40}"#, 0..6)) {
            for bytes in [body.clone(), format!("id,name,kind,customer_id,issue_date,due_date,amount,invoice_id,date,credit_score,vip,paid_date\n{}", rows.join("\n")).into_bytes()] {
                let (_d, p) = file(&bytes);
                for r in [customers(&p, "sv").err(), invoices(&p, Currency::SEK).err()].into_iter().flatten() {
                    let msg = r.to_string();
                    prop_assert!(msg.contains("in.csv"), "{}", msg);
                    prop_assert!(msg.contains("line "), "{}", msg);
                }
            }
        }
    }

    #[test]
    fn good_rows_parse() {
        let (_d, p) =
            file(b"id,customer_id,issue_date,due_date,amount,paid_date\n1,c,2024-01-01,2024-01-31,\"1 234,50\",\n2,c,2024-01-01,2024-01-31,10,2024-02-03\n");
        let rows = invoices(&p, Currency::SEK).unwrap();
        assert_eq!(rows[0].amount, 123450);
        assert_eq!(rows[0].invoice_number, "1");
        assert_eq!(rows[1].paid_date, Some("2024-02-03".parse().unwrap()));
        assert_eq!(rows[1].line, 3);
    }
}
