//! Every use case called directly, as the HTTP service and the web pages will call them: typed
//! input, bytes for files, a `Serialize` result or a typed error. SQLite in a temporary
//! directory; the storage contract suite covers PostgreSQL.

use chrono::NaiveDate;
use fordra_app::bank::{BankFile, BankFormat};
use fordra_app::creditors::{CreditorChange, NewCreditor};
use fordra_app::customers::RefundInput;
use fordra_app::demo::{DemoInput, DEMO_CREDITOR, DEMO_EXPERIMENT};
use fordra_app::model::{ExplainInput, Explained, ModelChoice, TrainInput};
use fordra_app::pauses::NewPause;
use fordra_app::quote::QuoteRequest;
use fordra_app::run::RunInput;
use fordra_app::strategy::{BacktestInput, ChallengerInput};
use fordra_app::{App, AppError, ClaimId, CreditorId, CustomerId, Minor};
use fordra_core::domain::{ClaimStatus, Collector, DebtorKind, FeeKind, JurisdictionCode, PauseKind, Segment};
use fordra_core::law::LawBook;
use fordra_store::Store;
use std::collections::HashMap;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const CUSTOMERS: &[u8] = b"id,name,kind,language,email,phone,credit_score,credit_score_date,vip
anna,Anna Andersson,consumer,sv,anna@example.se,+46701234567,72,2024-01-10,no
bert,Bert Berg,consumer,sv,,,15,2024-02-01,no
bygg,Bygg AB,business,sv,ekonomi@bygg.se,,,,no
";

const INVOICES: &[u8] = b"id,customer_id,invoice_number,issue_date,due_date,amount,currency,paid_date
1001,anna,1001,2024-02-14,2024-03-15,10000.00,SEK,
1002,bert,1002,2024-02-14,2024-03-15,2500.00,SEK,
1003,bygg,1003,2024-02-14,2024-03-15,50000.00,SEK,
0901,anna,0901,2023-12-01,2023-12-31,400.00,SEK,2024-01-02
";

fn acme() -> NewCreditor {
    NewCreditor {
        id: CreditorId("acme".into()),
        name: "Acme AB".into(),
        jurisdiction: JurisdictionCode::SE,
        currency: None,
        reminder_fee_agreed: true,
        charge_interest: true,
        contract_rate: None,
        bankgiro: Some("5050-1055".into()),
        iban: vec![],
        collector: Collector::Own,
        agency_name: None,
        agency_licence: None,
    }
}

/// A store with Acme, its customers and invoices, on `today`.
fn portfolio(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::create(dir.path().join("t.db").to_str().unwrap()).unwrap();
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-20"));
    assert!(app.add_creditor(acme()).unwrap().created);
    let acme = CreditorId("acme".into());
    let c = app.import_customers(&acme, "customers.csv", CUSTOMERS).unwrap();
    assert_eq!((c.rows, c.created), (3, 3));
    let i = app.import_invoices(&acme, "invoices.csv", INVOICES).unwrap();
    assert_eq!(i.created, 4);
    store
}

fn acme_id() -> CreditorId {
    CreditorId("acme".into())
}

#[test]
fn creditors_add_show_list_update_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-20"));
    // The same creditor again is a no-op; another with its id a conflict.
    assert!(!app.add_creditor(acme()).unwrap().created);
    let mut other = acme();
    other.jurisdiction = JurisdictionCode::FI;
    let e = app.add_creditor(other).unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)));
    assert_eq!(e.to_string(), "creditor 'acme' already exists (Acme AB, SE law, SEK)");
    // Bounds: a name past its limit, a contract rate over 100 %.
    let mut long = acme();
    long.id = CreditorId("long".into());
    long.name = "x".repeat(10_000);
    assert!(matches!(app.add_creditor(long), Err(AppError::Invalid(_))));
    let mut usury = acme();
    usury.id = CreditorId("usury".into());
    usury.contract_rate = Some(rust_decimal::Decimal::from(150));
    let e = app.add_creditor(usury).unwrap_err().to_string();
    assert!(e.contains("contract rate: must be between 0 and 100 percent"), "{e}");
    // The jurisdiction's reference scheme and currency.
    let mut fi = acme();
    fi.id = CreditorId("suomi".into());
    fi.jurisdiction = JurisdictionCode::FI;
    let added = app.add_creditor(fi).unwrap();
    assert_eq!((added.currency, added.jurisdiction), ("EUR", "FI"));
    assert_eq!(fordra_app::creditors::default_scheme(JurisdictionCode::FI), fordra_core::reference::Scheme::Fi);
    assert_eq!(app.list_creditors().unwrap(), vec![acme_id(), CreditorId("suomi".into())]);
    assert!(matches!(app.resolve_creditor(None), Err(AppError::Conflict(_))));
    assert!(matches!(app.resolve_creditor(Some("ghost")), Err(AppError::NotFound { entity: "creditor", .. })));
    let v = app.show_creditor(&acme_id()).unwrap();
    assert_eq!((v.name.as_str(), v.runs), ("Acme AB", 0));
    let u = app
        .update_creditor(&acme_id(), &CreditorChange { name: Some("Acme Sverige AB".into()), ..Default::default() })
        .unwrap();
    assert_eq!(u.name, "Acme Sverige AB");
    let bad = CreditorChange { jurisdiction: Some(JurisdictionCode::FI), ..Default::default() };
    let e = app.update_creditor(&acme_id(), &bad).unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "claims exist: the jurisdiction stays");
    assert_eq!(app.show_creditor(&acme_id()).unwrap().jurisdiction, "SE");
    // Without claims the law may still change; a bankgiro of "" removes it.
    let suomi = CreditorId("suomi".into());
    let change = CreditorChange {
        jurisdiction: Some(JurisdictionCode::SE),
        currency: Some(fordra_core::money::Currency::SEK),
        bankgiro: Some(String::new()),
        ..Default::default()
    };
    let u = app.update_creditor(&suomi, &change).unwrap();
    assert_eq!((u.jurisdiction, u.currency, u.bankgiro), ("SE", "SEK", None));
}

#[test]
fn the_letters_logo_is_a_png_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-20"));
    let e = app.set_logo(&acme_id(), "logo.jpg", Some(b"\xff\xd8\xff\xe0 not a png")).unwrap_err();
    assert_eq!(e.to_string(), "logo.jpg: not a PNG image");
    let png = include_bytes!("../assets/demo-logo.png");
    app.set_logo(&acme_id(), "logo.png", Some(png)).unwrap();
    let logo = app.show_policy(&acme_id()).unwrap().letters.logo.unwrap();
    assert!(logo.starts_with("iVBORw0KGgo"), "base64 of the PNG");
    app.set_logo(&acme_id(), "--remove", None).unwrap();
    assert_eq!(app.show_policy(&acme_id()).unwrap().letters.logo, None);
}

#[test]
fn policy_show_set_default_with_experiments() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-20"));
    let p = app.show_policy(&acme_id()).unwrap();
    assert_eq!(p.to_toml(), fordra_app::policy::default_policy(JurisdictionCode::SE).to_toml());
    // A challenger added in the policy starts an experiment; removing it stops it.
    let mut with = p.clone();
    let mut steps = with.model(Segment::Normal).steps.clone();
    steps[0].days = 10;
    with.challengers.push(fordra_core::model::Challenger {
        name: "later".into(),
        segment: Segment::Normal,
        share: rust_decimal::Decimal::new(2, 1),
        from: d("2024-03-20"),
        steps,
    });
    let text = with.to_toml();
    let parsed = fordra_app::policy::parse_policy("with.toml", text.as_bytes()).unwrap();
    assert_eq!(
        app.set_policy(&acme_id(), parsed, "with.toml", &|_| Vec::new()).unwrap().started,
        vec!["later".to_string()]
    );
    assert_eq!(app.list_experiments(&acme_id()).unwrap()[0].outcome, "running");
    assert_eq!(
        app.set_policy(&acme_id(), p.clone(), "without.toml", &|_| Vec::new()).unwrap().stopped,
        vec!["later".to_string()]
    );
    assert_eq!(app.list_experiments(&acme_id()).unwrap()[0].outcome, "stopped");
    // One segment's model replaced (the model editor): a broken rule is named, nothing saved;
    // valid steps are saved and the other segments keep theirs.
    let mut steps = p.model(Segment::Vip).steps.clone();
    steps[0].payment_days = 0;
    let e = app.set_segment_model(&acme_id(), Segment::Vip, steps.clone(), "the editor", &|_| Vec::new()).unwrap_err();
    assert!(e.to_string().contains("payment_days must be at least 1"), "{e}");
    assert_eq!(app.show_policy(&acme_id()).unwrap().model(Segment::Vip).steps, p.model(Segment::Vip).steps);
    steps[0].payment_days = 20;
    app.set_segment_model(&acme_id(), Segment::Vip, steps.clone(), "the editor", &|_| Vec::new()).unwrap();
    let now = app.show_policy(&acme_id()).unwrap();
    assert_eq!(now.model(Segment::Vip).steps, steps);
    assert_eq!(now.model(Segment::Risk).steps, p.model(Segment::Risk).steps);
    // Bad input names its source.
    let e = fordra_app::policy::parse_policy("bad.toml", b"nonsense = [").unwrap_err();
    assert!(matches!(&e, AppError::Invalid(i) if i.source == "bad.toml"), "{e}");
}

#[test]
fn imports_refuse_bad_rows_with_source_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-20"));
    let e = app
        .import_invoices(
            &acme_id(),
            "up.csv",
            b"id,customer_id,issue_date,due_date,amount\n9,anna,2024-01-01,2024-01-31,1x\n",
        )
        .unwrap_err();
    match e {
        AppError::Invalid(i) => {
            assert_eq!((i.source.as_str(), i.line, i.column.as_deref()), ("up.csv", Some(2), Some("amount")));
        }
        e => panic!("{e:?}"),
    }
    // The same file again changes nothing.
    assert_eq!(app.import_invoices(&acme_id(), "invoices.csv", INVOICES).unwrap().unchanged, 4);
    assert_eq!(app.import_customers(&acme_id(), "customers.csv", CUSTOMERS).unwrap().unchanged, 3);
}

#[test]
fn the_daily_run_dry_and_real_then_timeline_customer_and_revert() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    let dry = app.run_day(&acme_id(), RunInput { date: d("2024-03-25"), dry_run: true, allow_future: false }).unwrap();
    assert_eq!(dry.actions_created, 0);
    assert!(!dry.actions.is_empty());
    let real =
        app.run_day(&acme_id(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    assert_eq!(real.actions_created, dry.actions.len());
    let json = serde_json::to_value(&real).unwrap();
    assert!(json["actions"][0]["fee"].is_string(), "amounts are decimal strings: {json}");
    let far = app.run_day(&acme_id(), RunInput { date: d("2024-05-25"), dry_run: false, allow_future: false });
    assert!(matches!(far, Err(AppError::Invalid(_))), "{far:?}");
    let t = app.claim_timeline(&acme_id(), &ClaimId("1001".into())).unwrap();
    assert_eq!(t.status, ClaimStatus::Open);
    assert!(t.timeline.iter().any(|e| e.event.starts_with("step 1")), "{:?}", t.timeline);
    assert_eq!(t.balances.principal, Minor(1_000_000));
    assert!(matches!(
        app.claim_timeline(&acme_id(), &ClaimId("nope".into())),
        Err(AppError::NotFound { entity: "claim", .. })
    ));
    let c = app.customer_view(&acme_id(), &CustomerId("anna".into())).unwrap();
    assert_eq!(c.claims.len(), 2);
    assert!(!c.actions.is_empty());
    let vip = app.set_vip(&acme_id(), &CustomerId("bert".into()), true).unwrap();
    assert!(vip.vip);
    let r = app.revert_run(&acme_id(), d("2024-03-25"), "dated by mistake").unwrap();
    assert_eq!(r.actions as usize, real.actions.len());
    assert!(app
        .claim_timeline(&acme_id(), &ClaimId("1001".into()))
        .unwrap()
        .timeline
        .iter()
        .any(|e| e.event.contains("(reverted)")));
}

#[test]
fn pauses_add_list_end_with_the_plan_fee_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    let plan = NewPause {
        claim: Some(ClaimId("1001".into())),
        customer: None,
        kind: PauseKind::PaymentPlan,
        from: d("2024-03-25"),
        until: Some(d("2024-06-25")),
        reason: "three instalments".into(),
        plan_fee: true,
        instalments: Some(3),
    };
    let a = app.add_pause(&acme_id(), &plan).unwrap();
    assert!(a.fee.0 > 0, "the statutory plan fee");
    assert_eq!(app.add_pause(&acme_id(), &plan).unwrap().pause, a.pause, "the same pause again is the one there");
    let mut wrong = plan.clone();
    wrong.kind = PauseKind::Hold;
    assert!(matches!(app.add_pause(&acme_id(), &wrong), Err(AppError::Invalid(_))));
    assert_eq!(app.list_pauses(&acme_id()).unwrap().len(), 1);
    assert_eq!(app.end_pause(&acme_id(), a.pause, d("2024-03-26"), "kept").unwrap().ended, d("2024-03-26"));
    assert!(matches!(app.end_pause(&acme_id(), 999, d("2024-03-26"), "x"), Err(AppError::NotFound { .. })));
}

#[test]
fn reports_aging_segments_dso() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    app.run_day(&acme_id(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let a = app.aging(&acme_id(), d("2024-03-25")).unwrap();
    assert_eq!(a.buckets.iter().map(|b| b.claims).sum::<usize>(), 3);
    let s = app.segments(&acme_id(), d("2024-03-25")).unwrap();
    assert_eq!(s.segments.iter().map(|x| x.customers).sum::<usize>(), 3);
    let dso = app.dso(&acme_id(), d("2024-03-25"), 90).unwrap();
    assert_eq!(dso.currencies[0].currency, "SEK");
    assert!(matches!(app.dso(&acme_id(), d("2024-03-25"), 0), Err(AppError::Invalid(_))));
}

#[test]
fn bank_files_unmatched_assign_report_and_refund() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    // A CSV bank file: one payment by invoice id (over the claim: the rest is credit), one
    // nobody can place.
    let csv = b"id,date,amount,invoice_id,reference,payer\np1,2024-03-20,2600.00,1002,,Bert Berg\np2,2024-03-20,123.00,,,Okand\n";
    let mut seen = Vec::new();
    let file = BankFile { source: "bank.csv", bytes: csv, format: None, dry_run: false };
    let r = app.import_bank_file(&acme_id(), file, &mut |p| {
        seen.push(p);
        Ok(())
    });
    let r = r.unwrap();
    assert_eq!((r.format, r.matched, r.unmatched), (BankFormat::Csv, 1, 1));
    assert_eq!(seen.len(), 2);
    // The same file again books nothing.
    let again = app.import_bank_file(&acme_id(), file, &mut |_| Ok(())).unwrap();
    assert!(again.file_seen_before);
    let q = app.unmatched_payments(&acme_id()).unwrap();
    assert_eq!(q.len(), 1);
    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(json[0]["amount"], "123.00", "one money format: {json}");
    let booked = app.assign_payment(&acme_id(), &q[0].key, &ClaimId("1001".into())).unwrap();
    assert_eq!(serde_json::to_value(&booked).unwrap()["amount"], "123.00");
    let report = app.payment_report(&acme_id(), d("2024-03-01"), d("2024-03-31")).unwrap();
    assert_eq!(report.len(), 2);
    // Bert's overpayment is credit, paid back once.
    let refund = RefundInput {
        customer: CustomerId("bert".into()),
        amount: Minor(50_00),
        currency: None,
        date: d("2024-03-25"),
        note: "back".into(),
    };
    let first = app.refund(&acme_id(), &refund).unwrap();
    assert_eq!(app.refund(&acme_id(), &refund).unwrap().refund, first.refund);
    // A BgMax file is detected by its content.
    assert_eq!(fordra_app::bank::detect(b"01BGMAX               0120240320100000P\n"), BankFormat::Bgmax);
}

#[test]
fn quote_and_references_need_no_database() {
    let law = LawBook::embedded();
    let q = QuoteRequest {
        jurisdiction: JurisdictionCode::SE,
        debtor: DebtorKind::Consumer,
        principal: Minor(1_000_000),
        currency: None,
        due: d("2024-03-15"),
        as_of: d("2024-05-14"),
        steps: vec![FeeKind::Reminder],
        reminder_fee_agreed: true,
        contract_rate: None,
        collector: Collector::Own,
        demand_date: None,
        instalments: None,
    };
    // 10 000 × 12 % × 60 / 365 = 197.26 (räntelagen 6 §: reference rate 4 % + 8).
    assert_eq!(fordra_app::quote::quote(&law, &q).unwrap().interest, Minor(197_26));
    let mut eu = q.clone();
    eu.jurisdiction = JurisdictionCode::EU;
    assert!(matches!(fordra_app::quote::quote(&law, &eu), Err(AppError::Unlawful { .. })));
    let r = fordra_app::law::make_reference(fordra_core::reference::Scheme::SeOcrLen, "1234").unwrap();
    assert!(fordra_app::law::check_reference(&r.reference).valid);
    assert!(!fordra_app::law::export_law(&law).unwrap().is_empty());
    assert!(fordra_app::law::parse_law("x.toml", b"version = ").is_err());
}

#[test]
fn history_model_and_strategy_lab_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("demo.db").to_str().unwrap()).unwrap();
    let law = LawBook::embedded();
    let end = d("2026-10-30");
    let mut app = App::new(&mut store, &law, end);
    let mut days = 0;
    let demo = app
        .demo(&DemoInput { customers: 300, days: 30, seed: 7, end, no_lab: false }, &mut |_| days += 1, None)
        .unwrap();
    assert_eq!(days, 30);
    assert!(demo.model.is_some() && demo.experiment.is_some(), "{:?}", demo.notes);
    let demo_id = CreditorId(DEMO_CREDITOR.into());
    // History from bytes with a saved mapping.
    let h = fordra_app::history::HistoryImport {
        source: "ar.csv",
        bytes: b"Kund,Faktura,Datum,Forfall,Belopp\nk1,H1,2024-01-01,2024-01-31,100.00\n",
        mapping_file: Some((
            "map.toml",
            b"customer = \"Kund\"\ninvoice = \"Faktura\"\ninvoice_date = \"Datum\"\ndue_date = \"Forfall\"\namount = \"Belopp\"\n",
        )),
        currency: None,
        maps: vec![],
        date_format: None,
        features: vec![],
    };
    assert_eq!(app.import_history(&demo_id, &h).unwrap().created, 1);
    // Models.
    let t = app.train_model(&demo_id, TrainInput { until: end, late_after: 10, very_late_after: 30 }).unwrap();
    assert_eq!(t.model["version"], 2);
    assert_eq!(app.list_models(&demo_id).unwrap().len(), 2);
    assert_eq!(app.use_model(&demo_id, 1).unwrap().active, 1);
    assert!(matches!(app.use_model(&demo_id, 9), Err(AppError::NotFound { .. })));
    let e = app.evaluate_model(&demo_id, d("2026-06-01"), None, 10, 30).unwrap();
    assert!(e.test_invoices > 0 && e.auc.is_some());
    let g = app.explain_model(&demo_id, &ExplainInput { chart: true, ..Default::default() }).unwrap();
    assert!(
        matches!(&g, Explained::Global { chart: Some(svg), factors, .. } if svg.starts_with("<svg") && !factors.is_empty())
    );
    let one = ExplainInput {
        model: ModelChoice::Version(2),
        customer: Some("C000007".into()),
        date: Some(end),
        ..Default::default()
    };
    assert!(matches!(app.explain_model(&demo_id, &one).unwrap(), Explained::Subject { .. }));
    let s = app.score(&demo_id, end, true).unwrap();
    assert!(s.scores.windows(2).all(|w| w[0].p_late >= w[1].p_late), "riskiest first");
    // Only invoices open at the end of the day, each with a pay date after it.
    let (_, claims) = app.store.report_data(&demo_id, end).unwrap();
    let settled: HashMap<&str, Option<NaiveDate>> = claims.iter().map(|c| (c.id.as_str(), c.settled_date)).collect();
    let claims_listed = s.scores.iter().filter(|r| settled.contains_key(r.invoice.as_deref().unwrap())).count();
    assert!(claims_listed > 100, "{claims_listed}");
    for r in &s.scores {
        let id = r.invoice.as_deref().unwrap();
        // A claim of Fordra's not settled by the day (or an imported invoice, open in the export).
        assert!(settled.get(id).is_none_or(|s| s.is_none()), "{id} is not open on {end}");
        assert!(r.pay_date.unwrap() > end && r.due_date.is_some(), "{r:?}");
    }
    let f = app.forecast(&demo_id, end, 8).unwrap();
    assert_eq!(f.weeks.len(), 9);
    assert_eq!(f.weeks.iter().map(|w| w.expected.0).sum::<i64>(), f.open_amount.0);
    // The strategy lab.
    let r = app.experiment_report(&demo_id, DEMO_EXPERIMENT, end, 30, &Default::default()).unwrap();
    assert!(r.report.champion.customers > 0);
    let text = app.segment_steps(&demo_id, Segment::Risk).unwrap();
    let steps = fordra_app::strategy::parse_steps("risk.toml", text.as_bytes()).unwrap();
    let b = app.backtest(
        &demo_id,
        &BacktestInput { segment: Segment::Normal, steps: steps.clone(), from: None, to: None, horizon: 10, date: end },
    );
    let b = b.unwrap();
    assert!(b.claims > 0);
    let stop = app.stop_challenger(&demo_id, DEMO_EXPERIMENT, end).unwrap();
    assert_eq!(stop.stopped, Some(end));
    let ch = ChallengerInput {
        name: "risk-like".into(),
        segment: Segment::Normal,
        share: rust_decimal::Decimal::new(1, 1),
        steps,
        from: end,
    };
    app.start_challenger(&demo_id, &ch, "risk.toml").unwrap();
    assert_eq!(app.adopt_challenger(&demo_id, "risk-like", end).unwrap().segment, Some(Segment::Normal));
    assert!(matches!(app.adopt_challenger(&demo_id, "risk-like", end), Err(AppError::NotFound { .. })));
}

/// Every customer's and every invoice's predicted risk with its reasons, as a run on `date` would
/// see them (computed in a transaction rolled back, so nothing is kept by looking).
fn predictions(store: &mut Store, date: NaiveDate) -> String {
    store
        .tx_or_rollback(DEMO_CREDITOR, true, |s| -> Result<String, AppError> {
            let cr = s.creditor(DEMO_CREDITOR)?;
            let mut state = s.load_run_state(&cr, date)?;
            fordra_app::predict::attach(s, &cr, &mut state, date, false)?;
            let customers: Vec<String> =
                state.customers.iter().map(|c| format!("{} {:?}", c.id, c.predicted)).collect();
            let claims: Vec<String> = state.claims.iter().map(|c| format!("{} {:?}", c.id, c.predicted)).collect();
            Ok(format!("{customers:#?}\n{claims:#?}"))
        })
        .unwrap()
}

/// The model's scores kept from run to run are the scores computed afresh. Two copies of the
/// demo live the same days and changes — new invoices, invoices reported paid weeks back,
/// credit scores changed, days passing over invoice and due dates — one keeping its scores, the
/// other forgetting them before each day: every prediction, reason and decision is the same.
#[test]
fn kept_model_scores_are_the_scores_computed_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let law = LawBook::embedded();
    let start = d("2026-10-30");
    let paths = [dir.path().join("kept.db"), dir.path().join("afresh.db")];
    {
        let mut store = Store::create(paths[0].to_str().unwrap()).unwrap();
        let mut app = App::new(&mut store, &law, start);
        app.demo(&DemoInput { customers: 300, days: 30, seed: 11, end: start, no_lab: false }, &mut |_| {}, None)
            .unwrap();
    }
    std::fs::copy(&paths[0], &paths[1]).unwrap();
    let mut stores = paths.map(|p| Store::open(p.to_str().unwrap()).unwrap());
    let demo = CreditorId(DEMO_CREDITOR.into());
    let (mut changed_scores, mut reported_paid) = (0, 0);
    for k in 1..=6 {
        let date = start + chrono::Duration::days(k);
        let mut seen = Vec::new();
        for (n, store) in stores.iter_mut().enumerate() {
            let customers = store.customer_ids(DEMO_CREDITOR).unwrap();
            match k {
                // New invoices, some due within the nudge window.
                1 => {
                    let mut csv =
                        String::from("id,customer_id,invoice_number,issue_date,due_date,amount,currency,paid_date\n");
                    for (i, c) in customers.iter().step_by(15).enumerate() {
                        let due = date + chrono::Duration::days(3 + (i as i64 % 10));
                        csv.push_str(&format!("N{i},{c},N{i},{date},{due},{}.00,SEK,\n", 500 + 37 * i));
                    }
                    App::new(store, &law, date).import_invoices(&demo, "new.csv", csv.as_bytes()).unwrap();
                }
                // Invoices reported paid three weeks back, before the day the scores were kept.
                2 | 5 => {
                    let mut csv =
                        String::from("id,customer_id,invoice_number,issue_date,due_date,amount,currency,paid_date\n");
                    let mut n_paid = 0;
                    for c in customers.iter().skip(k as usize).step_by(9) {
                        let open = store.claims_of_customer(DEMO_CREDITOR, c).unwrap();
                        let Some(claim) = open.iter().find(|x| {
                            x.status == ClaimStatus::Open && x.issue_date < date - chrono::Duration::days(21)
                        }) else {
                            continue;
                        };
                        let paid = date - chrono::Duration::days(20);
                        csv.push_str(&format!(
                            "{},{},{},{},{},{},{},{paid}\n",
                            claim.id,
                            claim.customer_id,
                            claim.invoice_number,
                            claim.issue_date,
                            claim.due_date,
                            fordra_core::money::format_minor(claim.principal),
                            claim.currency.code()
                        ));
                        n_paid += 1;
                    }
                    let r = App::new(store, &law, date).import_invoices(&demo, "paid.csv", csv.as_bytes()).unwrap();
                    assert_eq!(r.settled, n_paid);
                    reported_paid += usize::from(n == 0) * n_paid;
                }
                // Credit scores changed.
                3 => {
                    let rows: Vec<fordra_store::CustomerRow> = customers
                        .iter()
                        .step_by(7)
                        .map(|c| {
                            let mut row = store.customer(DEMO_CREDITOR, c).unwrap();
                            row.credit_score = Some(row.credit_score.map_or(5, |s| (s + 50) % 100));
                            row.credit_score_date = Some(date);
                            row
                        })
                        .collect();
                    changed_scores = rows.len();
                    App::new(store, &law, date).import_customer_rows(&demo, &rows, "scores.csv").unwrap();
                }
                _ => {}
            }
            if n == 1 {
                store.forget_kept_scores(DEMO_CREDITOR).unwrap();
            }
            let predicted = predictions(store, date);
            let run =
                App::new(store, &law, date).decide_day(&demo, RunInput { date, dry_run: false, allow_future: false });
            seen.push((predicted, serde_json::to_string(&run.unwrap()).unwrap()));
        }
        assert!(seen[0].0 == seen[1].0, "day {k}: the kept predictions differ from those computed afresh");
        assert!(seen[0].1 == seen[1].1, "day {k}: the decisions differ");
    }
    assert!(changed_scores > 10 && reported_paid > 10, "{changed_scores} scores changed, {reported_paid} paid");
    // The kept scores are there to be used.
    let (version, day) = stores[0].kept_scores_day(DEMO_CREDITOR).unwrap().unwrap();
    assert_eq!((version, day), (1, start + chrono::Duration::days(6)));
}
