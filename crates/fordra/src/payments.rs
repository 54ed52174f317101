//! `fordra payments …` and `fordra ref …`: bank files in, the unmatched queue, the ERP payment
//! report, and payment references — parsed here, done by `fordra_app::bank` and
//! `fordra_app::law`.

use crate::{print_json, read_file, say, source, table};
use anyhow::{anyhow, Context, Result};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use fordra_app::bank::{BankFile, BankFormat, PaymentOut, PaymentReportLine};
use fordra_app::{App, ClaimId, CreditorId};
use fordra_core::reference::Scheme;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum PaymentsCmd {
    /// Import a bank file (BgMax, camt.054, camt.053, KTL or CSV; detected when --format is not given).
    Import {
        file: PathBuf,
        #[arg(long)]
        format: Option<Format>,
        /// Match and show, book nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Payments no claim could be found for, with ranked suggestions.
    Unmatched,
    /// Book an unmatched payment to a claim.
    Assign { payment: String, claim: String },
    /// Write a BgMax file that pays a claim in full on a day, as the bank would send it (to try
    /// an integration: `fordra payments import` or `POST …/bank-files`).
    TestFile {
        /// The claim to pay.
        claim: String,
        /// The payment day (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// What was received and allocated per invoice in a period (for the ERP).
    Report {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Subcommand)]
pub enum RefCmd {
    /// Make a payment reference from a base number.
    Make {
        #[arg(long)]
        scheme: Scheme,
        base: String,
    },
    /// In which schemes a reference is valid (exit status 1 if none).
    Check { reference: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Bgmax,
    Camt054,
    Camt053,
    Ktl,
    Csv,
}

impl From<Format> for BankFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Bgmax => BankFormat::Bgmax,
            Format::Camt054 => BankFormat::Camt054,
            Format::Camt053 => BankFormat::Camt053,
            Format::Ktl => BankFormat::Ktl,
            Format::Csv => BankFormat::Csv,
        }
    }
}

/// How many payment rows the table shows (JSON lists all).
const SHOW_ROWS: usize = 200;

pub fn import(
    app: &mut App<'_>,
    cid: &CreditorId,
    file: &Path,
    format: Option<BankFormat>,
    dry_run: bool,
    json: bool,
) -> Result<()> {
    let bytes = read_file(file)?;
    let name = source(file);
    // Results are written as they are known (JSON, to a spool that reaches stdout only if the
    // import succeeds) or the first rows kept (table): a file of a million payments is never held
    // whole, and a refused file prints no half an answer.
    let mut w = std::io::BufWriter::new(tempfile::spooled_tempfile(8 << 20));
    let mut shown: Vec<PaymentOut> = Vec::new();
    let mut n = 0usize;
    let mut each = |p: PaymentOut| -> fordra_app::Result<()> {
        if json {
            let sep = if n == 0 { "\n" } else { ",\n" };
            let text = serde_json::to_string(&p).map_err(|e| fordra_app::AppError::Storage(e.to_string()))?;
            write!(w, "{sep}{text}").map_err(|e| fordra_app::AppError::Storage(e.to_string()))?;
        } else if shown.len() < SHOW_ROWS {
            shown.push(p);
        }
        n += 1;
        Ok(())
    };
    let r = crate::progress::working(&format!("importing {name}"), json, || {
        app.import_bank_file(cid, BankFile { source: &name, bytes: &bytes, format, dry_run }, &mut each)
    })?;
    if json {
        // The summary's fields after the payments, as one object.
        let summary = serde_json::to_value(&r)?;
        let mut head = serde_json::Map::new();
        let mut tail = serde_json::Map::new();
        if let serde_json::Value::Object(o) = summary {
            for (k, v) in o {
                if matches!(k.as_str(), "file" | "format" | "dry_run") {
                    head.insert(k, v);
                } else {
                    tail.insert(k, v);
                }
            }
        }
        let head = serde_json::to_string(&serde_json::Value::Object(head))?;
        let tail = serde_json::to_string(&serde_json::Value::Object(tail))?;
        let mut out = std::io::stdout().lock();
        write!(out, "{}, \"payments\": [", &head[..head.len() - 1])?;
        copy_out(w, &mut out)?;
        writeln!(out, "\n], {}", &tail[1..])?;
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} ({}){}: {n} items, {}; {} matched, {} partly matched, {} unmatched, {} refused, {} already imported, {} reversals{}",
        r.file,
        r.format.name(),
        if dry_run { " — dry run, nothing booked" } else { "" },
        if r.totals.is_empty() { "nothing new".to_string() } else { r.totals.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ") },
        r.matched,
        r.partly_matched,
        r.unmatched,
        r.refused,
        r.duplicates,
        r.reversals,
        if r.file_seen_before { " (this file was imported before: nothing booked)" } else { "" }
    )?;
    let rows = shown
        .iter()
        .map(|p| {
            vec![
                p.line.to_string(),
                p.reference.clone().unwrap_or_default(),
                p.amount.to_string(),
                p.date.to_string(),
                p.payer.clone().unwrap_or_default(),
                p.claims.iter().map(|c| format!("{} {}", c.claim, c.amount)).collect::<Vec<_>>().join(", "),
                p.status.to_string(),
                p.how.clone(),
            ]
        })
        .collect();
    writeln!(out, "{}", table(&["line", "reference", "amount", "date", "payer", "claim", "status", "why"], rows))?;
    if n > SHOW_ROWS {
        writeln!(out, "… {} more (use --json for all)", n - SHOW_ROWS)?;
    }
    let by_status: Vec<String> =
        r.by_status.iter().map(|t| format!("{} {}: {} ({})", t.count, t.status, t.amount, t.currency)).collect();
    writeln!(
        out,
        "In the file: {}; {}",
        r.file_total.iter().map(|(c, v)| format!("{v} {c}")).collect::<Vec<_>>().join(", "),
        by_status.join(", ")
    )?;
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

fn copy_out(w: std::io::BufWriter<tempfile::SpooledTempFile>, out: &mut dyn Write) -> Result<()> {
    use std::io::Seek;
    let mut spool = w.into_inner().map_err(|e| anyhow!("{e}"))?;
    spool.rewind()?;
    std::io::copy(&mut spool, out)?;
    Ok(())
}

/// A text cell for a spreadsheet: a value starting with = + - @ TAB or CR would be read as a
/// formula (=HYPERLINK(…), =cmd|…), so it gets a leading apostrophe (OWASP's CSV injection rule).
pub fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

pub fn run(app: &mut App<'_>, cid: &CreditorId, cmd: PaymentsCmd, json: bool) -> Result<()> {
    match cmd {
        PaymentsCmd::Import { file, format, dry_run } => {
            import(app, cid, &file, format.map(BankFormat::from), dry_run, json)
        }
        PaymentsCmd::TestFile { claim, date, out } => test_file(app, cid, &claim, date, &out, json),
        PaymentsCmd::Unmatched => {
            let q = app.unmatched_payments(cid)?;
            if json {
                return print_json(&q);
            }
            print_unmatched(&q);
            Ok(())
        }
        PaymentsCmd::Assign { payment, claim } => {
            let r = app.assign_payment(cid, &payment, &ClaimId(claim.clone()))?;
            if json {
                return print_json(&r);
            }
            println!("Payment {payment} ({} {}) booked to {claim}: {}", r.amount, r.currency, r.status);
            Ok(())
        }
        PaymentsCmd::Report { from, to, csv } => {
            let rows = app.payment_report(cid, from, to)?;
            match (json, csv) {
                (true, _) => print_json(&rows),
                (false, true) => print_report_csv(&rows),
                (false, false) => {
                    print_report(&rows);
                    Ok(())
                }
            }
        }
    }
}

fn print_unmatched(q: &[PaymentOut]) {
    println!("{} unmatched payments", q.len());
    let rows = q
        .iter()
        .map(|p| {
            vec![
                p.key.clone(),
                p.date.to_string(),
                format!("{} {}", p.amount, p.currency),
                p.reference.clone().unwrap_or_default(),
                p.payer.clone().unwrap_or_default(),
                p.how.clone(),
                p.suggestions
                    .iter()
                    .map(|s| format!("{} ({}: {})", s.claim, s.score, s.reason))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]
        })
        .collect();
    println!("{}", table(&["payment", "date", "amount", "reference", "payer", "why unmatched", "suggestions"], rows));
    println!("Book one with `fordra payments assign PAYMENT CLAIM`.");
}

/// The payment report as CSV, for the ERP.
fn print_report_csv(rows: &[PaymentReportLine]) -> Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record([
        "date",
        "payment",
        "invoice_id",
        "invoice_number",
        "customer_id",
        "currency",
        "amount",
        "principal",
        "interest",
        "fees",
        "credit",
        "reversed",
    ])?;
    for r in rows {
        w.write_record([
            r.date.to_string(),
            cell(&r.payment),
            cell(&r.invoice),
            cell(&r.invoice_number),
            cell(&r.customer),
            cell(&r.currency),
            r.amount.to_string(),
            r.principal.to_string(),
            r.interest.to_string(),
            r.fees.to_string(),
            r.credit.to_string(),
            r.reversed.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn print_report(rows: &[PaymentReportLine]) {
    let t = rows
        .iter()
        .map(|r| {
            vec![
                r.date.to_string(),
                r.payment.clone(),
                r.invoice.clone(),
                r.customer.clone(),
                r.amount.to_string(),
                r.principal.to_string(),
                r.interest.to_string(),
                r.fees.to_string(),
                r.credit.to_string(),
                r.reversed.to_string(),
            ]
        })
        .collect();
    println!(
        "{}",
        table(
            &[
                "date",
                "payment",
                "invoice",
                "customer",
                "amount",
                "principal",
                "interest",
                "fees",
                "credit",
                "reversed"
            ],
            t
        )
    );
}

pub fn reference_cmd(cmd: RefCmd, json: bool) -> Result<i32> {
    match cmd {
        RefCmd::Make { scheme, base } => {
            let r = fordra_app::law::make_reference(scheme, &base).map_err(crate::cli_error)?;
            say(json, &r, |r| r.reference.clone())?;
            Ok(0)
        }
        RefCmd::Check { reference } => {
            let r = fordra_app::law::check_reference(&reference);
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else if !r.valid {
                println!(
                    "{reference}: not valid in any scheme ({})",
                    Scheme::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
                );
            } else {
                println!("{reference}: valid as {}", r.schemes.join(", "));
            }
            Ok(if r.valid { 0 } else { 1 })
        }
    }
}

/// A BgMax file with one payment: the claim's amount due on `date` (balance and interest accrued
/// to the day) with its reference, to the creditor's bankgiro.
fn test_file(
    app: &mut App<'_>,
    cid: &CreditorId,
    claim: &str,
    date: Option<NaiveDate>,
    out: &Path,
    json: bool,
) -> Result<()> {
    use fordra_formats::bgmax;
    let date = date.unwrap_or(app.today);
    let view = app.claim_as_of(cid, &ClaimId(claim.to_string()), date)?;
    let amount = view.balances.total.0 + view.balances.interest_accrued_not_posted.0;
    let reference = view.reference.clone().ok_or_else(|| anyhow!("claim {claim} has no payment reference"))?;
    let bankgiro = app.show_creditor(cid)?.bankgiro.unwrap_or_default().replace('-', "");
    let file = bgmax::BgMaxFile {
        version: "01".into(),
        created: format!("{}000000000000", date.format("%Y%m%d")),
        test: false,
        deposits: vec![bgmax::Deposit {
            line: 0,
            payee_bankgiro: bankgiro,
            payee_plusgiro: None,
            currency: view.currency.to_string(),
            account: String::new(),
            payment_date: date,
            serial: "00001".into(),
            amount,
            count: 1,
            kind: String::new(),
            payments: vec![bgmax::BgPayment {
                record: 20,
                payer_bankgiro: "9912346".into(),
                reference: reference.clone(),
                amount,
                reference_code: 2,
                channel: 1,
                serial: format!("{:012}", date.format("%Y%m%d").to_string().parse::<u64>().unwrap_or(0)),
                ..Default::default()
            }],
        }],
        warnings: vec![],
    };
    std::fs::write(out, bgmax::write(&file)).with_context(|| format!("writing {}", out.display()))?;
    #[derive(serde::Serialize)]
    struct Written {
        file: String,
        claim: String,
        reference: String,
        amount: fordra_core::money::Minor,
        date: NaiveDate,
    }
    let w = Written {
        file: out.display().to_string(),
        claim: claim.to_string(),
        reference,
        amount: fordra_core::money::Minor(amount),
        date,
    };
    say(json, &w, |w| {
        format!(
            "Wrote {}: {} paid on {} with reference {} for claim {}",
            w.file, w.amount, w.date, w.reference, w.claim
        )
    })
}
