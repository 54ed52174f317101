//! The delivery outbox (issue #11), named here so its place is fixed: every use case that sends
//! something (a run's letters, e-mails and texts; a payment plan's confirmation) will write one
//! delivery per message in the same store transaction as the action, keyed by the action's id;
//! a worker (`fordra deliver`, and the HTTP service continuously) will take deliveries from the
//! store and hand them to the channel adapters. Nothing is delivered yet: runs record each
//! step's channel, and sending them is this module's work.
