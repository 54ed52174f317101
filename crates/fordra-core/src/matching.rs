//! Matching incoming payments to claims: by payment reference first; then invoice numbers (or
//! references) found in the free text; then amount and payer name against open claims. Exact
//! matches book automatically; everything else goes to the unmatched queue with ranked
//! suggestions, each with its reason.

use std::borrow::Cow;

/// References and invoice numbers compared without spaces and case; borrowed when already clean
/// (the common case), so a million lookups do not allocate a million strings.
fn norm(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| !b.is_ascii_whitespace() && !b.is_ascii_lowercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(crate::reference::normalize(s))
    }
}
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
// FxHash: these maps hold a key per open claim; SipHash's DoS resistance buys nothing here.
use rustc_hash::FxHashMap as HashMap;

/// An incoming payment as any bank format describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Incoming {
    /// The idempotency key: bank transaction id / BgMax serial / archive id.
    pub key: String,
    /// Booking date.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Currency code as the file gives it.
    pub currency: String,
    /// Payment references in the order given (BgMax 20 + 22 records, SCOR references).
    pub references: Vec<String>,
    /// Free text: BgMax information records, camt Ustrd, a reference field holding text.
    pub text: Vec<String>,
    /// The payer's name.
    pub payer: Option<String>,
    /// A claim named directly (CSV `invoice_id`).
    pub claim: Option<String>,
    /// Line in the file.
    pub line: usize,
    /// The payee account the file says the money went to (bankgiro, IBAN or domestic account);
    /// None where the format has none (CSV).
    pub account: Option<String>,
}

/// An open claim as matching sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenClaim {
    /// The claim's id.
    pub id: String,
    /// Its invoice number.
    pub invoice_number: String,
    /// Its payment reference.
    pub reference: Option<String>,
    /// Shared by all of a customer's claims (a million claims, a few hundred thousand names).
    pub customer_name: std::sync::Arc<str>,
    /// Its currency.
    pub currency: crate::money::Currency,
    /// Its due date.
    pub due: NaiveDate,
    /// What it takes to settle it on the payment date.
    pub open: i64,
}

/// A claim a queued payment may be for, ranked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The claim.
    pub claim: String,
    /// How likely (0-100).
    pub score: u32,
    /// Why, in words.
    pub reason: String,
}

/// What matching decides for a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Decision {
    /// Book to these claims: (claim, amount). The last claim takes any excess.
    Book {
        /// (claim, amount) for each claim.
        parts: Vec<(String, i64)>,
        /// How it was matched, in words.
        how: String,
    },
    /// No claim found with confidence: queue it with suggestions.
    Unmatched {
        /// Why not.
        reason: String,
        /// Claims it may be for, best first.
        suggestions: Vec<Suggestion>,
    },
    /// The decision needs the claims' open balances, which were not given: call
    /// `set_balances` and decide again. (A single exact reference needs none, so a file of such
    /// payments is matched without reading a single ledger entry.)
    NeedBalances,
}

fn dedup_keep_order(v: &mut Vec<usize>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(*x));
}

/// An index from a string key to a claim, keyed by the key's 64-bit hash so building it for a
/// million claims allocates nothing per key. A lookup checks the claim's own string, so a hash
/// collision can never match the wrong claim; colliding keys go to an exact overflow map. A key
/// held by two claims (two invoices with one reference) is ambiguous: it matches neither.
#[derive(Default)]
struct KeyIndex {
    by_hash: HashMap<u64, usize>,
    overflow: std::collections::HashMap<String, usize>,
    ambiguous: std::collections::HashSet<String>,
}

fn key_hash(s: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(s.as_bytes());
    h.finish()
}

/// What a key finds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Hit {
    None,
    One(usize),
    /// The key belongs to several claims.
    Many(String),
}

impl KeyIndex {
    fn with_capacity(n: usize) -> Self {
        KeyIndex { by_hash: HashMap::with_capacity_and_hasher(n, Default::default()), ..Default::default() }
    }
    fn insert(&mut self, key: &str, i: usize, key_of: impl Fn(usize) -> String) {
        match self.by_hash.entry(key_hash(key)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                if key_of(*o.get()) == key {
                    if *o.get() != i {
                        self.ambiguous.insert(key.to_string());
                    }
                } else if let Some(j) = self.overflow.insert(key.to_string(), i) {
                    if j != i {
                        self.ambiguous.insert(key.to_string());
                    }
                }
            }
        }
    }
    fn get(&self, key: &str, key_of: impl Fn(usize) -> String) -> Hit {
        if self.ambiguous.contains(key) {
            return Hit::Many(key.to_string());
        }
        match self.by_hash.get(&key_hash(key)) {
            Some(i) if key_of(*i) == key => Hit::One(*i),
            _ => self.overflow.get(key).map_or(Hit::None, |i| Hit::One(*i)),
        }
    }
}

/// Matches payments to open claims: by reference, invoice number or claim id, then by amount and payer name.
pub struct Matcher {
    claims: Vec<OpenClaim>,
    balances_known: bool,
    by_ref: KeyIndex,
    by_invoice: KeyIndex,
    by_id: KeyIndex,
}

fn tokens(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| t.len() >= 3).map(|t| t.to_ascii_uppercase())
}

fn name_words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2 && !["ab", "oy", "as", "asa", "abp", "oyj", "ltd"].contains(w))
        .map(str::to_string)
        .collect()
}

/// Share of the claim's customer-name words found in the payer name (0–100).
fn name_score(payer: &str, customer: &str) -> u32 {
    let (p, c) = (name_words(payer), name_words(customer));
    if c.is_empty() {
        return 0;
    }
    (100 * c.iter().filter(|w| p.contains(w)).count() / c.len()) as u32
}

impl Matcher {
    /// A matcher over claims whose `open` amounts are known.
    #[allow(clippy::indexing_slicing, reason = "indexes come from enumerating `claims`")]
    pub fn new(claims: Vec<OpenClaim>) -> Self {
        let n = claims.len();
        let (mut by_ref, mut by_invoice, mut by_id) =
            (KeyIndex::with_capacity(n), KeyIndex::with_capacity(n), KeyIndex::with_capacity(n));
        for (i, c) in claims.iter().enumerate() {
            if let Some(r) = &c.reference {
                by_ref.insert(&norm(r), i, |j| {
                    claims[j].reference.as_deref().map(|x| norm(x).into_owned()).unwrap_or_default()
                });
            }
            by_invoice.insert(&norm(&c.invoice_number), i, |j| norm(&claims[j].invoice_number).into_owned());
            by_id.insert(&c.id, i, |j| claims[j].id.clone());
        }
        Matcher { claims, balances_known: true, by_ref, by_invoice, by_id }
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "indexes come from the key indexes built over `claims`, which never shrinks"
    )]
    fn ref_of(&self, i: usize) -> String {
        self.claims[i].reference.as_deref().map(|x| norm(x).into_owned()).unwrap_or_default()
    }
    #[allow(
        clippy::indexing_slicing,
        reason = "indexes come from the key indexes built over `claims`, which never shrinks"
    )]
    fn invoice_of(&self, i: usize) -> String {
        norm(&self.claims[i].invoice_number).into_owned()
    }
    #[allow(
        clippy::indexing_slicing,
        reason = "indexes come from the key indexes built over `claims`, which never shrinks"
    )]
    fn index_of(&self, id: &str) -> Option<usize> {
        match self.by_id.get(id, |j| self.claims[j].id.clone()) {
            Hit::One(i) => Some(i),
            _ => None,
        }
    }

    /// A matcher whose claims' `open` amounts are not known yet.
    pub fn without_balances(claims: Vec<OpenClaim>) -> Self {
        Matcher { balances_known: false, ..Matcher::new(claims) }
    }

    /// Whether the open amounts are known.
    pub fn balances_known(&self) -> bool {
        self.balances_known
    }

    /// Sets the open balances as they stand now (claim id → amount; bookings already made count),
    /// claims not named are taken as 0.
    pub fn set_balances(&mut self, open: &std::collections::HashMap<String, i64>) {
        for c in &mut self.claims {
            c.open = open.get(&c.id).copied().unwrap_or(0);
        }
        self.balances_known = true;
    }

    /// Records that `amount` was booked to `claim`, so later payments in the same file see it.
    #[allow(clippy::indexing_slicing, reason = "the index comes from index_of over `claims`")]
    pub fn booked(&mut self, claim: &str, amount: i64) {
        if let (true, Some(i)) = (self.balances_known, self.index_of(claim)) {
            self.claims[i].open -= amount;
        }
    }

    /// An open claim by id.
    #[allow(clippy::indexing_slicing, reason = "the index comes from index_of over `claims`")]
    pub fn claim(&self, id: &str) -> Option<&OpenClaim> {
        self.index_of(id).map(|i| &self.claims[i])
    }

    /// A reference or invoice number: by reference first, then invoice number, with and without
    /// leading zeros; an RF reference also by its body (a Finnish viitenumero paid in RF form).
    fn lookup(&self, token: &str) -> Hit {
        let full = norm(token);
        let short = full.trim_start_matches('0');
        let keys = [(true, short), (true, &full), (false, short), (false, &full)];
        for (is_ref, k) in keys {
            let hit = if is_ref {
                self.by_ref.get(k, |j| self.ref_of(j))
            } else {
                self.by_invoice.get(k, |j| self.invoice_of(j))
            };
            if hit != Hit::None {
                return hit;
            }
        }
        if full.len() > 4 && full.starts_with("RF") && crate::reference::is_valid(crate::reference::Scheme::Rf, &full) {
            return self.lookup(&full[4..]);
        }
        Hit::None
    }

    /// Claims holding `key` as reference or invoice number (an ambiguous key's suggestions).
    #[allow(clippy::indexing_slicing, reason = "indexes come from the key indexes built over `claims`")]
    fn sharing(&self, key: &str) -> Vec<Suggestion> {
        let mut v: Vec<Suggestion> = (0..self.claims.len())
            .filter(|i| self.ref_of(*i) == key || self.invoice_of(*i) == key)
            .map(|i| Suggestion {
                claim: self.claims[i].id.clone(),
                score: 50,
                reason: format!("holds the reference {key}, as does another open claim"),
            })
            .collect();
        v.truncate(5);
        v
    }

    /// Splits `amount` over claims in order, each up to its open amount; the last takes the rest.
    #[allow(clippy::indexing_slicing, reason = "indexes come from the key indexes built over `claims`")]
    fn split(&self, found: &[usize], amount: i64) -> Vec<(String, i64)> {
        let mut left = amount;
        let mut parts = Vec::new();
        for (k, i) in found.iter().enumerate() {
            let c = &self.claims[*i];
            let take = if k + 1 == found.len() { left } else { c.open.min(left) };
            if take > 0 {
                parts.push((c.id.clone(), take));
                left -= take;
            }
        }
        parts
    }

    /// What to do with a payment (it changes nothing: record bookings with `booked`): a claim
    /// named directly, else by payment reference, else by invoice numbers in the text, else by
    /// amount and payer name.
    pub fn decide(&self, p: &Incoming) -> Decision {
        if let Some(id) = &p.claim {
            return self.by_named_claim(id, p);
        }
        let (decision, unknown) = self.by_references(p);
        if let Some(d) = decision.or_else(|| self.by_text(p)) {
            return d;
        }
        self.by_amount_and_name(p, &unknown)
    }

    fn same_currency(&self, i: usize, p: &Incoming) -> bool {
        self.claims.get(i).is_some_and(|c| c.currency.code() == p.currency)
    }

    /// Step 0: a claim named in the file (CSV `invoice_id`).
    fn by_named_claim(&self, id: &str, p: &Incoming) -> Decision {
        match self.index_of(id).and_then(|i| self.claims.get(i)) {
            Some(c) if c.currency.code() == p.currency => Decision::Book {
                parts: vec![(id.to_string(), p.amount)],
                how: format!("invoice {id} named in the file"),
            },
            Some(c) => Decision::Unmatched {
                reason: format!("invoice {id} named in the file is in {}, the payment in {}", c.currency, p.currency),
                suggestions: vec![],
            },
            None => Decision::Unmatched {
                reason: format!("invoice {id} named in the file is not an open claim"),
                suggestions: vec![],
            },
        }
    }

    /// Step 1: by payment reference (also when a reference field holds several, space-separated).
    /// The decision, if the references decide, and the references that match no claim.
    fn by_references(&self, p: &Incoming) -> (Option<Decision>, Vec<String>) {
        let mut found: Vec<usize> = Vec::new();
        let mut unknown = Vec::new();
        let mut shared = Vec::new();
        for r in &p.references {
            let parts: Vec<&str> = r.split_whitespace().collect();
            match (self.lookup(r), parts.len()) {
                (Hit::One(i), _) => found.push(i),
                (Hit::Many(k), _) => shared.push(k),
                (Hit::None, n) if n > 1 => {
                    for t in parts {
                        match self.lookup(t) {
                            Hit::One(i) => found.push(i),
                            Hit::Many(k) => shared.push(k),
                            Hit::None => unknown.push(t.to_string()),
                        }
                    }
                }
                _ => unknown.push(r.clone()),
            }
        }
        if let Some(k) = shared.first() {
            let d = Decision::Unmatched {
                reason: format!("reference {k} belongs to several open claims: an advisor must choose"),
                suggestions: self.sharing(k),
            };
            return (Some(d), unknown);
        }
        dedup_keep_order(&mut found);
        let other_currency = found.first().filter(|_| !found.iter().any(|i| self.same_currency(*i, p)));
        if let Some(c) = other_currency.and_then(|i| self.claims.get(*i)) {
            let d = Decision::Unmatched {
                reason: format!(
                    "reference matches claim {}, which is in {}; the payment is in {}",
                    c.id, c.currency, p.currency
                ),
                suggestions: vec![Suggestion {
                    claim: c.id.clone(),
                    score: 40,
                    reason: "same reference, other currency".into(),
                }],
            };
            return (Some(d), unknown);
        }
        found.retain(|i| self.same_currency(*i, p));
        if found.len() > 1 && !self.balances_known {
            return (Some(Decision::NeedBalances), unknown);
        }
        if found.is_empty() {
            return (None, unknown);
        }
        let mut how = format!("reference matched {}", self.ids(&found).join(", "));
        if !unknown.is_empty() {
            how.push_str(&format!(" (unknown references: {})", unknown.join(", ")));
        }
        (Some(Decision::Book { parts: self.split(&found, p.amount), how }), unknown)
    }

    fn ids(&self, idx: &[usize]) -> Vec<&str> {
        idx.iter().filter_map(|i| self.claims.get(*i)).map(|c| c.id.as_str()).collect()
    }

    /// Step 2: invoice numbers or references in the free text.
    fn by_text(&self, p: &Incoming) -> Option<Decision> {
        let mut in_text: Vec<usize> = p
            .text
            .iter()
            .flat_map(|t| tokens(t).collect::<Vec<_>>())
            .filter_map(|t| match self.lookup(&t) {
                Hit::One(i) => Some(i),
                _ => None,
            })
            .filter(|i| self.same_currency(*i, p))
            .collect();
        dedup_keep_order(&mut in_text);
        if (in_text.len() > 1 || in_text.is_empty()) && !self.balances_known {
            return Some(Decision::NeedBalances);
        }
        (!in_text.is_empty()).then(|| Decision::Book {
            parts: self.split(&in_text, p.amount),
            how: format!("invoice number in the payment text: {}", self.ids(&in_text).join(", ")),
        })
    }

    /// Step 3: amount and payer name. Booked when exactly one claim matches both, else queued
    /// with the best suggestions and the reason in words.
    fn by_amount_and_name(&self, p: &Incoming, unknown: &[String]) -> Decision {
        let payer = p.payer.as_deref().unwrap_or("");
        let mut scored: Vec<Suggestion> = self
            .claims
            .iter()
            .filter(|c| c.currency.code() == p.currency)
            .filter_map(|c| suggestion(c, payer, p.amount))
            .collect();
        scored.sort_by(|a, b| b.score.cmp(&a.score).then(a.claim.cmp(&b.claim)));
        let exact = scored.iter().filter(|s| s.score >= 100).count();
        if let (1, Some(s)) = (exact, scored.first()) {
            return Decision::Book {
                parts: vec![(s.claim.clone(), p.amount)],
                how: format!("amount and payer name: {}", s.reason),
            };
        }
        scored.truncate(5);
        let reason = if p.references.is_empty() && p.text.is_empty() {
            "no reference or text".to_string()
        } else if !unknown.is_empty() {
            format!("reference {} matches no open claim", unknown.join(", "))
        } else {
            "no reference and no invoice number in the text matches an open claim".to_string()
        };
        let reason = match (exact, scored.is_empty()) {
            (n, _) if n > 1 => format!("{reason}; {n} claims match amount and name equally"),
            (_, true) => format!("{reason}; no claim with a similar amount or name"),
            _ => reason,
        };
        Decision::Unmatched { reason, suggestions: scored }
    }
}

/// How well an open claim fits a payment by amount and payer name (a suggestion from 30 points).
fn suggestion(c: &OpenClaim, payer: &str, amount: i64) -> Option<Suggestion> {
    let name = name_score(payer, &c.customer_name);
    let amount_exact = c.open == amount;
    let amount_near = (c.open - amount).abs() * 20 <= c.open.max(1); // within 5 %
    let mut score = 0;
    let mut why = Vec::new();
    if amount_exact {
        score += 60;
        why.push("same amount".to_string());
    } else if amount_near {
        score += 30;
        why.push(format!("amount within 5 % (open {})", crate::money::format_minor(c.open)));
    }
    if name > 0 {
        score += name * 40 / 100;
        why.push(format!("payer name matches {name} % of '{}'", c.customer_name));
    }
    (score >= 30).then(|| Suggestion { claim: c.id.clone(), score, reason: why.join("; ") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: &str, reference: Option<&str>, name: &str, open: i64) -> OpenClaim {
        OpenClaim {
            id: id.into(),
            invoice_number: id.into(),
            reference: reference.map(str::to_string),
            customer_name: name.into(),
            currency: crate::money::Currency::SEK,
            due: "2024-04-01".parse().unwrap(),
            open,
        }
    }

    fn pay(refs: &[&str], text: &[&str], payer: Option<&str>, amount: i64) -> Incoming {
        Incoming {
            key: "k".into(),
            date: "2024-04-05".parse().unwrap(),
            amount,
            currency: "SEK".into(),
            references: refs.iter().map(|s| s.to_string()).collect(),
            text: text.iter().map(|s| s.to_string()).collect(),
            payer: payer.map(str::to_string),
            claim: None,
            line: 1,
            account: None,
        }
    }

    fn claims() -> Vec<OpenClaim> {
        vec![
            claim("1001", Some("10013"), "Anna Andersson", 100_00),
            claim("1002", Some("10021"), "Bygg AB", 250_00),
            claim("1003", Some("10039"), "Bygg AB", 80_00),
            claim("1004", None, "Cecilia Ek", 80_00),
        ]
    }

    #[test]
    fn reference_first_and_several_references_split() {
        let c = claims();
        let m = Matcher::new(c.clone());
        assert_eq!(
            m.decide(&pay(&["10013"], &[], None, 100_00)),
            Decision::Book { parts: vec![("1001".into(), 100_00)], how: "reference matched 1001".into() }
        );
        // BgMax 20 + 22: one payment for two claims; the last takes the excess.
        match m.decide(&pay(&["10021", "10039"], &[], None, 340_00)) {
            Decision::Book { parts, .. } => assert_eq!(parts, vec![("1002".into(), 250_00), ("1003".into(), 90_00)]),
            d => panic!("{d:?}"),
        }
        // The same references in the text field and again as extra-reference records count once.
        match m.decide(&pay(&["10021 10039", "10021", "10039"], &[], None, 330_00)) {
            Decision::Book { parts, .. } => assert_eq!(parts, vec![("1002".into(), 250_00), ("1003".into(), 80_00)]),
            d => panic!("{d:?}"),
        }
        // A reference field holding several references as text.
        match m.decide(&pay(&["10021 10039"], &[], None, 330_00)) {
            Decision::Book { parts, .. } => assert_eq!(parts.len(), 2),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn invoice_number_in_text_then_amount_and_name() {
        let c = claims();
        let m = Matcher::new(c.clone());
        match m.decide(&pay(&[], &["Faktura 1004, tack!"], None, 80_00)) {
            Decision::Book { parts, how } => {
                assert_eq!(parts, vec![("1004".into(), 80_00)]);
                assert!(how.contains("payment text"));
            }
            d => panic!("{d:?}"),
        }
        match m.decide(&pay(&[], &[], Some("ANDERSSON ANNA"), 100_00)) {
            Decision::Book { parts, how } => {
                assert_eq!(parts, vec![("1001".into(), 100_00)]);
                assert!(how.starts_with("amount and payer name"), "{how}");
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn balances_are_asked_for_only_when_needed() {
        let c: Vec<OpenClaim> = claims().into_iter().map(|x| OpenClaim { open: 0, ..x }).collect();
        let mut m = Matcher::without_balances(c);
        assert!(
            matches!(m.decide(&pay(&["10013"], &[], None, 100_00)), Decision::Book { .. }),
            "one exact reference needs no balance"
        );
        assert_eq!(m.decide(&pay(&["10021", "10039"], &[], None, 340_00)), Decision::NeedBalances);
        assert_eq!(m.decide(&pay(&[], &[], Some("Anna Andersson"), 100_00)), Decision::NeedBalances);
        let open: std::collections::HashMap<String, i64> = claims().into_iter().map(|x| (x.id, x.open)).collect();
        m.set_balances(&open);
        assert!(matches!(m.decide(&pay(&["10021", "10039"], &[], None, 340_00)), Decision::Book { .. }));
    }

    /// Issue #8 case 5: two invoices with one reference let one debtor's payment settle the
    /// other's claim. A shared reference matches neither; the advisor chooses.
    #[test]
    fn a_reference_shared_by_two_claims_books_nothing() {
        let mut c = claims();
        c[2].reference = Some("10021".into());
        let m = Matcher::new(c);
        match m.decide(&pay(&["10021"], &[], Some("Bygg AB"), 250_00)) {
            Decision::Unmatched { reason, suggestions } => {
                assert_eq!(reason, "reference 10021 belongs to several open claims: an advisor must choose");
                assert_eq!(suggestions.iter().map(|s| s.claim.as_str()).collect::<Vec<_>>(), vec!["1002", "1003"]);
            }
            d => panic!("{d:?}"),
        }
    }

    /// Issue #8 case 7: a EUR payment for a SEK invoice was booked as SEK.
    #[test]
    fn a_payment_in_another_currency_is_queued() {
        let m = Matcher::new(claims());
        let mut p = pay(&["10013"], &[], None, 100_00);
        p.currency = "EUR".into();
        match m.decide(&p) {
            Decision::Unmatched { reason, .. } => {
                assert_eq!(reason, "reference matches claim 1001, which is in SEK; the payment is in EUR")
            }
            d => panic!("{d:?}"),
        }
        let mut named = pay(&[], &[], None, 100_00);
        named.currency = "EUR".into();
        named.claim = Some("1001".into());
        match m.decide(&named) {
            Decision::Unmatched { reason, .. } => {
                assert_eq!(reason, "invoice 1001 named in the file is in SEK, the payment in EUR")
            }
            d => panic!("{d:?}"),
        }
    }

    /// Issue #8 case 18: a Finnish payer may give the claim's own viitenumero in its RF form
    /// (RF + check digits + viitenumero): 1231234 → RF41 1231 234 (ISO 11649: "1231234RF00" with
    /// R = 27, F = 15 is 1231234271500; mod 97 = 57; check = 98 − 57 = 41).
    #[test]
    fn the_rf_form_of_a_viitenumero_matches() {
        assert_eq!(crate::reference::make(crate::reference::Scheme::Rf, "1231234").unwrap(), "RF411231234");
        let mut c = claims();
        c[0].reference = Some("1231234".into());
        let m = Matcher::new(c);
        match m.decide(&pay(&["RF41 1231 234"], &[], None, 100_00)) {
            Decision::Book { parts, .. } => assert_eq!(parts, vec![("1001".to_string(), 100_00)]),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn ambiguous_or_unknown_goes_to_the_queue_with_ranked_suggestions() {
        let c = claims();
        let m = Matcher::new(c.clone());
        // Same amount and name for two claims? Bygg AB has 250 and 80; Cecilia has 80.
        match m.decide(&pay(&[], &[], Some("Bygg AB"), 80_00)) {
            Decision::Book { parts, .. } => assert_eq!(parts[0].0, "1003"),
            d => panic!("{d:?}"),
        }
        match m.decide(&pay(&["99999"], &[], Some("Okänd"), 80_00)) {
            Decision::Unmatched { reason, suggestions } => {
                assert!(reason.starts_with("reference 99999 matches no open claim"), "{reason}");
                assert_eq!(suggestions.len(), 2);
                assert!(suggestions.iter().all(|s| s.reason.contains("same amount")));
            }
            d => panic!("{d:?}"),
        }
        match m.decide(&pay(&[], &[], None, 1)) {
            Decision::Unmatched { reason, suggestions } => {
                assert_eq!(reason, "no reference or text; no claim with a similar amount or name");
                assert!(suggestions.is_empty());
            }
            d => panic!("{d:?}"),
        }
    }
}
