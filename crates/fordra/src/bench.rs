//! `fordra bench`: the daily run (see `bench_run`), payments, the model, letters and the HTTP
//! service at scale. Not a test: figures to compare.

use anyhow::Result;
use chrono::{Duration, NaiveDate};
use clap::Args;
use fordra_core::domain::{DebtorKind, JurisdictionCode};
use fordra_core::law::LawBook;
use fordra_core::model::Policy;
use fordra_core::money::Currency;
use fordra_core::run::Creditor;
use fordra_store::{CustomerRow, InvoiceRow, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Clone)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 300_000)]
    pub customers: usize,
    #[arg(long, default_value_t = 1_000_000)]
    pub invoices: usize,
    /// SQLite file to build (default: a temporary file, removed afterwards).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Invoices of paid history imported and trained on for the days with the model in use.
    #[arg(long, default_value_t = 200_000)]
    pub history: usize,
    /// Times to repeat the core-only measurement (the best is reported).
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Benchmark payments instead: parse and match a BgMax file with this many payments
    /// against as many open claims (`--invoices` is then ignored).
    #[arg(long)]
    pub payments: Option<usize>,
    /// Keep the payments benchmark's BgMax file here (to import it into `--file` afterwards,
    /// as `fordra payments import` does, booking included).
    #[arg(long)]
    pub bgmax: Option<PathBuf>,
    /// Benchmark the payment-behaviour model instead: train on this many historical invoices,
    /// then score as many open ones.
    #[arg(long)]
    pub ml: Option<usize>,
    /// Benchmark letters instead: render this many letters to PDF (every language and kind,
    /// one to three claims, payment codes), on every core.
    #[arg(long)]
    pub letters: Option<usize>,
    /// Benchmark many creditors instead: this many creditors (each with `--per-creditor` open
    /// invoices), their ordinary day run by `fordra run --all-creditors` at 1, 2 and 4 workers.
    #[arg(long)]
    pub creditors: Option<usize>,
    /// Many creditors: open invoices per creditor.
    #[arg(long, default_value_t = 10_000)]
    pub per_creditor: usize,
    /// Benchmark the HTTP service instead: claim reads and bulk invoice upserts under load.
    #[arg(long)]
    pub http: bool,
    /// HTTP benchmark: client threads.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// HTTP benchmark: seconds per phase.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// HTTP benchmark: also on PostgreSQL (a scratch database made on this server and dropped).
    #[arg(long)]
    pub pg: Option<String>,
}

/// A fresh database (a SQLite file, or an empty PostgreSQL database) with the Swedish benchmark
/// creditor.
pub(crate) fn bench_store(
    url: &str,
    reference_scheme: Option<fordra_core::reference::Scheme>,
) -> Result<(Store, Creditor)> {
    if !url.starts_with("postgres") {
        let _ = std::fs::remove_file(url);
    }
    let mut store = Store::create(url)?;
    let creditor = bench_creditor("bench", reference_scheme);
    store.save_creditor(&creditor)?;
    Ok((store, creditor))
}

/// A Swedish creditor as the benchmarks use it.
pub(crate) fn bench_creditor(id: &str, reference_scheme: Option<fordra_core::reference::Scheme>) -> Creditor {
    Creditor {
        id: id.into(),
        name: format!("Bench {id} AB"),
        jurisdiction: JurisdictionCode::SE,
        currency: Currency::SEK,
        reminder_fee_agreed: true,
        charge_interest: true,
        contract_rate: None,
        bankgiro: Some("9912346".into()),
        iban: None,
        reference_scheme,
        policy: Policy::default_for(JurisdictionCode::SE),
    }
}

/// `pg`: the PostgreSQL server to measure on instead of SQLite (`--db postgres://…`).
pub fn bench(law: &LawBook, a: &BenchArgs, pg: Option<&str>, json: bool) -> Result<()> {
    if a.http {
        return crate::bench_http::bench_http(
            law,
            a.concurrency.clamp(1, 256),
            a.seconds.clamp(0.5, 600.0),
            a.pg.as_deref(),
            json,
        );
    }
    if let Some(n) = a.creditors {
        return crate::bench_run::bench_creditors(law, a, n, pg, json);
    }
    if let Some(n) = a.payments {
        return bench_payments(law, a, n, json);
    }
    if let Some(n) = a.ml {
        return crate::bench_ml::bench_ml(n, json);
    }
    if let Some(n) = a.letters {
        return bench_letters(n, json);
    }
    crate::bench_run::bench_run(law, a, pg, json)
}

/// Generates the portfolio: customers (a fifth businesses, every fiftieth a VIP) and invoices
/// due over the last 120 and next 30 days, imported as files are.
pub(crate) fn portfolio(
    app: &mut fordra_app::App<'_>,
    bench_id: &fordra_app::CreditorId,
    a: &BenchArgs,
    as_of: NaiveDate,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let customers: Vec<CustomerRow> = (0..a.customers)
        .map(|i| CustomerRow {
            channel: None,
            email_consent: None,
            sms_consent: None,
            mailbox: None,
            reminder_fee_agreed: None,
            reminder_fee_agreed_on: None,
            id: format!("C{i:07}"),
            name: format!("Customer {i}"),
            kind: if i % 5 == 0 { DebtorKind::Business } else { DebtorKind::Consumer },
            language: "sv".into(),
            email: (i % 3 != 0).then(|| format!("c{i}@example.se")),
            phone: None,
            address: None,
            org_no: None,
            credit_score: Some(rng.gen_range(1..=100)),
            credit_score_date: Some(as_of - Duration::days(30)),
            vip: i % 50 == 0,
            segment: None,
            segment_reason: None,
        })
        .collect();
    app.import_customer_rows(bench_id, &customers, "bench-customers.csv")?;
    let invoices: Vec<InvoiceRow> = (0..a.invoices)
        .map(|i| {
            let due = as_of + Duration::days(rng.gen_range(-120..30));
            InvoiceRow {
                due_date_agreed: true,
                demand_date: None,
                line: i + 2,
                id: format!("I{i:08}"),
                customer_id: format!("C{:07}", rng.gen_range(0..a.customers)),
                invoice_number: format!("{i}"),
                issue_date: due - Duration::days(30),
                due_date: due,
                currency: Currency::SEK,
                amount: rng.gen_range(100_00..20_000_00),
                paid_date: None,
                reference: None,
            }
        })
        .collect();
    app.import_invoice_rows(bench_id, &invoices, "bench.csv")?;
    Ok(())
}

/// Matches every payment of the file as the import does (balances read only when a payment
/// needs them); how many were matched.
fn match_all(
    store: &mut Store,
    matcher: &mut fordra_core::matching::Matcher,
    parsed: &fordra_formats::bgmax::BgMaxFile,
) -> Result<usize> {
    use fordra_core::matching::{Decision, Incoming};
    let mut matched = 0usize;
    for d in &parsed.deposits {
        for p in &d.payments {
            let inc = Incoming {
                key: p.serial.clone(),
                date: d.payment_date,
                amount: p.amount,
                currency: d.currency.clone(),
                references: vec![p.reference.clone()],
                text: vec![],
                payer: None,
                claim: None,
                line: p.line,
                account: None,
            };
            let mut d = matcher.decide(&inc);
            if d == Decision::NeedBalances {
                matcher.set_balances(&store.open_balances("bench")?);
                d = matcher.decide(&inc);
            }
            if matches!(d, Decision::Book { .. }) {
                matched += 1;
            }
        }
    }
    Ok(matched)
}

/// Parse and match a BgMax file of `n` payments against `n` open claims on SQLite.
fn bench_payments(law: &LawBook, a: &BenchArgs, n: usize, json: bool) -> Result<()> {
    use fordra_core::domain::BankStatus;
    use fordra_core::matching::Matcher;
    use fordra_core::reference::{make, Scheme};
    use fordra_formats::bgmax;
    let dir = tempfile::tempdir()?;
    let path = a.file.clone().unwrap_or_else(|| dir.path().join("bench-payments.db"));
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let t0 = Instant::now();
    let (mut store, _) = bench_store(&path.display().to_string(), Some(fordra_core::reference::Scheme::SeOcr))?;
    let customers: Vec<CustomerRow> = (0..a.customers)
        .map(|i| CustomerRow {
            channel: None,
            email_consent: None,
            sms_consent: None,
            mailbox: None,
            reminder_fee_agreed: None,
            reminder_fee_agreed_on: None,
            id: format!("C{i:07}"),
            name: format!("Customer {i}"),
            kind: DebtorKind::Consumer,
            language: "sv".into(),
            email: None,
            phone: None,
            address: None,
            org_no: None,
            credit_score: None,
            credit_score_date: None,
            vip: false,
            segment: None,
            segment_reason: None,
        })
        .collect();
    let today = store.today();
    let mut app = fordra_app::App::new(&mut store, law, today);
    let bench_id = fordra_app::CreditorId("bench".into());
    app.import_customer_rows(&bench_id, &customers, "bench-customers.csv")?;
    let invoices: Vec<InvoiceRow> = (0..n)
        .map(|i| InvoiceRow {
            due_date_agreed: true,
            demand_date: None,
            line: i + 2,
            id: format!("I{i:08}"),
            customer_id: format!("C{:07}", rng.gen_range(0..a.customers)),
            invoice_number: format!("{}", 10_000_000 + i),
            issue_date: as_of - Duration::days(40),
            due_date: as_of - Duration::days(10),
            currency: Currency::SEK,
            amount: rng.gen_range(100_00..20_000_00),
            paid_date: None,
            reference: None,
        })
        .collect();
    app.import_invoice_rows(&bench_id, &invoices, "bench.csv")?;
    // A BgMax file paying every invoice once, by OCR reference, in deposits of 10 000.
    let mut deposits = Vec::new();
    for (k, chunk) in invoices.chunks(10_000).enumerate() {
        let payments: Vec<bgmax::BgPayment> = chunk
            .iter()
            .enumerate()
            .map(|(j, inv)| bgmax::BgPayment {
                record: 20,
                payer_bankgiro: "1234567".into(),
                reference: make(Scheme::SeOcr, &inv.invoice_number).unwrap_or_default(),
                amount: inv.amount,
                reference_code: 2,
                channel: 1,
                serial: format!("{:012}", k * 10_000 + j),
                ..Default::default()
            })
            .collect();
        deposits.push(bgmax::Deposit {
            line: 0,
            payee_bankgiro: "9912346".into(),
            payee_plusgiro: None,
            currency: "SEK".into(),
            account: "58410000010098232".into(),
            payment_date: as_of,
            serial: format!("{:05}", k + 1),
            amount: chunk.iter().map(|i| i.amount).sum(),
            count: chunk.len() as u32,
            kind: String::new(),
            payments,
        });
    }
    let file = a.bgmax.clone().unwrap_or_else(|| dir.path().join("bench.bgmax"));
    std::fs::write(
        &file,
        bgmax::write(&bgmax::BgMaxFile {
            version: "01".into(),
            created: "20260615120000000000".into(),
            test: false,
            deposits,
            warnings: vec![],
        }),
    )?;
    let generate = t0.elapsed();

    let t = Instant::now();
    let bytes = std::fs::read(&file)?;
    let parsed = bgmax::parse(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let parse = t.elapsed();
    let t = Instant::now();
    let claims = store.open_claims_for_matching("bench")?;
    let load = t.elapsed();
    let t = Instant::now();
    // As the import does: balances are read only if a payment needs them.
    let mut matcher = Matcher::without_balances(claims);
    let index = t.elapsed();
    let matched = match_all(&mut store, &mut matcher, &parsed)?;
    let matching = t.elapsed();
    let total = parse + load + matching;
    // Then the file imported as `fordra payments import` does: parsed and matched again, every
    // payment booked (its allocation entries in the ledger, its claim settled), in one
    // transaction.
    let t = Instant::now();
    let mut app = fordra_app::App::new(&mut store, law, today);
    let file_name = file.display().to_string();
    let imported = app.import_bank_file(
        &bench_id,
        fordra_app::bank::BankFile { source: &file_name, bytes: &bytes, format: None, dry_run: false },
        &mut |_| Ok(()),
    )?;
    let booked_n: usize = imported
        .by_status
        .iter()
        .filter(|s| matches!(s.status, BankStatus::Matched | BankStatus::PartlyMatched | BankStatus::Overpaid))
        .map(|s| s.count)
        .sum();
    let booked = t.elapsed();
    if json {
        println!(
            "{}",
            json!({"payments": n, "file_mb": bytes.len() as f64 / 1e6, "generate_s": generate.as_secs_f64(), "parse_s": parse.as_secs_f64(), "load_claims_s": load.as_secs_f64(), "match_s": matching.as_secs_f64(), "end_to_end_s": total.as_secs_f64(), "matched": matched, "import_and_book_s": booked.as_secs_f64(), "booked": booked_n})
        );
    } else {
        println!(
            "BgMax file of {n} payments ({:.0} MB) against {n} open claims on SQLite, generated in {:.1} s",
            bytes.len() as f64 / 1e6,
            generate.as_secs_f64()
        );
        println!("Parse and reconcile the file:   {:>6.2} s", parse.as_secs_f64());
        println!("Load open claims (no balances needed for exact references): {:>6.2} s", load.as_secs_f64());
        println!(
            "Match every payment:            {:>6.2} s  ({matched} matched by reference; {:.2} s of it indexing the claims)",
            matching.as_secs_f64(),
            index.as_secs_f64()
        );
        println!("End to end:                     {:>6.2} s", total.as_secs_f64());
        println!(
            "Import with booking (parse, match, {booked_n} booked with their allocation entries, claims settled): {:>6.2} s",
            booked.as_secs_f64()
        );
    }
    Ok(())
}

/// Renders `n` sample letters to PDF in memory: phrases and templates, layout, fonts subset
/// and embedded, QR codes and barcodes; once on one thread (a sample) and on every core.
fn bench_letters(n: usize, json: bool) -> Result<()> {
    use rayon::prelude::*;
    anyhow::ensure!((1..=10_000_000).contains(&n), "--letters: from 1 to 10 000 000");
    let renderer = fordra_comms::messages::Renderer::new()?;
    let pdf = fordra_comms::pdf::LetterPdf::new()?;
    let render = |i: usize| -> Result<usize> {
        let m = fordra_comms::sample::message(i);
        let text = renderer.render(&m, &Default::default(), None)?;
        Ok(pdf.render(&renderer, &m, &text)?.len())
    };
    let one = n.min(1000);
    let t = Instant::now();
    let mut bytes = 0;
    for i in 0..one {
        bytes += render(i)?;
    }
    let single = one as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let sizes: Vec<usize> = (0..n).into_par_iter().map(render).collect::<Result<_>>()?;
    let secs = t.elapsed().as_secs_f64();
    let total: usize = sizes.iter().sum();
    let out = json!({
        "letters": n,
        "threads": rayon::current_num_threads(),
        "seconds": secs,
        "letters_per_second": n as f64 / secs,
        "letters_per_second_one_thread": single,
        "average_kb": total as f64 / n as f64 / 1024.0,
        "sample_bytes": bytes,
    });
    if json {
        println!("{out}");
    } else {
        println!(
            "{n} letters rendered to PDF in {secs:.1} s on {} threads: {:.0} letters/s ({:.0}/s on one thread), {:.1} KB each",
            rayon::current_num_threads(),
            n as f64 / secs,
            single,
            total as f64 / n as f64 / 1024.0
        );
    }
    Ok(())
}
