//! Input from bytes (a file read by the CLI and an HTTP upload are the same call): CSV with
//! errors that name the source, line and column, and configuration text. A file is parsed whole
//! before anything is stored, so a bad row stores nothing.

use crate::{AppError, Result};
use chrono::NaiveDate;
use fordra_core::domain::{Channel, DebtorKind};
use fordra_core::limits;
use fordra_core::money::{parse_minor, Currency};
use fordra_store::{CustomerRow, InvoiceRow};
use std::collections::HashMap;

/// Configuration text (policy, law tables, mapping) from bytes, refused above the size limit or
/// when it is not UTF-8.
pub fn config_text(source: &str, bytes: &[u8]) -> Result<String> {
    if bytes.len() as u64 > limits::MAX_CONFIG_BYTES {
        return Err(AppError::invalid(
            source,
            format!(
                "{} bytes, above the limit of {} bytes for a configuration file",
                bytes.len(),
                limits::MAX_CONFIG_BYTES
            ),
        ));
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| AppError::invalid(source, format!("not UTF-8 text: {e}")))
}

/// Refuses a file above the size limit for one file.
pub fn bounded(source: &str, bytes: &[u8]) -> Result<()> {
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(AppError::invalid(
            source,
            format!("{} bytes, above the limit of {} bytes for one file", bytes.len(), limits::MAX_FILE_BYTES),
        ));
    }
    Ok(())
}

/// A CSV file parsed whole: its header (lower case) and its non-empty rows with line numbers.
pub struct Sheet {
    /// The source name errors give.
    pub name: String,
    headers: HashMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

/// One row of a sheet.
pub struct Line<'a> {
    sheet: &'a Sheet,
    /// Its line in the file.
    pub line: usize,
    rec: &'a csv::StringRecord,
}

impl Sheet {
    /// A sheet from the bytes of a file called `name` (errors name it).
    pub fn parse(name: &str, bytes: &[u8], required: &[&str]) -> Result<Sheet> {
        bounded(name, bytes)?;
        let name = name.to_string();
        // Line numbers from byte offsets: the csv crate counts one line short in CRLF files (and
        // puts a CRLF record's start on the LF before it, hence `<=`).
        let mut newline_at: Vec<usize> = Vec::new();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                newline_at.push(i);
            }
        }
        let line_of = |byte: u64| newline_at.partition_point(|n| (*n as u64) <= byte) + 1;
        let mut rdr = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(bytes);
        let headers: HashMap<String, usize> = rdr
            .headers()
            .map_err(|e| AppError::at(&name, 1, None, e.to_string()))?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches('\u{feff}').to_ascii_lowercase(), i))
            .collect();
        for r in required {
            if !headers.contains_key(*r) {
                return Err(AppError::at(
                    &name,
                    1,
                    None,
                    format!("missing column '{r}' (columns needed: {})", required.join(", ")),
                ));
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| line_of(p.byte())).unwrap_or(0);
                AppError::at(&name, line, None, e.to_string().split(": ").last().unwrap_or("unreadable row"))
            })?;
            let line = rec.position().map(|p| line_of(p.byte())).unwrap_or(0);
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            rows.push((line, rec));
        }
        Ok(Sheet { name, headers, rows })
    }

    /// A sheet from JSON objects (an API request's items): each field a column, item `n`
    /// (counted from one) its "line"; strings, numbers and booleans are read as their text, null as empty. The
    /// same rules as a CSV file apply to every value.
    pub fn from_json(name: &str, items: &[serde_json::Value], required: &[&str]) -> Result<Sheet> {
        let mut headers: HashMap<String, usize> = HashMap::new();
        let mut cells: Vec<Vec<(usize, String)>> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let serde_json::Value::Object(fields) = item else {
                return Err(AppError::at(name, i + 1, None, "is not a JSON object"));
            };
            let mut row = Vec::with_capacity(fields.len());
            for (k, v) in fields {
                let text = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.trim().to_string(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => return Err(AppError::at(name, i + 1, Some(k), "must be a string, number, boolean or null")),
                };
                let next = headers.len();
                let col = *headers.entry(k.to_ascii_lowercase()).or_insert(next);
                row.push((col, text));
            }
            cells.push(row);
        }
        for r in required {
            if let Some(i) = cells.iter().position(|row| !row.iter().any(|(c, _)| headers.get(*r) == Some(c))) {
                return Err(AppError::at(name, i + 1, Some(r), "is missing"));
            }
        }
        let width = headers.len();
        let rows = cells
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let mut rec = vec![String::new(); width];
                for (c, v) in row {
                    if let Some(slot) = rec.get_mut(c) {
                        *slot = v;
                    }
                }
                (i + 1, csv::StringRecord::from(rec))
            })
            .collect();
        Ok(Sheet { name: name.to_string(), headers, rows })
    }

    /// Refuses an id that appears on two rows of the file (a typo must not quietly update the
    /// first row with the second).
    pub fn unique(&self, col: &str) -> Result<()> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for l in self.lines() {
            if let Some(v) = l.opt(col) {
                if let Some(first) = seen.insert(v, l.line) {
                    return Err(l.err(col, format!("'{v}' appears twice (first on line {first})")));
                }
            }
        }
        Ok(())
    }

    /// The rows in file order.
    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> {
        self.rows.iter().map(|(line, rec)| Line { sheet: self, line: *line, rec })
    }
}

impl<'a> Line<'a> {
    /// An error at this row and column.
    pub fn err(&self, col: &str, msg: impl std::fmt::Display) -> AppError {
        AppError::at(&self.sheet.name, self.line, Some(col), msg.to_string())
    }
    /// A cell, None when empty or absent.
    pub fn opt(&self, col: &str) -> Option<&'a str> {
        self.sheet.headers.get(col).and_then(|i| self.rec.get(*i)).filter(|s| !s.is_empty())
    }
    /// A cell that must be there.
    pub fn req(&self, col: &str) -> Result<&'a str> {
        self.opt(col).ok_or_else(|| self.err(col, "is empty"))
    }
    /// Text of at most `max` characters, without control characters.
    pub fn text(&self, col: &str, max: usize) -> Result<Option<&'a str>> {
        self.opt(col).map(|v| limits::text(col, v, max).map_err(|e| self.err(col, e.problem))).transpose()
    }
    /// A required identifier (bounded).
    pub fn id(&self, col: &str) -> Result<&'a str> {
        let v = self.req(col)?;
        limits::id(col, v).map_err(|e| self.err(col, e.problem))
    }
    /// A required ISO date within the bounds.
    pub fn date(&self, col: &str) -> Result<NaiveDate> {
        let v = self.req(col)?;
        let d: NaiveDate = v.parse().map_err(|_| self.err(col, format!("'{v}' is not a date (YYYY-MM-DD)")))?;
        limits::date(col, d).map_err(|e| self.err(col, e.problem))
    }
    /// An optional ISO date within the bounds.
    pub fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>> {
        match self.opt(col) {
            None => Ok(None),
            Some(_) => self.date(col).map(Some),
        }
    }
    /// An amount of at least `min` (and at most the limit).
    pub fn amount(&self, col: &str) -> Result<i64> {
        let v = self.req(col)?;
        let m = parse_minor(v).map_err(|e| self.err(col, e.0))?;
        limits::amount(col, m, i64::MIN).map_err(|e| self.err(col, e.problem))
    }
    /// An optional value parsed by its type.
    pub fn parsed<T: std::str::FromStr<Err = fordra_core::domain::ParseError>>(&self, col: &str) -> Result<Option<T>> {
        self.opt(col).map(|v| v.parse::<T>().map_err(|e| self.err(col, e.0))).transpose()
    }
    /// A yes/no cell (empty: no).
    pub fn flag(&self, col: &str) -> Result<bool> {
        match self.opt(col).map(|s| s.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if ["1", "yes", "true", "y", "ja", "x"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["0", "no", "false", "n", "nej"].contains(&v.as_str()) => Ok(false),
            Some(v) => Err(self.err(col, format!("'{v}' is not yes/no"))),
        }
    }
}

/// Digital mailboxes letters can go to: Kivra (SE), OmaPosti (FI), Digipost (NO), e-Boks (DK).
pub const MAILBOXES: &[&str] = &["kivra", "omaposti", "digipost", "eboks"];

/// The columns a customers file must have.
pub const CUSTOMER_COLUMNS: &[&str] = &["id", "name", "kind"];
/// The columns an invoices file must have.
pub const INVOICE_COLUMNS: &[&str] = &["id", "customer_id", "issue_date", "due_date", "amount"];

/// Customers from CSV bytes named `source`.
pub fn customers(source: &str, bytes: &[u8], default_language: &str) -> Result<Vec<CustomerRow>> {
    customers_of(&Sheet::parse(source, bytes, CUSTOMER_COLUMNS)?, default_language)
}

/// Customers from a sheet (a CSV file or JSON items).
pub fn customers_of(sheet: &Sheet, default_language: &str) -> Result<Vec<CustomerRow>> {
    sheet.unique("id")?;
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
            if !["sv", "fi", "nb", "da", "en"].contains(&language.as_str()) {
                return Err(l.err("language", format!("'{language}' is not one of sv, fi, nb, da, en")));
            }
            let name = l.req("name")?;
            limits::text("name", name, limits::MAX_NAME).map_err(|e| l.err("name", e.problem))?;
            let agreed_on = l.opt_date("reminder_fee_agreed_on")?;
            let agreed = match l.opt("reminder_fee_agreed") {
                None => agreed_on.map(|_| true),
                Some(_) => Some(l.flag("reminder_fee_agreed")?),
            };
            let channel = l.parsed::<Channel>("channel")?;
            if channel.is_some_and(|c| !matches!(c, Channel::Letter | Channel::Email | Channel::Sms)) {
                return Err(l.err("channel", "a debtor may prefer letter, email or sms"));
            }
            let mailbox = l.opt("mailbox").map(|m| m.to_ascii_lowercase());
            if let Some(m) = mailbox.as_deref().filter(|m| !MAILBOXES.contains(m)) {
                return Err(l.err("mailbox", format!("'{m}' is not one of {}", MAILBOXES.join(", "))));
            }
            let consent = |col: &str| -> Result<Option<bool>> {
                match l.opt(col) {
                    None => Ok(None),
                    Some(_) => l.flag(col).map(Some),
                }
            };
            Ok(CustomerRow {
                channel,
                email_consent: consent("email_consent")?,
                sms_consent: consent("sms_consent")?,
                mailbox,
                reminder_fee_agreed: agreed,
                reminder_fee_agreed_on: agreed_on,
                id: l.id("id")?.to_string(),
                name: name.to_string(),
                kind: l.parsed::<DebtorKind>("kind")?.ok_or_else(|| l.err("kind", "is empty"))?,
                language,
                email: l.text("email", 254)?.map(str::to_string),
                phone: l.text("phone", 32)?.map(str::to_string),
                address: l.text("address", limits::MAX_NAME)?.map(str::to_string),
                org_no: l.text("org_no", 32)?.map(str::to_string),
                credit_score: score,
                credit_score_date: l.opt_date("credit_score_date")?,
                vip: l.flag("vip")?,
                segment: None,
                segment_reason: None,
            })
        })
        .collect()
}

/// A whole number from a cell, with an error in words.
pub struct ParsedInt(pub i32);
impl std::str::FromStr for ParsedInt {
    type Err = fordra_core::domain::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(ParsedInt).map_err(|_| format!("'{s}' is not a whole number").into())
    }
}

/// Invoices from CSV bytes named `source`.
pub fn invoices(source: &str, bytes: &[u8], default_currency: Currency) -> Result<Vec<InvoiceRow>> {
    invoices_of(&Sheet::parse(source, bytes, INVOICE_COLUMNS)?, default_currency)
}

/// Invoices from a sheet (a CSV file or JSON items).
pub fn invoices_of(sheet: &Sheet, default_currency: Currency) -> Result<Vec<InvoiceRow>> {
    sheet.unique("id")?;
    sheet
        .lines()
        .map(|l| {
            let amount = l.amount("amount")?;
            if amount <= 0 {
                return Err(l.err("amount", "must be positive (credit notes are not imported as invoices)"));
            }
            let due = l.date("due_date")?;
            let issue = l.date("issue_date")?;
            let paid = l.opt_date("paid_date")?;
            if paid.is_some_and(|p| p < issue) {
                return Err(l.err("paid_date", "is before the invoice date"));
            }
            let due_date_agreed = l.opt("due_date_agreed").is_none() || l.flag("due_date_agreed")?;
            let demand_date = l.opt_date("demand_date")?;
            if demand_date.is_some_and(|d| d < issue) {
                return Err(l.err("demand_date", "is before the invoice date"));
            }
            if demand_date.is_some() && due_date_agreed {
                return Err(
                    l.err("demand_date", "only for an invoice whose due date was not agreed (due_date_agreed = no)")
                );
            }
            Ok(InvoiceRow {
                due_date_agreed,
                demand_date,
                line: l.line,
                id: l.id("id")?.to_string(),
                customer_id: l.id("customer_id")?.to_string(),
                invoice_number: l
                    .text("invoice_number", limits::MAX_ID)?
                    .or(l.opt("id"))
                    .unwrap_or_default()
                    .to_string(),
                issue_date: issue,
                due_date: due,
                currency: l.parsed("currency")?.unwrap_or(default_currency),
                amount,
                paid_date: paid,
                reference: l.text("reference", limits::MAX_REFERENCE + 10)?.map(str::to_string),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P: &str = "in.csv";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Arbitrary bytes, and arbitrary rows under a valid header: never a panic, and every
        /// error names the file and a line.
        #[test]
        fn readers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), rows in proptest::collection::vec(r#"[-a-z0-9.,;" ]{0,40}"#, 0..6)) {
            for bytes in [body.clone(), format!("id,name,kind,customer_id,issue_date,due_date,amount,invoice_id,date,credit_score,vip,paid_date\n{}", rows.join("\n")).into_bytes()] {
                let b: &[u8] = &bytes;
                for r in [customers(P, b, "sv").err(), invoices(P, b, Currency::SEK).err()].into_iter().flatten() {
                    let msg = r.to_string();
                    prop_assert!(msg.contains("in.csv"), "{}", msg);
                    prop_assert!(msg.contains("line "), "{}", msg);
                }
            }
        }
    }

    /// Issue #8 case 18: line numbers were one too low in CRLF files; a customers file with one
    /// id twice said "2 created".
    #[test]
    fn crlf_line_numbers_and_duplicate_ids() {
        let b: &[u8] = b"id,customer_id,issue_date,due_date,amount\r\n1,c,2024-01-01,2024-01-31,10\r\n2,c,2024-01-01,2024-01-31,1x\r\n";
        let e = invoices(P, b, Currency::SEK).unwrap_err().to_string();
        assert!(e.ends_with("in.csv: line 3: column amount: '1x' is not an amount (expected e.g. 1234.50)"), "{e}");
        let b: &[u8] = b"id,name,kind\r\nk1,A,consumer\r\nk2,B,consumer\r\nk1,C,business\r\n";
        let e = customers(P, b, "sv").unwrap_err().to_string();
        assert!(e.ends_with("in.csv: line 4: column id: 'k1' appears twice (first on line 2)"), "{e}");
    }

    /// Issue #8 cases 8, 10 and 18: absurd amounts and dates, NUL bytes and huge ids are refused
    /// at the edge, so both databases see the same (bounded) values.
    #[test]
    fn values_out_of_bounds_are_refused() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"id,customer_id,issue_date,due_date,amount\n1,c,2024-01-01,2024-01-31,92233720368547758.07\n",
                "line 2: column amount: 92233720368547758.07 is above the limit 10000000000.00",
            ),
            (
                b"id,customer_id,issue_date,due_date,amount\n1,c,0001-01-01,2024-01-31,10\n",
                "line 2: column issue_date: 0001-01-01 is outside 2000-01-01..2099-12-31",
            ),
            (
                b"id,customer_id,issue_date,due_date,amount\n1,c,2024-01-01,9999-01-31,10\n",
                "line 2: column due_date: 9999-01-31 is outside 2000-01-01..2099-12-31",
            ),
            (
                b"id,customer_id,issue_date,due_date,amount\na\x00b,c,2024-01-01,2024-01-31,10\n",
                "line 2: column id: contains the control character U+0000",
            ),
            (b"id,customer_id,issue_date,due_date,amount\n1,c,2024-01-01,2024-01-31,10\n", ""),
        ];
        for (bytes, want) in cases {
            let b: &[u8] = bytes;
            match invoices(P, b, Currency::SEK) {
                Ok(_) => assert!(want.is_empty()),
                Err(e) => assert!(e.to_string().ends_with(want) && !want.is_empty(), "{e}"),
            }
        }
        let long = format!(
            "id,customer_id,issue_date,due_date,amount\n{},c,2024-01-01,2024-01-31,10\n",
            "x".repeat(1_000_000)
        );
        let b: &[u8] = long.as_bytes();
        assert!(invoices(P, b, Currency::SEK)
            .unwrap_err()
            .to_string()
            .ends_with("line 2: column id: 1000000 characters, at most 64 allowed"));
    }

    #[test]
    fn good_rows_parse() {
        let b: &[u8] =
            b"id,customer_id,issue_date,due_date,amount,paid_date\n1,c,2024-01-01,2024-01-31,\"1 234,50\",\n2,c,2024-01-01,2024-01-31,10,2024-02-03\n";
        let rows = invoices(P, b, Currency::SEK).unwrap();
        assert_eq!(rows[0].amount, 123450);
        assert_eq!(rows[0].invoice_number, "1");
        assert_eq!(rows[1].paid_date, Some("2024-02-03".parse().unwrap()));
        assert_eq!(rows[1].line, 3);
    }
}
