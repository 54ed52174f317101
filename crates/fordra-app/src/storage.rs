//! The database's layout: splitting the large tables by creditor on PostgreSQL.

use crate::{App, AppError, Result};
use fordra_store::{Partitioned, MAX_PARTITIONS};

impl App<'_> {
    /// Splits the large tables into `partitions` partitions by the hash of the creditor
    /// (PostgreSQL); tables split already stay as they are.
    pub fn partition_by_creditor(&mut self, partitions: u32) -> Result<Partitioned> {
        if !(2..=MAX_PARTITIONS).contains(&partitions) {
            return Err(AppError::invalid("--partitions", format!("between 2 and {MAX_PARTITIONS}, not {partitions}")));
        }
        if self.store.backend() != "postgres" {
            return Err(AppError::invalid(
                "--db",
                "partitioning by creditor is for PostgreSQL (a SQLite database is one file)",
            ));
        }
        Ok(self.store.partition_by_creditor(partitions)?)
    }
}
