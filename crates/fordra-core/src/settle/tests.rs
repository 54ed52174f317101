use super::*;
use crate::domain::{JurisdictionCode, PauseKind};
use crate::law::LawBook;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn terms(law: &Jurisdiction) -> Terms<'_> {
    Terms {
        law,
        debtor: DebtorKind::Consumer,
        charge_interest: true,
        contract_rate: None,
        currency: law.currency,
        write_off_below: 100,
        collector: crate::domain::Collector::Own,
    }
}

fn claim(id: &str, due: &str, principal: i64) -> ClaimFact {
    ClaimFact {
        id: id.into(),
        currency: Currency::SEK,
        issue: d(due) - chrono::Duration::days(30),
        due: d(due),
        demand: None,
        principal,
    }
}

fn pay(id: &str, claim: &str, date: &str, amount: i64) -> PaymentFact {
    PaymentFact { id: id.into(), claim: claim.into(), date: d(date), amount, kind: PaymentKind::Bank, reversed: None }
}

fn step(claim: &str, seq: u32, date: &str, kind: StepKind, fees: &[(FeeKind, i64)], letter: Option<&str>) -> StepFact {
    StepFact {
        claim: claim.into(),
        seq,
        date: d(date),
        kind,
        fees: fees.iter().map(|(k, a)| FeeLine { kind: *k, amount: *a, basis: format!("{k} cap") }).collect(),
        letter: letter.map(str::to_string),
        min_amount: 0,
        skipped: false,
    }
}

fn balance(s: &Settlement, claim: &str) -> Balances {
    let mut b = Balances::default();
    for p in s.postings.iter().filter(|p| p.claim == claim) {
        match p.component {
            Some(Component::Fees) => b.fees += p.amount,
            Some(Component::Interest) => b.interest += p.amount,
            Some(Component::Principal) => b.principal += p.amount,
            None => {}
        }
    }
    b
}

fn se() -> Jurisdiction {
    LawBook::embedded().jurisdiction(JurisdictionCode::SE).unwrap().clone()
}

/// 10 000 SEK due 2024-03-15 (12 %: reference 4.00 + 8, räntelagen 6 §, 9 §); 5 000 paid on
/// 2024-03-20; a reminder with the 60 SEK fee on 2024-03-22.
/// Interest 03-16..03-20: 10 000 × 0.12 × 5 / 365 = 16.4384 → 16.44, paid first, so 4 983.56 of
/// principal is paid and 5 016.44 stays. Through 03-22: 16.4384 + 5 016.44 × 0.12 × 2 / 365
/// (= 3.2985) = 19.7369 → 19.74 in all, so the reminder posts 3.30.
#[test]
fn payment_before_a_step_is_allocated_as_of_its_own_date() {
    let law = se();
    let facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 1_000_000)],
        payments: vec![pay("p1", "a", "2024-03-20", 500_000)],
        steps: vec![step("a", 1, "2024-03-22", StepKind::Reminder, &[(FeeKind::Reminder, 6000)], None)],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    let interest: Vec<i64> = s.postings.iter().filter(|p| p.kind == EntryKind::Interest).map(|p| p.amount).collect();
    assert_eq!(interest, vec![1644, 330]);
    assert_eq!(balance(&s, "a"), Balances { fees: 6000, interest: 330, principal: 501_644 });
    assert!(s.steps[0].stands);
    assert_eq!(s.settled_on, vec![("a".to_string(), None)]);
}

/// The same claim paid in full (10 000 + 16.44 interest) on 2024-03-20: the reminder of
/// 2024-03-22 would not have been sent, so it carries no fee and no interest.
#[test]
fn a_step_after_full_payment_carries_nothing() {
    let law = se();
    let facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 1_000_000)],
        payments: vec![pay("p1", "a", "2024-03-20", 1_001_644)],
        steps: vec![step("a", 1, "2024-03-22", StepKind::Reminder, &[(FeeKind::Reminder, 6000)], None)],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    assert_eq!(balance(&s, "a").total(), 0);
    assert!(!s.steps[0].stands);
    assert!(s.steps[0].note.as_deref().unwrap().contains("paid before the step"));
    assert_eq!(s.settled_on, vec![("a".to_string(), Some(d("2024-03-20")))]);
    assert!(s.credit.is_empty());
}

/// An overpayment pays the customer's next open claim, and a reversal of it takes the credit back.
#[test]
fn credit_pays_the_next_claim_and_a_reversal_takes_it_back() {
    let law = se();
    let mut facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 100_000), claim("b", "2024-04-15", 80_000)],
        payments: vec![pay("p1", "a", "2024-03-10", 150_000)],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    assert_eq!(balance(&s, "a").total(), 0);
    assert_eq!(balance(&s, "b").total(), 30_000, "the 500 credit paid b (800) down to 300");
    assert!(s.credit.is_empty(), "no credit left idle: {:?}", s.credit);
    let applied: i64 = s.postings.iter().filter(|p| p.kind == EntryKind::CreditApplied).map(|p| p.amount).sum();
    assert_eq!(applied, -50_000);
    // b was issued 2024-03-16, after the overpayment: the credit is applied on that day.
    assert!(s.postings.iter().any(|p| p.kind == EntryKind::CreditApplied && p.date == d("2024-03-16")));
    facts.payments[0].reversed = Some(d("2024-05-01"));
    let s = settle(terms(&law), &facts);
    assert_eq!(balance(&s, "b").total(), 80_000, "the credit it gave to b is taken back");
    assert_eq!(balance(&s, "a").principal, 100_000);
    assert_eq!(
        balance(&s, "a").interest,
        0,
        "interest accrues again from the reversal, posted at the next step or payment"
    );
    assert!(s.credit.is_empty());
}

/// 0.40 SEK left after a payment is below the 1 SEK tolerance: written off, never dunned.
#[test]
fn leftover_below_tolerance_is_written_off() {
    let law = se();
    let facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 100_000)],
        payments: vec![pay("p1", "a", "2024-03-15", 99_960)],
        steps: vec![step("a", 1, "2024-03-22", StepKind::Reminder, &[(FeeKind::Reminder, 6000)], None)],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    let w: Vec<&Posting> = s.postings.iter().filter(|p| p.kind == EntryKind::WriteOff).collect();
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].amount, w[0].date), (-40, d("2024-03-15")));
    assert!(w[0].memo.contains("below the write-off tolerance 1.00"));
    assert_eq!(balance(&s, "a").total(), 0);
    assert!(!s.steps[0].stands);
    // If the payment bounces, the leftover is owed again with the rest.
    let mut bounced = facts.clone();
    bounced.payments[0].reversed = Some(d("2024-03-18"));
    let s = settle(terms(&law), &bounced);
    assert_eq!(balance(&s, "a").principal, 100_000);
}

/// A grouped reminder's fee is the letter's: if the invoice that carried it turns out to have
/// been paid before the letter, the next invoice of the letter carries it.
#[test]
fn letter_fee_moves_to_the_first_open_invoice_of_the_letter() {
    let law = se();
    let facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 100_000), claim("b", "2024-03-15", 200_000)],
        payments: vec![pay("p1", "a", "2024-03-14", 100_000)],
        steps: vec![
            step(
                "a",
                1,
                "2024-03-22",
                StepKind::Reminder,
                &[(FeeKind::Reminder, 6000)],
                Some("c/2024-03-22/reminder/letter"),
            ),
            step("b", 1, "2024-03-22", StepKind::Reminder, &[], Some("c/2024-03-22/reminder/letter")),
        ],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    assert_eq!(balance(&s, "a").total(), 0);
    assert_eq!(balance(&s, "b").fees, 6000);
    assert!(s
        .steps
        .iter()
        .any(|o| o.claim == "b" && o.note.as_deref().is_some_and(|n| n.contains("carries the letter's reminder fee"))));
}

#[test]
fn paused_claim_keeps_no_fee_and_plan_fee_is_charged_once() {
    let law = se();
    let pause = |id: i64, from: &str, fee: Option<i64>| PauseFact {
        claim: Some("a".into()),
        pause: Pause {
            id,
            kind: PauseKind::PaymentPlan,
            from: d(from),
            until: Some(d("2024-06-30")),
            ended: None,
            reason: "plan".into(),
        },
        plan_fee: fee.map(|a| FeeLine { kind: FeeKind::PaymentPlan, amount: a, basis: "1981:739 4 § p.3".into() }),
    };
    let facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 100_000)],
        steps: vec![step("a", 1, "2024-04-10", StepKind::Reminder, &[(FeeKind::Reminder, 6000)], None)],
        pauses: vec![pause(1, "2024-04-01", Some(17_000)), pause(2, "2024-04-05", Some(17_000))],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    assert_eq!(balance(&s, "a").fees, 17_000, "one plan fee; the reminder during the plan carries none");
    assert!(s.steps[0].note.as_deref().unwrap().contains("paused"));
}

#[test]
fn refunds_use_credit_and_a_refund_beyond_it_is_owed_back() {
    let law = se();
    let mut facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 100_000)],
        payments: vec![pay("p1", "a", "2024-03-10", 130_000)],
        refunds: vec![RefundFact { id: "r1".into(), date: d("2024-03-20"), amount: 30_000, currency: Currency::SEK }],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    assert!(s.credit.is_empty());
    assert_eq!(balance(&s, "a").total(), 0);
    // The payment bounces after the refund: the customer owes the claim and the refund.
    facts.payments[0].reversed = Some(d("2024-03-25"));
    let s = settle(terms(&law), &facts);
    assert_eq!(balance(&s, "a").principal, 130_000);
}

#[test]
fn history_settled_without_interest() {
    let law = se();
    let facts = CustomerFacts {
        claims: vec![claim("h", "2024-01-15", 100_000)],
        payments: vec![PaymentFact {
            id: "settled:h".into(),
            claim: "h".into(),
            date: d("2024-02-20"),
            amount: 100_000,
            kind: PaymentKind::Settled { interest: false },
            reversed: None,
        }],
        ..Default::default()
    };
    let s = settle(terms(&law), &facts);
    assert_eq!(s.postings.len(), 2, "{:?}", s.postings);
    assert_eq!(s.settled_on[0].1, Some(d("2024-02-20")));
}

#[test]
fn corrections_append_only_the_difference() {
    let law = se();
    let facts = CustomerFacts {
        claims: vec![claim("a", "2024-03-15", 1_000_000)],
        steps: vec![step("a", 1, "2024-03-22", StepKind::Reminder, &[(FeeKind::Reminder, 6000)], None)],
        ..Default::default()
    };
    let before = settle(terms(&law), &facts);
    let held: Vec<Held> = before
        .postings
        .iter()
        .map(|p| Held {
            claim: p.claim.clone(),
            date: p.date,
            kind: p.kind,
            component: p.component,
            amount: p.amount,
            reference: p.cause.clone(),
        })
        .collect();
    assert!(corrections(&held, &before.postings, "again").is_empty(), "nothing new: nothing to append");
    // A payment dated before the reminder arrives afterwards and settles the claim.
    let mut later = facts.clone();
    later.payments.push(pay("p1", "a", "2024-03-20", 1_001_644));
    let after = settle(terms(&law), &later);
    let c = corrections(&held, &after.postings, "payment p1 dated 2024-03-20 booked later");
    let fee = c.iter().find(|p| p.kind == EntryKind::Fee(FeeKind::Reminder)).unwrap();
    assert_eq!((fee.amount, fee.date, fee.cause.as_str()), (-6000, d("2024-03-22"), "correction:action:a:1"));
    assert!(fee.memo.contains("payment p1 dated 2024-03-20 booked later"));
    let mut all = held.clone();
    all.extend(c.iter().map(|p| Held {
        claim: p.claim.clone(),
        date: p.date,
        kind: p.kind,
        component: p.component,
        amount: p.amount,
        reference: p.cause.clone(),
    }));
    assert!(corrections(&all, &after.postings, "again").is_empty(), "after the corrections the ledger is the record");
    let total: i64 = all.iter().filter(|h| h.component.is_some()).map(|h| h.amount).sum();
    assert_eq!(total, 0);
}

fn arb_facts() -> impl Strategy<Value = CustomerFacts> {
    let claims = proptest::collection::vec((0i64..40, 1i64..400_000), 1..4);
    let pays = proptest::collection::vec((0usize..4, 0i64..80, 1i64..500_000, proptest::option::of(0i64..30)), 0..5);
    let steps = proptest::collection::vec((0usize..4, 1i64..80, 0i64..20_000, any::<bool>()), 0..5);
    let refunds = proptest::collection::vec((0i64..90, 1i64..50_000), 0..2);
    (claims, pays, steps, refunds).prop_map(|(claims, pays, steps, refunds)| {
        let base = d("2024-02-01");
        let cl: Vec<ClaimFact> = claims
            .iter()
            .enumerate()
            .map(|(i, (off, p))| {
                let due = base + chrono::Duration::days(*off);
                ClaimFact {
                    id: format!("c{i}"),
                    currency: Currency::SEK,
                    issue: due - chrono::Duration::days(20),
                    due,
                    demand: None,
                    principal: *p,
                }
            })
            .collect();
        let n = cl.len();
        let payments = pays
            .iter()
            .enumerate()
            .map(|(i, (c, off, a, rev))| {
                let date = base + chrono::Duration::days(*off);
                PaymentFact {
                    id: format!("p{i}"),
                    claim: format!("c{}", c % n),
                    date,
                    amount: *a,
                    kind: PaymentKind::Bank,
                    reversed: rev.map(|r| date + chrono::Duration::days(r)),
                }
            })
            .collect();
        let mut seqs = vec![0u32; n];
        let steps = steps
            .iter()
            .map(|(c, off, fee, grouped)| {
                let c = c % n;
                seqs[c] += 1;
                let date = base + chrono::Duration::days(*off + 10 * i64::from(seqs[c]));
                let letter = grouped.then(|| format!("g/{date}"));
                step(
                    &format!("c{c}"),
                    seqs[c],
                    &date.to_string(),
                    StepKind::Reminder,
                    &[(FeeKind::Reminder, *fee)],
                    letter.as_deref(),
                )
            })
            .collect();
        let refunds = refunds
            .iter()
            .enumerate()
            .map(|(i, (off, a))| RefundFact {
                id: format!("r{i}"),
                date: base + chrono::Duration::days(*off),
                amount: *a,
                currency: Currency::SEK,
            })
            .collect();
        CustomerFacts { claims: cl, payments, steps, pauses: vec![], refunds }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// The ledger of record depends on the facts, not on the order they are listed (arrived) in;
    /// no balance component goes negative; money is conserved: what the customer's claims owe
    /// is invoices + fees + interest − write-offs − money received net of reversals and refunds;
    /// the credit left is what the credit entries say.
    #[test]
    fn settlement_is_order_free_and_conserves_money(facts in arb_facts(), seed in any::<u64>()) {
        let law = se();
        let s = settle(terms(&law), &facts);
        let mut shuffled = facts.clone();
        let mut x = seed | 1;
        let mut next = || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x as usize };
        for i in (1..shuffled.claims.len()).rev() { let j = next() % (i + 1); shuffled.claims.swap(i, j); }
        for i in (1..shuffled.payments.len()).rev() { let j = next() % (i + 1); shuffled.payments.swap(i, j); }
        for i in (1..shuffled.steps.len()).rev() { let j = next() % (i + 1); shuffled.steps.swap(i, j); }
        let t = settle(terms(&law), &shuffled);
        let sorted = |s: &Settlement| { let mut p = s.postings.clone(); p.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}"))); p };
        prop_assert_eq!(sorted(&s), sorted(&t));
        prop_assert_eq!(&s.credit, &t.credit);
        let mut owed = 0i64;
        for c in &facts.claims {
            let b = balance(&s, &c.id);
            prop_assert!(b.fees >= 0 && b.interest >= 0 && b.principal >= 0, "{} {:?}", c.id, b);
            owed += b.total();
            let settled = s.settled_on.iter().find(|x| x.0 == c.id).unwrap().1;
            prop_assert_eq!(settled.is_some(), b.total() <= 0);
        }
        let sum = |k: &dyn Fn(EntryKind) -> bool| s.postings.iter().filter(|p| k(p.kind)).map(|p| p.amount).sum::<i64>();
        let charged = sum(&|k| matches!(k, EntryKind::Invoice | EntryKind::Fee(_) | EntryKind::Interest | EntryKind::WriteOff));
        let received: i64 = facts.payments.iter().filter(|p| p.reversed.is_none()).map(|p| p.amount).sum();
        let refunded: i64 = facts.refunds.iter().map(|r| r.amount).sum();
        let credit: i64 = s.credit.iter().map(|c| c.1).sum();
        prop_assert_eq!(owed - credit, charged - received + refunded);
        prop_assert_eq!(credit, -sum(&|k| k == EntryKind::CustomerCredit));
    }
}
