//! A deterministic simulation of a creditor's months: invoices, daily runs, payments arriving
//! late (dated before runs already made), bank files by reference, reversals, pauses added after
//! the fact, advisors assigning payments, refunds, and every command repeated. The seed is printed
//! on failure; `FORDRA_SIM_SEED` and `FORDRA_SIM_STEPS` replay or lengthen it.
//!
//! After every step: the ledger is the ledger of record (nothing left to correct), balances are
//! sums of entries and never negative, a paid claim has nothing open, credit is what the credit
//! entries say, every bank file adds up, and a repeated command changed nothing. At the end the
//! same facts are processed again in date order on a fresh database (each payment, reversal and
//! pause before the run of its date): wherever the steps that stand are the same, every balance
//! is the same.

use super::{cust, d, inv, setup, TestDb, UseCases};
use chrono::{Duration, NaiveDate};
use fordra_app::booking::{FileItem, Reversal, ReversalTarget};
use fordra_core::domain::{DebtorKind, JurisdictionCode, PauseKind};
use fordra_core::law::LawBook;
use fordra_core::matching::Incoming;
use fordra_store::{PaymentRow, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

const CUSTOMERS: [(&str, DebtorKind); 10] = [
    ("s1", DebtorKind::Consumer),
    ("s2", DebtorKind::Consumer),
    ("s3", DebtorKind::Consumer),
    ("s4", DebtorKind::Business),
    ("s5", DebtorKind::Business),
    ("s6", DebtorKind::Consumer),
    ("s7", DebtorKind::Consumer),
    ("s8", DebtorKind::Business),
    ("s9", DebtorKind::Consumer),
    ("s10", DebtorKind::Consumer),
];

/// A fact as it happened, with the date it belongs to (the in-time replay orders by it).
#[derive(Clone, Debug)]
enum Fact {
    Invoice(fordra_store::InvoiceRow),
    Payment(PaymentRow),
    BankFile(String, Vec<FileItem>),
    Pause {
        claim: String,
        kind: PauseKind,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: String,
        fee: bool,
    },
    EndPause {
        claim: String,
        reason: String,
        date: NaiveDate,
    },
    Refund {
        customer: String,
        amount: i64,
        date: NaiveDate,
    },
    /// An advisor books a queued payment to a claim on day `at` (it is allocated as of its own date).
    Assign {
        key: String,
        claim: String,
        at: NaiveDate,
    },
    Run(NaiveDate),
}

impl Fact {
    fn date(&self) -> NaiveDate {
        match self {
            Fact::Invoice(r) => r.issue_date,
            Fact::Payment(p) => p.date,
            Fact::BankFile(_, items) => items
                .iter()
                .map(|i| match i {
                    FileItem::Payment(p) => p.date,
                    FileItem::Reversal(r) => r.date,
                    FileItem::Refused { date, .. } => *date,
                })
                .max()
                .unwrap_or(NaiveDate::MIN),
            Fact::Pause { from, .. } => *from,
            Fact::EndPause { date, .. } => *date,
            Fact::Refund { date, .. } => *date,
            Fact::Assign { at, .. } => *at,
            Fact::Run(d) => *d,
        }
    }
}

struct Sim {
    rng: ChaCha8Rng,
    s: Store,
    law: LawBook,
    day: NaiveDate,
    claims: Vec<(String, String, i64)>,
    files: usize,
    payments: usize,
    /// Bank payments booked (their keys), for reversals.
    booked: Vec<String>,
    /// Everything that happened, in arrival order.
    facts: Vec<Fact>,
}

fn fingerprint(s: &mut Store) -> String {
    let mut out = String::new();
    for t in s.ledger_totals("acme").unwrap() {
        out.push_str(&format!("{t:?}\n"));
    }
    for c in CUSTOMERS.iter().map(|c| c.0) {
        for a in s.actions_of_customer("acme", c).unwrap() {
            out.push_str(&format!("{} {} {} {}\n", a.claim_id, a.seq, a.kind, a.date));
        }
        out.push_str(&format!("credit {c} {}\n", s.customer_credit("acme", c).unwrap()));
    }
    out.push_str(&format!("pauses {}\n", s.pauses("acme").unwrap().len()));
    out.push_str(&format!("unmatched {}\n", s.unmatched_payments("acme").unwrap().len()));
    out
}

impl Sim {
    fn new(url: &str, seed: u64) -> Sim {
        let (mut s, law) = setup(url);
        let customers: Vec<_> =
            CUSTOMERS.iter().map(|(id, k)| cust(id, *k, false, Some(if *id == "s3" { 20 } else { 70 }))).collect();
        s.upsert_customers("acme", &customers).unwrap();
        let day = d("2024-03-01");
        s.set_today(day);
        Sim {
            rng: ChaCha8Rng::seed_from_u64(seed),
            s,
            law,
            day,
            claims: vec![],
            files: 0,
            payments: 0,
            booked: vec![],
            facts: vec![],
        }
    }

    fn claim(&mut self) -> Option<(String, String, i64)> {
        (!self.claims.is_empty()).then(|| self.claims[self.rng.gen_range(0..self.claims.len())].clone())
    }

    fn no_claim() -> (String, Option<Fact>) {
        ("no claim yet".into(), None)
    }

    /// One random operation; returns a description and whether it may be repeated.
    fn step(&mut self) -> (String, Option<Fact>) {
        let roll = self.rng.gen_range(0..100);
        match roll {
            0..=14 => {
                let n = self.claims.len();
                let (customer, _) = CUSTOMERS[self.rng.gen_range(0..CUSTOMERS.len())];
                let amount = self.rng.gen_range(50_00..5_000_00);
                let due = self.day + Duration::days(self.rng.gen_range(5..30));
                let mut row = inv(2, &format!("c{n:03}"), customer, &due.to_string(), amount, None);
                row.issue_date = self.day;
                row.reference = Some(
                    fordra_core::reference::make(fordra_core::reference::Scheme::SeOcr, &format!("{}", 5000 + n))
                        .unwrap(),
                );
                self.s.import_invoices("acme", &self.law, std::slice::from_ref(&row), &format!("inv{n}.csv")).unwrap();
                self.claims.push((row.id.clone(), customer.to_string(), amount));
                (format!("invoice {} due {due}", row.id), Some(Fact::Invoice(row)))
            }
            15..=39 => {
                let date = self.day + Duration::days(self.rng.gen_range(1..4));
                self.day = date;
                self.s.set_today(date);
                self.s.run_day("acme", &self.law, date, false).unwrap();
                (format!("run {date}"), Some(Fact::Run(date)))
            }
            40..=59 => {
                let Some((claim, _, amount)) = self.claim() else { return Sim::no_claim() };
                // Often dated before runs already made: the payment arrives late.
                let date = self.day - Duration::days(self.rng.gen_range(0..15));
                let pay = match self.rng.gen_range(0..4) {
                    0 => amount / 2,
                    1 => amount + self.rng.gen_range(0..300_00),
                    _ => amount + self.rng.gen_range(0..50_00),
                };
                self.payments += 1;
                let p = PaymentRow {
                    line: 2,
                    id: format!("p{}", self.payments),
                    claim_id: claim.clone(),
                    date,
                    amount: pay,
                    currency: fordra_core::money::Currency::SEK,
                    reference: None,
                    payer: None,
                };
                self.s.book_payments("acme", &self.law, std::slice::from_ref(&p), "bank.csv").unwrap();
                (format!("payment {} of {pay} to {claim} dated {date}", p.id), Some(Fact::Payment(p)))
            }
            60..=71 => {
                // A bank file: one or two payments by reference (one sometimes unknown), and
                // sometimes the reversal of a payment booked earlier.
                self.files += 1;
                let mut items = Vec::new();
                for k in 0..self.rng.gen_range(1..3) {
                    let Some((claim, _, amount)) = self.claim() else { return Sim::no_claim() };
                    let n = claim.trim_start_matches('c').parse::<usize>().unwrap_or(0);
                    let reference = if self.rng.gen_bool(0.15) {
                        "999999".to_string()
                    } else {
                        fordra_core::reference::make(fordra_core::reference::Scheme::SeOcr, &format!("{}", 5000 + n))
                            .unwrap()
                    };
                    let date = self.day - Duration::days(self.rng.gen_range(0..10));
                    items.push(FileItem::Payment(Incoming {
                        key: format!("f{}:{k}", self.files),
                        date,
                        amount: amount / self.rng.gen_range(1..3),
                        currency: "SEK".into(),
                        references: vec![reference],
                        text: vec![],
                        payer: None,
                        claim: None,
                        line: k + 1,
                        account: None,
                    }));
                }
                if !self.booked.is_empty() && self.rng.gen_bool(0.3) {
                    let key = self.booked[self.rng.gen_range(0..self.booked.len())].clone();
                    items.push(FileItem::Reversal(Reversal {
                        key: format!("f{}:rev", self.files),
                        line: 9,
                        date: self.day,
                        target: ReversalTarget::Key(key),
                    }));
                }
                let name = format!("file{}", self.files);
                let r = self
                    .s
                    .import_bank_payments(
                        "acme",
                        &self.law,
                        "sim",
                        &name,
                        &name,
                        &mut items.clone().into_iter().map(Ok),
                        false,
                    )
                    .unwrap();
                let sum: i64 = r.totals.iter().map(|t| t.amount).sum();
                let file: i64 = r.file_total.iter().map(|t| t.1).sum();
                assert_eq!(sum, file, "a bank file's statuses add up to the file");
                for p in &r.payments {
                    if p.status.as_str().contains("matched") || p.status == "overpaid" {
                        self.booked.push(p.key.clone());
                    }
                }
                (
                    format!(
                        "bank file {name}: {:?}",
                        r.payments.iter().map(|p| (&p.key, &p.status)).collect::<Vec<_>>()
                    ),
                    Some(Fact::BankFile(name, items)),
                )
            }
            72..=79 => {
                let Some((claim, _, _)) = self.claim() else { return Sim::no_claim() };
                let kind = [PauseKind::Promise, PauseKind::Hold, PauseKind::PaymentPlan, PauseKind::Dispute]
                    [self.rng.gen_range(0..4)];
                // Sometimes recorded after the fact.
                let from = self.day - Duration::days(self.rng.gen_range(0..6));
                let until = (kind != PauseKind::Dispute).then(|| from + Duration::days(self.rng.gen_range(3..20)));
                let fee = kind == PauseKind::PaymentPlan;
                let reason = format!("{kind} from {from}");
                self.s.add_pause("acme", &self.law, Some(&claim), None, kind, from, until, &reason, fee, None).unwrap();
                (
                    format!("pause {kind} on {claim} from {from}"),
                    Some(Fact::Pause { claim, kind, from, until, reason, fee }),
                )
            }
            80..=83 => {
                let open: Vec<_> = self
                    .s
                    .pauses("acme")
                    .unwrap()
                    .into_iter()
                    .filter(|p| p.pause.ended.is_none() && p.pause.from <= self.day)
                    .collect();
                if open.is_empty() {
                    return ("no pause to end".into(), None);
                }
                let p = &open[self.rng.gen_range(0..open.len())];
                self.s.end_pause("acme", p.id, self.day, "resolved").unwrap();
                let claim = p.claim_id.clone().unwrap_or_default();
                (
                    format!("end pause {}", p.id),
                    Some(Fact::EndPause { claim, reason: p.pause.reason.clone(), date: self.day }),
                )
            }
            84..=89 => {
                let q = self.s.unmatched_payments("acme").unwrap();
                let Some((claim, _, _)) = self.claim() else { return Sim::no_claim() };
                let Some(u) = q.first() else { return ("nothing to assign".into(), None) };
                let r = self.s.assign_payment("acme", &self.law, &u.key, &claim).unwrap();
                assert!(matches!(r.status.as_str(), "matched" | "partly matched" | "overpaid"), "{r:?}");
                self.booked.push(u.key.clone());
                (format!("assign {} to {claim}", u.key), Some(Fact::Assign { key: u.key.clone(), claim, at: self.day }))
            }
            90..=93 => {
                let Some((_, customer, _)) = self.claim() else { return Sim::no_claim() };
                let credit = self.s.customer_credit("acme", &customer).unwrap();
                if credit <= 0 {
                    return ("no credit to refund".into(), None);
                }
                let amount = self.rng.gen_range(1..=credit);
                self.s.refund("acme", &self.law, &customer, amount, None, self.day, "sim").unwrap();
                (format!("refund {amount} to {customer}"), Some(Fact::Refund { customer, amount, date: self.day }))
            }
            _ => {
                // Repeat the last command: nothing may change.
                let Some(last) = self.facts.last().cloned() else { return ("nothing to repeat".into(), None) };
                let before = fingerprint(&mut self.s);
                self.replay(&last, true);
                assert_eq!(fingerprint(&mut self.s), before, "repeating {last:?} changed something");
                (format!("repeat {last:?}"), None)
            }
        }
    }

    /// Applies a fact (again); `repeat` tolerates what a repeat legitimately refuses.
    fn replay(&mut self, f: &Fact, repeat: bool) {
        let r: Result<(), String> = match f {
            Fact::Invoice(row) => self
                .s
                .import_invoices("acme", &self.law, std::slice::from_ref(row), "inv.csv")
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Fact::Payment(p) => self
                .s
                .book_payments("acme", &self.law, std::slice::from_ref(p), "bank.csv")
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Fact::BankFile(name, items) => self
                .s
                .import_bank_payments(
                    "acme",
                    &self.law,
                    "sim",
                    name,
                    name,
                    &mut items.clone().into_iter().map(Ok),
                    false,
                )
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Fact::Pause { claim, kind, from, until, reason, fee } => self
                .s
                .add_pause("acme", &self.law, Some(claim), None, *kind, *from, *until, reason, *fee, None)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Fact::EndPause { claim, reason, date } => {
                let p = self.s.pauses("acme").unwrap().into_iter().find(|p| {
                    p.claim_id.as_deref() == Some(claim.as_str())
                        && &p.pause.reason == reason
                        && p.pause.ended.is_none()
                });
                match p {
                    Some(p) => self.s.end_pause("acme", p.id, *date, "resolved").map_err(|e| e.to_string()),
                    None => Ok(()),
                }
            }
            Fact::Refund { customer, amount, date } => self
                .s
                .refund("acme", &self.law, customer, *amount, None, *date, "sim")
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Fact::Assign { key, claim, .. } => {
                self.s.assign_payment("acme", &self.law, key, claim).map(|_| ()).map_err(|e| e.to_string())
            }
            Fact::Run(date) => self.s.run_day("acme", &self.law, *date, false).map(|_| ()).map_err(|e| e.to_string()),
        };
        if !repeat {
            r.unwrap();
        }
    }

    /// The properties that hold after every step (`Store::verify`: the ledger is the ledger of
    /// record, no component negative, paid exactly when nothing is open, no negative credit).
    fn check(&mut self, what: &str) {
        let c = self.s.creditor("acme").unwrap();
        let j = self.law.jurisdiction(JurisdictionCode::SE).unwrap().clone();
        let problems = self.s.verify(&c, &j).unwrap();
        assert!(problems.is_empty(), "after {what}: {problems:?}");
    }
}

/// Steps that stand, per claim: (date, kind), from a database's ledger of record.
fn standing(s: &mut Store, law: &LawBook, customer: &str) -> BTreeMap<String, Vec<(NaiveDate, String)>> {
    let c = s.creditor("acme").unwrap();
    let st = s.settlement(&c, law.jurisdiction(JurisdictionCode::SE).unwrap(), customer).unwrap();
    let actions = s.actions_of_customer("acme", customer).unwrap();
    let mut out: BTreeMap<String, Vec<(NaiveDate, String)>> = BTreeMap::new();
    for o in st.steps.iter().filter(|o| o.stands) {
        if let Some(a) = actions.iter().find(|a| a.claim_id == o.claim && a.seq == i64::from(o.seq)) {
            out.entry(o.claim.clone()).or_default().push((a.date, a.kind.to_string()));
        }
    }
    out
}

fn simulate(url: &str, fresh: &dyn Fn() -> Option<TestDb>) {
    let seed: u64 = std::env::var("FORDRA_SIM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261123);
    let steps: usize = std::env::var("FORDRA_SIM_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(1200);
    let worlds: u64 = std::env::var("FORDRA_SIM_WORLDS").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
    let guard = |seed: u64, f: &mut dyn FnMut()| {
        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            eprintln!("simulation failed with seed {seed}: replay with FORDRA_SIM_SEED={seed}");
            std::panic::resume_unwind(e);
        }
    };
    // One long history, the properties checked after every step.
    guard(seed, &mut || {
        let db = fresh().unwrap_or_else(|| panic!("a fresh database like {url}"));
        let sim = run(&db.url, seed, steps);
        eprintln!(
            "simulation seed {seed}: {steps} steps on {url}, {} claims, {} facts",
            sim.claims.len(),
            sim.facts.len()
        );
    });
    // Many short ones, each also processed again in date order and compared.
    let (mut compared, mut customers) = (0, 0);
    for k in 0..worlds {
        let seed = seed + 1000 + k;
        guard(seed, &mut || {
            let (c, n) = orders(url, fresh, seed, 60);
            compared += c;
            customers += n;
        });
    }
    eprintln!("date-order replay on {url}: {compared} of {customers} customers had the same steps standing, and the same balances");
    assert!(
        compared * 4 >= customers,
        "too few customers comparable ({compared} of {customers}): the simulation no longer tests the order"
    );
}

fn run(url: &str, seed: u64, steps: usize) -> Sim {
    let mut sim = Sim::new(url, seed);
    let mut log: Vec<String> = Vec::new();
    for i in 0..steps {
        let (what, fact) = sim.step();
        if let Some(f) = fact {
            sim.facts.push(f);
        }
        log.push(format!("{i}: {what}"));
        sim.check(&log.iter().rev().take(3).cloned().collect::<Vec<_>>().join(" / "));
    }
    sim
}

/// A short history, then the same facts in date order on a fresh database: how many customers
/// could be compared (the same steps stand in both, so every balance must be the same), of how many.
fn orders(url: &str, fresh: &dyn Fn() -> Option<TestDb>, seed: u64, steps: usize) -> (usize, usize) {
    let db = fresh().unwrap_or_else(|| panic!("a fresh database like {url}"));
    let mut sim = run(&db.url, seed, steps);
    // The same facts in date order on a fresh database: every payment, reversal, pause and refund
    // before the run of its date.
    let other = fresh().expect("a second database");
    let (mut b, law) = setup(&other.url);
    let customers: Vec<_> =
        CUSTOMERS.iter().map(|(id, k)| cust(id, *k, false, Some(if *id == "s3" { 20 } else { 70 }))).collect();
    b.upsert_customers("acme", &customers).unwrap();
    b.set_today(sim.day);
    // A bank file's items go in one by one, each on its own date.
    let expanded: Vec<Fact> = sim
        .facts
        .iter()
        .flat_map(|f| match f {
            Fact::BankFile(name, items) => {
                items.iter().enumerate().map(|(k, i)| Fact::BankFile(format!("{name}-{k}"), vec![i.clone()])).collect()
            }
            other => vec![other.clone()],
        })
        .collect();
    let mut in_time: Vec<(usize, &Fact)> = expanded.iter().enumerate().collect();
    // Invoices first (each is imported when it is issued), then by date: on a day, what arrives
    // first, then an advisor's assignment of it, then the run.
    let rank = |f: &Fact| match f {
        Fact::Assign { .. } => 1,
        Fact::Run(_) => 2,
        _ => 0,
    };
    in_time.sort_by_key(|(i, f)| (!matches!(f, Fact::Invoice(_)), f.date(), rank(f), *i));
    let mut replay = Sim {
        rng: ChaCha8Rng::seed_from_u64(0),
        s: b,
        law,
        day: sim.day,
        claims: sim.claims.clone(),
        files: 0,
        payments: 0,
        booked: vec![],
        facts: vec![],
    };
    let mut incomparable: std::collections::BTreeSet<String> = Default::default();
    for (_, f) in in_time {
        if let Fact::Refund { customer, amount, date } = f {
            // A refund may not fit the credit in another order: that customer cannot be compared.
            if replay.s.refund("acme", &replay.law, customer, *amount, None, *date, "sim").is_err() {
                incomparable.insert(customer.clone());
            }
            continue;
        }
        if let Fact::Assign { key, claim, .. } = f {
            // Matched in this order, the payment is not in the queue to assign.
            if replay.s.assign_payment("acme", &replay.law, key, claim).is_err() {
                incomparable.extend(sim.claims.iter().filter(|c| &c.0 == claim).map(|c| c.1.clone()));
            }
            continue;
        }
        replay.replay(f, false);
    }
    let mut compared = 0;
    for (customer, _) in CUSTOMERS {
        if incomparable.contains(customer) {
            continue;
        }
        let law = sim.law.clone();
        if standing(&mut sim.s, &law, customer) != standing(&mut replay.s, &law, customer) {
            continue;
        }
        compared += 1;
        for (claim, owner, _) in sim.claims.iter().filter(|c| c.1 == customer) {
            let (a, b) = (
                sim.s.balances("acme", claim, NaiveDate::MAX).unwrap(),
                replay.s.balances("acme", claim, NaiveDate::MAX).unwrap(),
            );
            assert_eq!(a, b, "seed {seed}: claim {claim} of {owner}: arrival order vs date order");
        }
        let (ca, cb) =
            (sim.s.customer_credit("acme", customer).unwrap(), replay.s.customer_credit("acme", customer).unwrap());
        if ca != cb && std::env::var("FORDRA_SIM_DEBUG").is_ok() {
            for f in &sim.facts {
                eprintln!("A {f:?}");
            }
            for (claim, owner, _) in sim.claims.iter().filter(|c| c.1 == customer) {
                for e in sim.s.ledger("acme", claim).unwrap() {
                    eprintln!("A {owner} {claim} {} {} {:?} {} {}", e.date, e.kind, e.component, e.amount, e.memo);
                }
                for e in replay.s.ledger("acme", claim).unwrap() {
                    eprintln!("B {owner} {claim} {} {} {:?} {} {}", e.date, e.kind, e.component, e.amount, e.memo);
                }
            }
        }
        assert_eq!(ca, cb, "seed {seed}: credit of {customer}");
    }
    (compared, CUSTOMERS.len())
}

#[test]
fn simulation_sqlite() {
    simulate("sqlite", &|| Some(TestDb::sqlite()));
}

#[test]
fn simulation_postgres() {
    if TestDb::postgres().is_none() {
        return;
    }
    simulate("postgres", &TestDb::postgres);
}
