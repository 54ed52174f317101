//! The claim ledger: every fee, interest accrual, payment, credit and write-off is an immutable
//! entry; balances are derived by summing. Payments are allocated in the jurisdiction's order.

use crate::domain::{Component, FeeKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a ledger entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryKind {
    /// The invoice itself (principal).
    Invoice,
    /// A fee of a kind.
    Fee(FeeKind),
    /// Late interest posted.
    Interest,
    /// A payment allocated to a component.
    Payment,
    /// A credit note reducing the principal.
    CreditNote,
    /// A small remainder written off.
    WriteOff,
    /// Money paid beyond the claim: a credit on the customer, outside the claim's balance
    /// (negative when credit arises, positive when it is used or refunded).
    CustomerCredit,
    /// A customer's credit paying this claim.
    CreditApplied,
}

impl EntryKind {
    /// The balance component an entry moves (None: not part of the claim's balance).
    pub fn default_component(self) -> Option<Component> {
        match self {
            EntryKind::Invoice | EntryKind::CreditNote => Some(Component::Principal),
            EntryKind::Fee(_) => Some(Component::Fees),
            EntryKind::Interest => Some(Component::Interest),
            EntryKind::CustomerCredit => None,
            EntryKind::Payment | EntryKind::WriteOff | EntryKind::CreditApplied => None,
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryKind::Invoice => f.write_str("invoice"),
            EntryKind::Fee(k) => write!(f, "fee:{k}"),
            EntryKind::Interest => f.write_str("interest"),
            EntryKind::Payment => f.write_str("payment"),
            EntryKind::CreditNote => f.write_str("credit_note"),
            EntryKind::WriteOff => f.write_str("write_off"),
            EntryKind::CustomerCredit => f.write_str("customer_credit"),
            EntryKind::CreditApplied => f.write_str("credit_applied"),
        }
    }
}

impl FromStr for EntryKind {
    type Err = crate::domain::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "invoice" => EntryKind::Invoice,
            "interest" => EntryKind::Interest,
            "payment" => EntryKind::Payment,
            "credit_note" => EntryKind::CreditNote,
            "write_off" => EntryKind::WriteOff,
            "customer_credit" => EntryKind::CustomerCredit,
            "credit_applied" => EntryKind::CreditApplied,
            other => match other.strip_prefix("fee:") {
                Some(k) => EntryKind::Fee(k.parse()?),
                None => return Err(format!("unknown ledger entry kind '{other}'").into()),
            },
        })
    }
}

/// One ledger movement as the core sees it. Positive amounts increase what is owed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Movement {
    /// The day it takes effect.
    pub date: NaiveDate,
    /// What it records.
    pub kind: EntryKind,
    /// The balance it moves (none for the customer's credit).
    pub component: Option<Component>,
    /// Signed amount in minor units.
    pub amount: i64,
}

/// What is open on a claim, per component, in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Balances {
    /// Fees open.
    pub fees: i64,
    /// Interest open.
    pub interest: i64,
    /// Principal open.
    pub principal: i64,
}

impl Balances {
    /// Everything open.
    pub fn total(&self) -> i64 {
        self.fees + self.interest + self.principal
    }
    /// One component.
    pub fn get(&self, c: Component) -> i64 {
        match c {
            Component::Fees => self.fees,
            Component::Interest => self.interest,
            Component::Principal => self.principal,
        }
    }
    fn add(&mut self, c: Component, amount: i64) {
        match c {
            Component::Fees => self.fees += amount,
            Component::Interest => self.interest += amount,
            Component::Principal => self.principal += amount,
        }
    }
    /// Balances as of `as_of` (entries dated later are not yet known to that day).
    pub fn of<'a>(moves: impl IntoIterator<Item = &'a Movement>, as_of: NaiveDate) -> Balances {
        let mut b = Balances::default();
        for m in moves {
            if let (Some(c), true) = (m.component, m.date <= as_of) {
                b.add(c, m.amount);
            }
        }
        b
    }
}

/// Splits `amount` over the open components in `order`; returns the parts and the excess.
pub fn allocate(balances: &Balances, amount: i64, order: &[Component]) -> (Vec<(Component, i64)>, i64) {
    let mut left = amount.max(0);
    let mut parts = Vec::new();
    for c in order {
        let open = balances.get(*c).max(0);
        let take = open.min(left);
        if take > 0 {
            parts.push((*c, take));
            left -= take;
        }
    }
    (parts, left)
}

/// Interest posted so far (accrual entries, not payments against interest).
pub fn interest_posted<'a>(moves: impl IntoIterator<Item = &'a Movement>) -> i64 {
    moves.into_iter().filter(|m| m.kind == EntryKind::Interest).map(|m| m.amount).sum()
}

/// Dated principal movements, for interest computation.
pub fn principal_changes<'a>(moves: impl IntoIterator<Item = &'a Movement>) -> Vec<(NaiveDate, i64)> {
    moves.into_iter().filter(|m| m.component == Some(Component::Principal)).map(|m| (m.date, m.amount)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn allocation_costs_interest_principal() {
        let b = Balances { fees: 6000, interest: 1500, principal: 100_000 };
        let order = [Component::Fees, Component::Interest, Component::Principal];
        let (parts, rest) = allocate(&b, 10_000, &order);
        assert_eq!(parts, vec![(Component::Fees, 6000), (Component::Interest, 1500), (Component::Principal, 2500)]);
        assert_eq!(rest, 0);
        let (_, rest) = allocate(&b, 200_000, &order);
        assert_eq!(rest, 200_000 - 107_500);
    }

    #[test]
    fn entry_kind_names_roundtrip() {
        for k in [
            EntryKind::Invoice,
            EntryKind::Fee(FeeKind::LateCompensation),
            EntryKind::Interest,
            EntryKind::Payment,
            EntryKind::CreditNote,
            EntryKind::WriteOff,
            EntryKind::CustomerCredit,
            EntryKind::CreditApplied,
        ] {
            assert_eq!(k.to_string().parse::<EntryKind>().unwrap(), k);
        }
    }

    proptest! {
        #[test]
        fn allocation_conserves_money(fees in 0i64..100_000, interest in 0i64..100_000, principal in 0i64..10_000_000, pay in 0i64..20_000_000) {
            let b = Balances { fees, interest, principal };
            let (parts, rest) = allocate(&b, pay, &[Component::Interest, Component::Fees, Component::Principal]);
            let used: i64 = parts.iter().map(|p| p.1).sum();
            prop_assert_eq!(used + rest, pay);
            prop_assert!(rest == 0 || used == b.total());
            for (c, a) in parts { prop_assert!(a <= b.get(c)); }
        }
    }
}
