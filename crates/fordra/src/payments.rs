//! `fordra payments …` and `fordra ref …`: bank files in, matched to claims, the unmatched
//! queue, the ERP payment report, and payment references.

use crate::{m, table};
use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use fordra_core::law::LawBook;
use fordra_core::matching::Incoming;
use fordra_core::reference::{self, Scheme};
use fordra_formats::{bgmax, camt, ktl};
use fordra_store::{BankImport, Reversal, ReversalTarget, Store};
use serde_json::json;
use std::collections::BTreeMap;
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

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Bgmax => "bgmax",
            Format::Camt054 => "camt054",
            Format::Camt053 => "camt053",
            Format::Ktl => "ktl",
            Format::Csv => "csv",
        }
    }
}

/// Recognises a file by its first bytes.
pub fn detect(bytes: &[u8]) -> Format {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_string();
    let first = head.lines().next().unwrap_or("").trim_end_matches('\r');
    if first.starts_with("01BGMAX") {
        Format::Bgmax
    } else if head.contains("camt.053") {
        Format::Camt053
    } else if head.trim_start().starts_with('<') {
        Format::Camt054
    } else if first.starts_with('0') && first.chars().count() == 90 {
        Format::Ktl
    } else {
        Format::Csv
    }
}

/// FNV-1a over the file: identifies a file already imported (each payment's bank key is what
/// keeps bookings single; this only lets the report say "seen before"). Hand-written because a
/// cryptographic hash crate would be a dependency for a non-security purpose.
fn checksum(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}-{}", bytes.len())
}

pub struct Parsed {
    pub incoming: Vec<Incoming>,
    pub reversals: Vec<Reversal>,
    pub notes: Vec<String>,
}

pub fn parse_file(path: &Path, format: Format, default_currency: &str) -> Result<Parsed> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("reading {name}"))?;
    let mut out = Parsed { incoming: vec![], reversals: vec![], notes: vec![] };
    match format {
        Format::Bgmax => {
            let f = bgmax::parse(&bytes).map_err(|e| anyhow!("{name}: {e}"))?;
            out.notes.extend(f.warnings.iter().map(|w| format!("{name}: {w}")));
            for d in &f.deposits {
                for (n, p) in d.payments.iter().enumerate() {
                    let key = format!("bgmax:{}:{}:{}:{}:{}", d.payee_bankgiro, d.payment_date, d.serial, p.serial, n + 1);
                    if p.record == 21 {
                        out.notes.push(format!(
                            "{name}: line {}: deduction (record 21) of {} with reference {} is not booked: review it against your credit notes",
                            p.line,
                            m(p.amount),
                            p.reference
                        ));
                        continue;
                    }
                    let mut refs: Vec<String> = Some(p.reference.clone()).filter(|r| !r.is_empty()).into_iter().collect();
                    for x in &p.extra_references {
                        if x.negative {
                            out.notes.push(format!("{name}: line {}: negative extra reference {} is not booked", x.line, x.reference));
                        } else {
                            refs.push(x.reference.clone());
                        }
                    }
                    out.incoming.push(Incoming {
                        key,
                        date: d.payment_date,
                        amount: p.amount,
                        currency: d.currency.clone(),
                        references: refs,
                        text: p.info.clone(),
                        payer: p.name.clone(),
                        claim: None,
                        line: p.line,
                    });
                }
            }
        }
        Format::Camt053 | Format::Camt054 => {
            let f = camt::parse(&bytes).map_err(|e| anyhow!("{name}: {e}"))?;
            for a in &f.accounts {
                let acct = a.iban.clone().or(a.other_id.clone()).unwrap_or_default();
                for e in &a.entries {
                    let date = e.booking_date.or(e.value_date).ok_or_else(|| anyhow!("{name}: line {}: entry without booking date", e.line))?;
                    if !e.status.is_empty() && e.status != "BOOK" {
                        out.notes.push(format!("{name}: line {}: entry with status {} is not booked yet: skipped", e.line, e.status));
                        continue;
                    }
                    let entry_key = e.account_servicer_ref.clone().unwrap_or_else(|| format!("{date}:{}", e.line));
                    let txs: Vec<camt::CamtTx> =
                        if e.transactions.is_empty() { vec![camt::CamtTx { line: e.line, ..Default::default() }] } else { e.transactions.clone() };
                    for (n, t) in txs.iter().enumerate() {
                        let tx_ref = t.account_servicer_ref.clone().or(t.end_to_end_id.clone()).unwrap_or_else(|| format!("{entry_key}/{}", n + 1));
                        let key = format!("camt:{acct}:{tx_ref}");
                        if e.reversal {
                            out.reversals.push(Reversal {
                                key: format!("camt:{acct}:reversal:{entry_key}:{}", n + 1),
                                line: t.line,
                                date,
                                target: ReversalTarget::Key(key),
                            });
                            continue;
                        }
                        if !e.credit {
                            continue;
                        }
                        let amount = t.amount.unwrap_or(if txs.len() == 1 { e.amount } else { 0 });
                        out.incoming.push(Incoming {
                            key,
                            date,
                            amount,
                            currency: e.currency.clone(),
                            references: t.references.clone(),
                            text: t.text.clone(),
                            payer: t.debtor_name.clone(),
                            claim: None,
                            line: t.line,
                        });
                    }
                }
            }
        }
        Format::Ktl => {
            let f = ktl::parse(&bytes).map_err(|e| anyhow!("{name}: {e}"))?;
            for b in &f.batches {
                for p in &b.payments {
                    let key = format!("ktl:{}", p.archive_id);
                    if p.correction {
                        out.reversals.push(Reversal {
                            key,
                            line: p.line,
                            date: p.payment_date,
                            target: ReversalTarget::ReferenceAmount(p.reference.clone(), -p.amount),
                        });
                    } else {
                        out.incoming.push(Incoming {
                            key,
                            date: p.payment_date,
                            amount: p.amount,
                            currency: "EUR".into(),
                            references: vec![p.reference.clone()].into_iter().filter(|r| !r.is_empty()).collect(),
                            text: vec![],
                            payer: Some(p.payer.clone()).filter(|x| !x.is_empty()),
                            claim: None,
                            line: p.line,
                        });
                    }
                }
            }
        }
        Format::Csv => {
            let sheet = crate::csvin::Sheet::read(path, &["id", "date", "amount"])?;
            for l in sheet.lines() {
                let amount = l.amount("amount")?;
                if amount <= 0 {
                    bail!("{name}: line {}: column amount: must be positive", l.line);
                }
                out.incoming.push(Incoming {
                    key: format!("csv:{}", l.req("id")?),
                    date: l.date("date")?,
                    amount,
                    currency: l.opt("currency").unwrap_or(default_currency).to_ascii_uppercase(),
                    references: l.opt("reference").map(str::to_string).into_iter().collect(),
                    text: l.opt("text").map(str::to_string).into_iter().collect(),
                    payer: l.opt("payer").map(str::to_string),
                    claim: l.opt("invoice_id").map(str::to_string),
                    line: l.line,
                });
            }
        }
    }
    Ok(out)
}

pub fn import(store: &mut Store, law: &LawBook, cid: &str, file: &Path, format: Option<Format>, dry_run: bool, json: bool) -> Result<()> {
    let c = store.creditor(cid)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let format = format.unwrap_or_else(|| detect(&bytes));
    let parsed = parse_file(file, format, c.currency.code())?;
    let source = file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let r = store.import_bank_payments(cid, law, format.name(), &source, &checksum(&bytes), &parsed.incoming, &parsed.reversals, dry_run)?;
    print_import(file, format, &r, &parsed.notes, dry_run, json)
}

fn print_import(file: &Path, format: Format, r: &BankImport, notes: &[String], dry_run: bool, json: bool) -> Result<()> {
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for p in r.payments.iter().filter(|p| p.status != "duplicate" && p.status != "reversal") {
        *totals.entry(p.currency.clone()).or_default() += p.amount;
    }
    let count = |f: &dyn Fn(&str) -> bool| r.payments.iter().filter(|p| f(&p.status)).count();
    let matched = count(&|s| s == "matched" || s == "overpaid");
    let partly = count(&|s| s == "partly matched");
    let unmatched = count(&|s| s == "unmatched");
    let duplicates = count(&|s| s == "duplicate");
    let reversals = count(&|s| s == "reversal");
    if json {
        let list: Vec<_> = r
            .payments
            .iter()
            .map(|p| json!({"key": p.key, "line": p.line, "reference": p.reference, "amount": m(p.amount), "currency": p.currency, "date": p.date, "payer": p.payer, "matched_claim": p.claims.first().map(|c| &c.0), "claims": p.claims.iter().map(|(c, a)| json!({"claim": c, "amount": m(*a)})).collect::<Vec<_>>(), "status": p.status, "how": p.how, "suggestions": p.suggestions}))
            .collect();
        let out = json!({"file": file.display().to_string(), "format": format.name(), "dry_run": dry_run, "file_seen_before": r.file_seen_before, "payments": list, "totals": totals.iter().map(|(k, v)| (k.clone(), m(*v))).collect::<BTreeMap<_, _>>(), "matched": matched, "partly_matched": partly, "unmatched": unmatched, "duplicates": duplicates, "reversals": reversals, "notes": notes});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{} ({}){}: {} payments, {}; {matched} matched, {partly} partly matched, {unmatched} unmatched, {duplicates} already imported, {reversals} reversals{}",
        file.display(),
        format.name(),
        if dry_run { " — dry run, nothing booked" } else { "" },
        r.payments.len(),
        if totals.is_empty() { "nothing new".to_string() } else { totals.iter().map(|(k, v)| format!("{} {k}", m(*v))).collect::<Vec<_>>().join(", ") },
        if r.file_seen_before { " (this file was imported before)" } else { "" }
    );
    let rows = r
        .payments
        .iter()
        .map(|p| {
            vec![
                p.line.to_string(),
                p.reference.clone().unwrap_or_default(),
                m(p.amount),
                p.date.to_string(),
                p.payer.clone().unwrap_or_default(),
                p.claims.iter().map(|(c, a)| format!("{c} {}", m(*a))).collect::<Vec<_>>().join(", "),
                p.status.clone(),
                p.how.clone(),
            ]
        })
        .collect();
    println!("{}", table(&["line", "reference", "amount", "date", "payer", "claim", "status", "why"], rows));
    for n in notes {
        println!("note: {n}");
    }
    Ok(())
}

pub fn run(store: &mut Store, law: &LawBook, cid: &str, cmd: PaymentsCmd, json: bool) -> Result<()> {
    match cmd {
        PaymentsCmd::Import { file, format, dry_run } => import(store, law, cid, &file, format, dry_run, json),
        PaymentsCmd::Unmatched => {
            let q = store.unmatched_payments(cid)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&q)?);
            } else {
                println!("{} unmatched payments", q.len());
                let rows = q
                    .iter()
                    .map(|p| {
                        vec![
                            p.key.clone(),
                            p.date.to_string(),
                            format!("{} {}", m(p.amount), p.currency),
                            p.reference.clone().unwrap_or_default(),
                            p.payer.clone().unwrap_or_default(),
                            p.how.clone(),
                            p.suggestions.iter().map(|s| format!("{} ({}: {})", s.claim, s.score, s.reason)).collect::<Vec<_>>().join("\n"),
                        ]
                    })
                    .collect();
                println!("{}", table(&["payment", "date", "amount", "reference", "payer", "why unmatched", "suggestions"], rows));
                println!("Book one with `fordra payments assign PAYMENT CLAIM`.");
            }
            Ok(())
        }
        PaymentsCmd::Assign { payment, claim } => {
            let r = store.assign_payment(cid, law, &payment, &claim)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("Payment {payment} ({} {}) booked to {claim}: {}", m(r.amount), r.currency, r.status);
            }
            Ok(())
        }
        PaymentsCmd::Report { from, to, csv } => {
            let rows = store.payment_report(cid, from, to)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows.iter().map(|r| json!({"date": r.date, "payment": r.payment, "invoice": r.claim, "invoice_number": r.invoice_number, "customer": r.customer, "currency": r.currency, "amount": m(r.amount), "principal": m(r.principal), "interest": m(r.interest), "fees": m(r.fees), "credit": m(r.credit), "reversed": m(r.reversed)})).collect::<Vec<_>>())?);
            } else if csv {
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
                for r in &rows {
                    w.write_record([
                        r.date.to_string(),
                        r.payment.clone(),
                        r.claim.clone(),
                        r.invoice_number.clone(),
                        r.customer.clone(),
                        r.currency.clone(),
                        m(r.amount),
                        m(r.principal),
                        m(r.interest),
                        m(r.fees),
                        m(r.credit),
                        m(r.reversed),
                    ])?;
                }
                w.flush()?;
            } else {
                let t = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.date.to_string(),
                            r.payment.clone(),
                            r.claim.clone(),
                            r.customer.clone(),
                            m(r.amount),
                            m(r.principal),
                            m(r.interest),
                            m(r.fees),
                            m(r.credit),
                            m(r.reversed),
                        ]
                    })
                    .collect();
                println!("{}", table(&["date", "payment", "invoice", "customer", "amount", "principal", "interest", "fees", "credit", "reversed"], t));
            }
            Ok(())
        }
    }
}

pub fn reference_cmd(cmd: RefCmd, json: bool) -> Result<i32> {
    match cmd {
        RefCmd::Make { scheme, base } => {
            let r = reference::make(scheme, &base).map_err(|e| anyhow!("{e}"))?;
            if json {
                println!("{}", json!({"scheme": scheme.name(), "base": base, "reference": r}));
            } else {
                println!("{r}");
            }
            Ok(0)
        }
        RefCmd::Check { reference: r } => {
            let valid = reference::valid_schemes(&r);
            if json {
                println!("{}", json!({"reference": r, "valid": !valid.is_empty(), "schemes": valid.iter().map(|s| s.name()).collect::<Vec<_>>()}));
            } else if valid.is_empty() {
                println!("{r}: not valid in any scheme ({})", Scheme::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "));
            } else {
                println!("{r}: valid as {}", valid.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "));
            }
            Ok(if valid.is_empty() { 1 } else { 0 })
        }
    }
}
