//! Read-only views: timelines, reports, law tables.

use crate::{m, table, today};
use anyhow::Result;
use chrono::NaiveDate;
use fordra_core::domain::{JurisdictionCode, Segment};
use fordra_core::law::LawBook;
use fordra_core::money::Amounts;
use fordra_core::report;
use fordra_store::Store;
use serde_json::json;

pub fn creditor(store: &mut Store, cid: &str, json: bool) -> Result<()> {
    let c = store.creditor(cid)?;
    let runs = store.runs(cid)?;
    if json {
        println!(
            "{}",
            json!({"id": c.id, "name": c.name, "jurisdiction": c.jurisdiction.upper(), "currency": c.currency.code(), "reminder_fee_agreed": c.reminder_fee_agreed, "charge_interest": c.charge_interest, "contract_rate": c.contract_rate.map(|r| r.to_string()), "bankgiro": c.bankgiro, "iban": c.iban, "last_run": runs.last().map(|r| r.date), "runs": runs.len()})
        );
    } else {
        println!(
            "{} — {}\n  law {}, currency {}, reminder fees agreed: {}, late interest: {}{}",
            c.id,
            c.name,
            c.jurisdiction.upper(),
            c.currency,
            c.reminder_fee_agreed,
            c.charge_interest,
            c.contract_rate.map(|r| format!(" (contract rate {r}%)")).unwrap_or_default()
        );
        println!("  bankgiro {}, IBAN {}", c.bankgiro.as_deref().unwrap_or("-"), c.iban.as_deref().unwrap_or("-"));
        println!("  runs: {}{}", runs.len(), runs.last().map(|r| format!(", last {}", r.date)).unwrap_or_default());
    }
    Ok(())
}

struct Event {
    date: NaiveDate,
    order: u8,
    event: String,
    amount: Option<i64>,
    detail: String,
}

pub fn claim(store: &mut Store, law: &LawBook, cid: &str, id: &str, json: bool) -> Result<()> {
    let creditor = store.creditor(cid)?;
    let c = store.claim(cid, id)?;
    let cust = store.customer(cid, &c.customer_id)?;
    let ledger = store.ledger(cid, id)?;
    let actions = store.actions_of_claim(cid, id)?;
    let pauses: Vec<_> =
        store.pauses(cid)?.into_iter().filter(|p| p.claim_id.as_deref() == Some(id) || (p.claim_id.is_none() && p.customer_id == c.customer_id)).collect();
    let now = today();
    let bal = store.balances(cid, id, NaiveDate::MAX)?;
    // Interest accrued to today but not yet posted: what settles it now, less its balance.
    let accrued = if c.status == "open" { store.amount_due(&creditor, law, id, now)? - store.balances(cid, id, now)?.total() } else { 0 };
    let mut ev: Vec<Event> = Vec::new();
    for l in &ledger {
        ev.push(Event {
            date: l.date,
            order: if l.kind == "invoice" { 0 } else { 2 },
            event: l.kind.replace("fee:", "fee: "),
            amount: Some(l.amount),
            detail: format!("{}{}", l.memo, l.component.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default()),
        });
    }
    for a in &actions {
        let mut what = if a.skipped { format!("step {}: {} (skipped)", a.step_no, a.kind) } else { format!("step {}: {} by {}", a.step_no, a.kind, a.channel) };
        let mut detail = format!("deadline {}", a.deadline);
        if let (Some(x), false) = (a.amount_to_pay, a.skipped) {
            detail.push_str(&format!(", to pay {} by then", m(x)));
        }
        detail.push_str(&format!("; {}", a.reason));
        if let Some(r) = &a.reverted {
            what.push_str(" (reverted)");
            detail = format!("{r}; {detail}");
        }
        ev.push(Event { date: a.date, order: 1, event: what, amount: None, detail });
    }
    for p in &pauses {
        ev.push(Event { date: p.pause.from, order: 1, event: format!("pause {}: {}", p.id, p.pause.kind), amount: None, detail: p.pause.describe() });
        if let Some(e) = p.pause.ended {
            ev.push(Event { date: e, order: 1, event: format!("pause {} ended", p.id), amount: None, detail: String::new() });
        }
    }
    ev.sort_by_key(|e| (e.date, e.order));
    let phase = actions.iter().rfind(|a| !a.skipped && a.reverted.is_none()).map(|a| a.kind.clone()).unwrap_or_else(|| "none".into());
    let active_pause = pauses.iter().find(|p| p.pause.active_on(now)).map(|p| p.pause.describe());
    if json {
        let out = json!({
            "claim": c.id, "customer": c.customer_id, "customer_name": cust.name, "segment": cust.segment,
            "invoice_number": c.invoice_number, "issue_date": c.issue_date, "due_date": c.due_date, "currency": c.currency.code(),
            "principal": m(c.principal), "status": c.status, "settled_date": c.settled_date, "last_step": phase, "paused": active_pause,
            "balances": {"principal": m(bal.principal), "fees": m(bal.fees), "interest": m(bal.interest), "total": m(bal.total()), "interest_accrued_not_posted": m(accrued)},
            "timeline": ev.iter().map(|e| json!({"date": e.date, "event": e.event, "amount": e.amount.map(m), "detail": e.detail})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "Claim {} — invoice {} to {} {} ({}, segment {})",
        c.id,
        c.invoice_number,
        cust.id,
        cust.name,
        cust.kind,
        cust.segment.map(|s| s.to_string()).unwrap_or_else(|| "not yet run".into())
    );
    println!(
        "  issued {}, due {}, principal {} {}; status {}{}; last step: {phase}",
        c.issue_date,
        c.due_date,
        m(c.principal),
        c.currency,
        c.status,
        c.settled_date.map(|d| format!(" (settled {d})")).unwrap_or_default()
    );
    println!(
        "  open: principal {}, fees {}, interest {} = {} {}{}",
        m(bal.principal),
        m(bal.fees),
        m(bal.interest),
        m(bal.total()),
        c.currency,
        if accrued > 0 { format!(" (+ {} interest accrued to {now}, posted at the next step or payment)", m(accrued)) } else { String::new() }
    );
    if let Some(p) = active_pause {
        println!("  PAUSED: {p}");
    }
    let rows = ev.into_iter().map(|e| vec![e.date.to_string(), e.event, e.amount.map(m).unwrap_or_default(), e.detail]).collect();
    println!("{}", table(&["date", "event", "amount", "detail"], rows));
    Ok(())
}

pub fn customer(store: &mut Store, cid: &str, id: &str, json: bool) -> Result<()> {
    let c = store.customer(cid, id)?;
    let creditor = store.creditor(cid)?;
    let now = store.last_run(cid)?.unwrap_or_else(today);
    let live = store.explain_segment(&creditor, id, now)?;
    let claims = store.claims_of_customer(cid, id)?;
    let changes = store.segment_changes(cid, id)?;
    let actions = store.actions_of_customer(cid, id)?;
    let credit = store.customer_credit(cid, id)?;
    let mut claim_rows = Vec::new();
    for cl in &claims {
        let b = store.balances(cid, &cl.id, NaiveDate::MAX)?;
        let last = actions.iter().rfind(|a| a.claim_id == cl.id && !a.skipped && a.reverted.is_none()).map(|a| a.kind.clone()).unwrap_or_default();
        claim_rows.push((cl, b, last));
    }
    if json {
        let out = json!({
            "customer": c.id, "name": c.name, "kind": c.kind, "language": c.language, "email": c.email, "phone": c.phone,
            "credit_score": c.credit_score, "credit_score_date": c.credit_score_date, "vip": c.vip,
            "segment": c.segment, "segment_reason": c.segment_reason, "credit": m(credit),
            "explanation": {"as_of": now, "segment": live.segment, "reason": live.reason},
            "segment_changes": changes.iter().map(|s| json!({"date": s.date, "from": s.from, "to": s.to, "reason": s.reason})).collect::<Vec<_>>(),
            "claims": claim_rows.iter().map(|(cl, b, last)| json!({"claim": cl.id, "due_date": cl.due_date, "principal": m(cl.principal), "open": m(b.total()), "status": cl.status, "settled_date": cl.settled_date, "last_step": last})).collect::<Vec<_>>(),
            "actions": actions.iter().map(|a| json!({"date": a.date, "claim": a.claim_id, "step": a.kind, "channel": a.channel, "fee": m(a.fee), "skipped": a.skipped, "reason": a.reason})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("Customer {} — {} ({}, language {}){}", c.id, c.name, c.kind, c.language, if c.vip { ", VIP by the creditor's choice" } else { "" });
    println!(
        "  e-mail {}, phone {}, credit score {}",
        c.email.as_deref().unwrap_or("-"),
        c.phone.as_deref().unwrap_or("-"),
        c.credit_score.map(|s| format!("{s}{}", c.credit_score_date.map(|d| format!(" ({d})")).unwrap_or_default())).unwrap_or_else(|| "-".into())
    );
    println!("  segment: {} — {}", c.segment.map(|s| s.to_string()).unwrap_or_else(|| "not yet run".into()), c.segment_reason.as_deref().unwrap_or(""));
    println!("  on {now} the rules say: {}", live.reason);
    if credit > 0 {
        println!("  credit on account (overpayments): {}", m(credit));
    }
    let mut ev: Vec<(NaiveDate, String, String)> =
        changes.iter().map(|s| (s.date, format!("segment {} → {}", s.from.as_deref().unwrap_or("-"), s.to), s.reason.clone())).collect();
    ev.extend(
        actions
            .iter()
            .map(|a| (a.date, format!("{} {} {}", a.claim_id, a.kind, if a.skipped { "(skipped)" } else { "" }), format!("fee {}; {}", m(a.fee), a.reason))),
    );
    ev.sort_by_key(|e| e.0);
    println!(
        "{}",
        table(
            &["claim", "due", "principal", "open", "status", "last step"],
            claim_rows
                .iter()
                .map(|(cl, b, last)| vec![cl.id.clone(), cl.due_date.to_string(), m(cl.principal), m(b.total()), cl.status.clone(), last.clone()])
                .collect()
        )
    );
    println!("{}", table(&["date", "event", "detail"], ev.into_iter().map(|(d, e, x)| vec![d.to_string(), e, x]).collect()));
    Ok(())
}

pub fn report(store: &mut Store, cid: &str, aging: bool, dso: bool, as_of: NaiveDate, window: i64, json: bool) -> Result<()> {
    let (customers, claims) = store.report_data(cid, as_of)?;
    let custs: Vec<(String, Option<Segment>)> = customers.into_iter().map(|(id, s, _)| (id, s)).collect();
    if aging {
        let a = report::aging(&claims, as_of);
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"as_of": as_of, "buckets": a.iter().map(|b| json!({"bucket": b.bucket, "claims": b.claims, "open": b.open})).collect::<Vec<_>>()})
                )?
            );
        } else {
            println!("Aging of open claims on {as_of} (days past due)");
            let mut total = Amounts::default();
            for b in &a {
                total.merge(&b.open);
            }
            let mut rows: Vec<Vec<String>> = a.iter().map(|b| vec![b.bucket.to_string(), b.claims.to_string(), b.open.to_string()]).collect();
            rows.push(vec!["total".into(), a.iter().map(|b| b.claims).sum::<usize>().to_string(), total.to_string()]);
            println!("{}", table(&["bucket", "claims", "open"], rows));
        }
        return Ok(());
    }
    if dso {
        let d = report::dso(&custs, &claims, as_of, window);
        if json {
            let currencies: Vec<_> = d
                .currencies
                .iter()
                .map(|c| json!({"currency": c.currency.code(), "receivables": m(c.receivables), "sales": m(c.sales), "dso": c.dso, "best_dso": c.best_dso}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"as_of": as_of, "window_days": window, "currencies": currencies, "segments": segment_json(&d.per_segment)})
                )?
            );
        } else {
            for c in &d.currencies {
                println!(
                    "DSO on {as_of} over {window} days in {}: receivables {} / sales {} × {window} = {} days (best possible {} days)",
                    c.currency,
                    m(c.receivables),
                    m(c.sales),
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
                    d.per_segment
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
        }
        return Ok(());
    }
    let s = report::segments(&custs, &claims, None);
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({"as_of": as_of, "segments": segment_json(&s)}))?);
    } else {
        print_segments(&s, as_of);
    }
    Ok(())
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

pub fn segment_json(rows: &[report::SegmentFigures]) -> serde_json::Value {
    json!(rows
        .iter()
        .map(|s| json!({"segment": s.segment, "customers": s.customers, "invoices": s.invoices, "open_claims": s.open_claims, "open_amount": s.open_amount, "reminders": s.reminders, "phone_calls": s.phone_calls, "collection_cases": s.collection_cases, "legal_cases": s.legal_cases, "paid_invoices": s.paid_invoices, "avg_days_to_pay": s.avg_days_to_pay, "avg_days_late": s.avg_days_late, "paid_on_time_share": s.paid_on_time_share, "fees": s.fees, "interest": s.interest}))
        .collect::<Vec<_>>())
}

pub fn print_segments(s: &[report::SegmentFigures], as_of: NaiveDate) {
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
        let rows = j
            .interest
            .iter()
            .map(|r| {
                vec![
                    r.from.to_string(),
                    match &r.pending {
                        Some(_) => "pending".to_string(),
                        None => format!("{}{}", r.rate(fordra_core::domain::DebtorKind::Consumer), if r.confirmed { "" } else { " *" }),
                    },
                    r.business_margin.map(|_| r.rate(fordra_core::domain::DebtorKind::Business).to_string()).unwrap_or_default(),
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
            rules.push(format!("no agreed due date: interest from {} days after the demand", j.interest_start_days_after_demand));
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
                    cond.push(format!("≥{n} days after the previous letter{}", if f.after_previous_deadline { " and its deadline" } else { "" }));
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
        for c in &j.compensation {
            println!("B2B compensation {} {} from {}{}: {}", m(c.amount), j.currency, c.from, if c.confirmed { "" } else { " *" }, c.source);
        }
        for c in &j.cost_caps {
            let tiers =
                c.tiers.iter().map(|t| format!("{}{}", m(t.max), t.up_to.map(|u| format!(" (≤{})", m(u))).unwrap_or_default())).collect::<Vec<_>>().join(", ");
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
    Ok(())
}
