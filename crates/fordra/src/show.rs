//! Rendering of views and reports: tables for people, JSON as the use cases return it.

use crate::{m, print_json, table};
use anyhow::Result;
use fordra_app::claims::ClaimView;
use fordra_app::creditors::CreditorView;
use fordra_app::customers::CustomerView;
use fordra_app::reports::{Aging, DsoReport, Segments};
use fordra_app::run::RunReport;
use fordra_core::domain::JurisdictionCode;
use fordra_core::law::LawBook;
use fordra_core::money::Amounts;
use fordra_core::report;

pub fn creditor(c: CreditorView, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(&c)?);
        return Ok(());
    }
    println!(
        "{} — {}\n  law {}, currency {}, reminder fees agreed: {}, late interest: {}{}",
        c.id,
        c.name,
        c.jurisdiction,
        c.currency,
        c.reminder_fee_agreed,
        c.charge_interest,
        c.contract_rate.as_ref().map(|r| format!(" (contract rate {r}%)")).unwrap_or_default()
    );
    println!("  bankgiro {}, IBAN {}", c.bankgiro.as_deref().unwrap_or("-"), c.iban.as_deref().unwrap_or("-"));
    println!("  runs: {}{}", c.runs, c.last_run.map(|d| format!(", last {d}")).unwrap_or_default());
    Ok(())
}

pub fn claim(c: &ClaimView, json: bool) -> Result<()> {
    if json {
        return print_json(c);
    }
    println!(
        "Claim {} — invoice {} to {} {} ({}, segment {})",
        c.claim,
        c.invoice_number,
        c.customer,
        c.customer_name,
        c.customer_kind,
        c.segment.map(|s| s.to_string()).unwrap_or_else(|| "not yet run".into())
    );
    println!(
        "  issued {}, due {}, principal {} {}; status {}{}; last step: {}",
        c.issue_date,
        c.due_date,
        c.principal,
        c.currency,
        c.status,
        c.settled_date.map(|d| format!(" (settled {d})")).unwrap_or_default(),
        c.last_step
    );
    let b = &c.balances;
    println!(
        "  open: principal {}, fees {}, interest {} = {} {}{}",
        b.principal,
        b.fees,
        b.interest,
        b.total,
        c.currency,
        if b.interest_accrued_not_posted.0 > 0 {
            format!(
                " (+ {} interest accrued to {}, posted at the next step or payment)",
                b.interest_accrued_not_posted, c.as_of
            )
        } else {
            String::new()
        }
    );
    if let Some(p) = &c.paused {
        println!("  PAUSED: {p}");
    }
    let rows = c
        .timeline
        .iter()
        .map(|e| {
            vec![
                e.date.to_string(),
                e.event.clone(),
                e.amount.map(|a| a.to_string()).unwrap_or_default(),
                e.detail.clone(),
            ]
        })
        .collect();
    println!("{}", table(&["date", "event", "amount", "detail"], rows));
    if !c.deliveries.is_empty() {
        let rows = c
            .deliveries
            .iter()
            .map(|d| {
                let d0 = &d.delivery;
                vec![
                    d0.created.to_string(),
                    d0.id.clone(),
                    d0.kind.to_string(),
                    d0.channel.to_string(),
                    d0.status.to_string(),
                    d0.attempts.to_string(),
                    d0.detail.clone(),
                ]
            })
            .collect();
        println!("Messages:");
        println!("{}", table(&["created", "delivery", "message", "channel", "status", "tries", "detail"], rows));
    }
    Ok(())
}

pub fn customer(c: &CustomerView, json: bool) -> Result<()> {
    if json {
        return print_json(c);
    }
    println!(
        "Customer {} — {} ({}, language {}){}",
        c.customer,
        c.name,
        c.kind,
        c.language,
        if c.vip { ", VIP by the creditor's choice" } else { "" }
    );
    println!(
        "  e-mail {}, phone {}, credit score {}",
        c.email.as_deref().unwrap_or("-"),
        c.phone.as_deref().unwrap_or("-"),
        c.credit_score
            .map(|s| format!("{s}{}", c.credit_score_date.map(|d| format!(" ({d})")).unwrap_or_default()))
            .unwrap_or_else(|| "-".into())
    );
    println!(
        "  segment: {} — {}",
        c.segment.map(|s| s.to_string()).unwrap_or_else(|| "not yet run".into()),
        c.segment_reason.as_deref().unwrap_or("")
    );
    println!("  on {} the rules say: {}", c.explanation.as_of, c.explanation.reason);
    if c.credit.0 > 0 {
        println!("  credit on account (overpayments): {}", c.credit);
    }
    let mut ev: Vec<(chrono::NaiveDate, String, String)> = c
        .segment_changes
        .iter()
        .map(|s| {
            (
                s.date,
                format!("segment {} → {}", s.from.map(|f| f.to_string()).unwrap_or_else(|| "-".into()), s.to),
                s.reason.clone(),
            )
        })
        .collect();
    ev.extend(c.actions.iter().map(|a| {
        (
            a.date,
            format!("{} {} {}", a.claim, a.step, if a.skipped { "(skipped)" } else { "" }),
            format!("fee {}; {}", a.fee, a.reason),
        )
    }));
    ev.sort_by_key(|e| e.0);
    println!(
        "{}",
        table(
            &["claim", "due", "principal", "open", "status", "last step"],
            c.claims
                .iter()
                .map(|cl| vec![
                    cl.claim.to_string(),
                    cl.due_date.to_string(),
                    cl.principal.to_string(),
                    cl.open.to_string(),
                    cl.status.to_string(),
                    cl.last_step.clone()
                ])
                .collect()
        )
    );
    println!(
        "{}",
        table(&["date", "event", "detail"], ev.into_iter().map(|(d, e, x)| vec![d.to_string(), e, x]).collect())
    );
    Ok(())
}

/// The day of many creditors (`fordra run --all-creditors`).
pub fn all_runs(
    runs: &[fordra_app::run::ScheduledRun],
    workers: usize,
    took: std::time::Duration,
    json: bool,
) -> Result<()> {
    if json {
        return print_json(&serde_json::json!({"workers": workers, "seconds": took.as_secs_f64(), "runs": runs}));
    }
    for r in runs {
        match &r.error {
            None => println!("{} {}: {} actions", r.creditor, r.date, r.actions_created),
            Some(e) => println!("{} {}: not run: {e}", r.creditor, r.date),
        }
    }
    let actions: usize = runs.iter().map(|r| r.actions_created).sum();
    println!(
        "{} creditors, {actions} actions, {workers} worker{} in {:.2} s",
        runs.len(),
        if workers == 1 { "" } else { "s" },
        took.as_secs_f64()
    );
    Ok(())
}

pub fn run(r: &RunReport, json: bool) -> Result<()> {
    if json {
        return print_json(r);
    }
    println!(
        "Run {} for {}{}: {} open claims, {} actions{}, {} segment changes, {} paused",
        r.date,
        r.creditor,
        if r.dry_run { " (dry run, nothing written)" } else { "" },
        r.open_claims,
        r.actions.len(),
        if r.dry_run { " would be created" } else { " created" },
        r.segment_changes.len(),
        r.held.len()
    );
    for n in &r.notes {
        println!("note: {n}");
    }
    const SHOW: usize = 40;
    if !r.segment_changes.is_empty() {
        let rows = r
            .segment_changes
            .iter()
            .take(SHOW)
            .map(|s| {
                vec![
                    s.customer.to_string(),
                    s.from.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                    s.to.to_string(),
                    s.reason.clone(),
                ]
            })
            .collect();
        println!("{}", table(&["customer", "from", "to", "reason"], rows));
    }
    if !r.actions.is_empty() {
        let rows = r
            .actions
            .iter()
            .take(SHOW)
            .map(|a| {
                vec![
                    a.claim.to_string(),
                    a.customer.to_string(),
                    a.segment.to_string(),
                    if a.skipped { format!("{} (skipped)", a.step) } else { a.step.to_string() },
                    a.channel.to_string(),
                    a.fee.to_string(),
                    a.interest.to_string(),
                    a.deadline.to_string(),
                    a.reason.clone(),
                ]
            })
            .collect();
        println!(
            "{}",
            table(&["claim", "customer", "segment", "step", "channel", "fee", "interest", "deadline", "reason"], rows)
        );
    }
    let hidden = r.actions.len().saturating_sub(SHOW) + r.segment_changes.len().saturating_sub(SHOW);
    if hidden > 0 {
        println!("… {hidden} more rows (use --json for all)");
    }
    Ok(())
}

pub fn aging(a: &Aging, json: bool) -> Result<()> {
    if json {
        return print_json(a);
    }
    println!("Aging of open claims on {} (days past due)", a.as_of);
    let mut total = Amounts::default();
    for b in &a.buckets {
        total.merge(&b.open);
    }
    let mut rows: Vec<Vec<String>> =
        a.buckets.iter().map(|b| vec![b.bucket.to_string(), b.claims.to_string(), b.open.to_string()]).collect();
    rows.push(vec!["total".into(), a.buckets.iter().map(|b| b.claims).sum::<usize>().to_string(), total.to_string()]);
    println!("{}", table(&["bucket", "claims", "open"], rows));
    Ok(())
}

pub fn dso(d: &DsoReport, json: bool) -> Result<()> {
    if json {
        return print_json(d);
    }
    let (as_of, window) = (d.as_of, d.window_days);
    for c in &d.currencies {
        println!(
            "DSO on {as_of} over {window} days in {}: receivables {} / sales {} × {window} = {} days (best possible {} days)",
            c.currency,
            c.receivables,
            c.sales,
            c.dso.map(|x| x.to_string()).unwrap_or("-".into()),
            c.best_dso.map(|x| x.to_string()).unwrap_or("-".into())
        );
    }
    if d.currencies.is_empty() {
        println!("DSO on {as_of} over {window} days: no receivables and no sales");
    }
    println!("Invoices paid in the window, by segment:");
    println!(
        "{}",
        table(
            &["segment", "paid", "avg days to pay", "avg days late", "on time"],
            d.segments
                .iter()
                .map(|s| vec![
                    s.segment.clone(),
                    s.paid_invoices.to_string(),
                    opt(s.avg_days_to_pay),
                    opt(s.avg_days_late),
                    s.paid_on_time_share.map(|x| format!("{:.0}%", x * 100.0)).unwrap_or("-".into())
                ])
                .collect()
        )
    );
    Ok(())
}

pub fn segments(s: &Segments, json: bool) -> Result<()> {
    if json {
        return print_json(s);
    }
    print_segments(&s.segments, s.as_of);
    Ok(())
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

pub fn print_segments(s: &[report::SegmentFigures], as_of: chrono::NaiveDate) {
    println!("Segments on {as_of}");
    let rows = s
        .iter()
        .map(|r| {
            vec![
                r.segment.clone(),
                r.customers.to_string(),
                r.invoices.to_string(),
                r.open_claims.to_string(),
                r.open_amount.to_string(),
                r.reminders.to_string(),
                r.phone_calls.to_string(),
                r.collection_cases.to_string(),
                r.legal_cases.to_string(),
                opt(r.avg_days_to_pay),
                opt(r.avg_days_late),
                r.fees.to_string(),
                r.interest.to_string(),
            ]
        })
        .collect();
    println!(
        "{}",
        table(
            &[
                "segment",
                "customers",
                "invoices",
                "open",
                "open amount",
                "reminders",
                "calls",
                "collection",
                "legal",
                "days to pay",
                "days late",
                "fees",
                "interest"
            ],
            rows
        )
    );
}

pub fn law(law: &LawBook, only: Option<JurisdictionCode>, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&law)?);
        return Ok(());
    }
    println!("Law tables version {} (* = unconfirmed: check the source)", law.version);
    for j in law.jurisdictions.iter().filter(|j| only.is_none_or(|o| o == j.code)) {
        println!("\n{} — {} ({})", j.code.upper(), j.name, j.currency);
        print_interest(j);
        print_fees(j);
        print_other_rules(j);
    }
    Ok(())
}

/// A jurisdiction's late-interest rates and rules.
fn print_interest(j: &fordra_core::law::Jurisdiction) {
    let rows = j
        .interest
        .iter()
        .map(|r| {
            vec![
                r.from.to_string(),
                match &r.pending {
                    Some(_) => "pending".to_string(),
                    None => format!(
                        "{}{}",
                        r.rate(fordra_core::domain::DebtorKind::Consumer),
                        if r.confirmed { "" } else { " *" }
                    ),
                },
                r.business_margin
                    .map(|_| r.rate(fordra_core::domain::DebtorKind::Business).to_string())
                    .unwrap_or_default(),
                r.pending.clone().unwrap_or_else(|| r.source.clone()),
            ]
        })
        .collect();
    println!("{}", table(&["late interest from", "rate %", "business %", "source"], rows));
    let mut rules = vec![format!(
        "day count {}",
        match j.day_count {
            fordra_core::law::DayCount::Actual365 => "actual/365",
            fordra_core::law::DayCount::ActualActual => "actual/actual (1/366 a day in a leap year)",
        }
    )];
    if j.due_date_rolls_forward {
        rules.push("a due date on a weekend or holiday moves to the next banking day".into());
    }
    if j.interest_start_days_after_demand > 0 {
        rules.push(format!(
            "no agreed due date: interest from {} days after the demand",
            j.interest_start_days_after_demand
        ));
    }
    if j.business_only {
        rules.push("business debtors only".into());
    }
    println!(
        "Interest: {} — {}",
        rules.join("; "),
        [&j.day_count_source, &j.due_date_source, &j.interest_start_source]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// A jurisdiction's fees, with caps and conditions.
fn print_fees(j: &fordra_core::law::Jurisdiction) {
    let rows = j
        .fees
        .iter()
        .map(|f| {
            let cap = match f.max {
                Some(x) => m(x),
                None => f
                    .tiers
                    .iter()
                    .map(|t| format!("{}{}", m(t.max), t.up_to.map(|u| format!(" (≤{})", m(u))).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let mut cond = Vec::new();
            if f.requires_agreement {
                cond.push("only if agreed".to_string());
            }
            if let Some(n) = f.min_days_after_due {
                cond.push(format!("≥{n} days after due"));
            }
            if let Some(n) = f.max_count {
                cond.push(format!("at most {n}"));
            }
            if let Some(r) = f.repeat_factor {
                cond.push(format!("repeat ×{r}"));
            }
            if f.written_only {
                cond.push("written only".into());
            }
            if let Some(n) = f.min_days_since_previous {
                cond.push(format!(
                    "≥{n} days after the previous letter{}",
                    if f.after_previous_deadline { " and its deadline" } else { "" }
                ));
            }
            match (f.min_instalments, f.max_instalments) {
                (Some(a), None) => cond.push(format!("≥{a} instalments")),
                (None, Some(b)) => cond.push(format!("≤{b} instalments")),
                (Some(a), Some(b)) => cond.push(format!("{a}–{b} instalments")),
                (None, None) => {}
            }
            vec![
                format!("{}{}", f.kind, if f.confirmed { "" } else { " *" }),
                f.debtor.map(|d| d.to_string()).unwrap_or_else(|| "all".into()),
                f.collector.map(|c| c.to_string()).unwrap_or_else(|| "both".into()),
                f.from.to_string(),
                cap,
                cond.join(", "),
                f.source.clone(),
            ]
        })
        .collect();
    println!("{}", table(&["fee", "debtor", "sender", "from", "cap", "conditions", "source"], rows));
}

/// Compensation, cost caps, letter limits, proposals, step rules and the allocation order.
fn print_other_rules(j: &fordra_core::law::Jurisdiction) {
    for c in &j.compensation {
        println!(
            "B2B compensation {} {} from {}{}: {}",
            m(c.amount),
            j.currency,
            c.from,
            if c.confirmed { "" } else { " *" },
            c.source
        );
    }
    for c in &j.cost_caps {
        let tiers = c
            .tiers
            .iter()
            .map(|t| format!("{}{}", m(t.max), t.up_to.map(|u| format!(" (≤{})", m(u))).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "Total cost cap per claim ({}) from {}{}: {tiers} — {}",
            c.debtor.map(|d| d.to_string()).unwrap_or_else(|| "all".into()),
            c.from,
            if c.confirmed { "" } else { " *" },
            c.source
        );
    }
    for l in &j.letter_limits {
        println!(
            "At most {} fee-bearing letters ({}) per claim ({}) from {}{} — {}",
            l.max,
            l.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
            l.debtor.map(|d| d.to_string()).unwrap_or_else(|| "all".into()),
            l.from,
            if l.confirmed { "" } else { " *" },
            l.source
        );
    }
    for p in &j.pending {
        println!("Proposed, not in force: {} — {}", p.what, p.source);
    }
    for r in &j.step_rules {
        let mut extra = String::new();
        if r.min_banking_days_after_receipt > 0 {
            extra.push_str(&format!(
                ", deadline ≥{} banking days after receipt (presumed {} banking days after sending)",
                r.min_banking_days_after_receipt, r.presumed_receipt_banking_days
            ));
        }
        if let Some(k) = r.requires_before {
            extra.push_str(&format!(", only after a {k}"));
        }
        println!(
            "{} ({}): payment ≥{} days, ≥{} days after previous letter{extra}{} — {}",
            r.step,
            r.debtor.map(|d| d.to_string()).unwrap_or_else(|| "all".into()),
            r.min_payment_days,
            r.min_days_since_previous,
            if r.confirmed { "" } else { " *" },
            r.source
        );
    }
    println!(
        "Payment allocation: {}{} — {}",
        j.allocation_order.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" → "),
        if j.allocation_confirmed { "" } else { " *" },
        j.allocation_source
    );
}
