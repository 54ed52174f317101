//! Declarative hash partitioning of the large tables by creditor (PostgreSQL).
//!
//! Every key starts with `creditor_id` (migration 16), so each table can be split by its hash
//! into partitions that each hold whole creditors: a creditor's run reads and writes one
//! partition of each table, and vacuum, index builds and cache pressure follow the partition,
//! not the whole table. The same layout is what a distributed PostgreSQL (Citus) shards on.

use crate::{ReadRow, Result, Store, StoreError};

/// The tables split by creditor: the ones that grow with claims, payments and messages.
pub const PARTITIONED_TABLES: &[&str] = &[
    "customers",
    "claims",
    "ledger",
    "actions",
    "segment_changes",
    "payments",
    "bank_payments",
    "deliveries",
    "delivery_items",
    "delivery_attempts",
    "events",
    "webhook_deliveries",
    "webhook_attempts",
    "ar_history",
    "model_scores",
];

/// The most partitions a table may be split into.
pub const MAX_PARTITIONS: u32 = 256;

/// What `partition_by_creditor` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Partitioned {
    /// Tables split now.
    pub split: Vec<String>,
    /// Tables that were split already (left as they are).
    pub already: Vec<String>,
    /// Partitions per table split now.
    pub partitions: u32,
}

/// A foreign key dropped while its tables are rebuilt, and added back after.
struct ForeignKey {
    table: String,
    name: String,
    definition: String,
}

impl Store {
    /// Splits each of [`PARTITIONED_TABLES`] not split yet into `partitions` partitions by the
    /// hash of `creditor_id`, in one transaction: rows, keys, indexes, foreign keys and serial
    /// sequences carried over. PostgreSQL only; tables already partitioned are left as they are,
    /// so the same call twice changes nothing.
    pub fn partition_by_creditor(&mut self, partitions: u32) -> Result<Partitioned> {
        if self.db.name() != "postgres" {
            return Err(StoreError::Rule(
                "partitioning by creditor is for PostgreSQL; SQLite holds one file per database".into(),
            ));
        }
        if !(2..=MAX_PARTITIONS).contains(&partitions) {
            return Err(StoreError::Rule(format!("partitions: {partitions} is not between 2 and {MAX_PARTITIONS}")));
        }
        self.tx(|s| {
            let mut done = Partitioned { partitions, ..Default::default() };
            let mut todo = Vec::new();
            for table in PARTITIONED_TABLES {
                if s.is_partitioned(table)? {
                    done.already.push((*table).to_string());
                } else {
                    todo.push(*table);
                }
            }
            let keys = s.foreign_keys_of(&todo)?;
            for fk in &keys {
                s.db.batch(&format!("ALTER TABLE {} DROP CONSTRAINT {}", fk.table, fk.name))?;
            }
            for table in &todo {
                s.split_table(table, partitions)?;
                done.split.push((*table).to_string());
            }
            for fk in &keys {
                s.db.batch(&format!("ALTER TABLE {} ADD CONSTRAINT {} {}", fk.table, fk.name, fk.definition))?;
            }
            Ok(done)
        })
    }

    /// The tables of [`PARTITIONED_TABLES`] that are partitioned (PostgreSQL; none on SQLite).
    pub fn partitioned_tables(&mut self) -> Result<Vec<String>> {
        if self.db.name() != "postgres" {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for table in PARTITIONED_TABLES {
            if self.is_partitioned(table)? {
                out.push((*table).to_string());
            }
        }
        Ok(out)
    }

    fn is_partitioned(&mut self, table: &str) -> Result<bool> {
        let rows =
            self.db.query("SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass($1)", &[table.into()])?;
        match rows.first() {
            Some(r) => Ok(r.str("kind")? == "p"),
            None => Err(StoreError::Data(format!("no table {table} to partition"))),
        }
    }

    /// The foreign keys on or to `tables`.
    fn foreign_keys_of(&mut self, tables: &[&str]) -> Result<Vec<ForeignKey>> {
        let mut out: Vec<ForeignKey> = Vec::new();
        for table in tables {
            let rows = self.db.query(
                "SELECT conrelid::regclass::text AS tbl, conname::text AS name, pg_get_constraintdef(oid) AS def \
                 FROM pg_constraint WHERE contype = 'f' AND (conrelid = to_regclass($1) OR confrelid = to_regclass($1)) \
                 ORDER BY conname",
                &[(*table).into()],
            )?;
            for r in rows {
                let name = r.text("name")?;
                if !out.iter().any(|k| k.name == name) {
                    out.push(ForeignKey { table: r.text("tbl")?, name, definition: r.text("def")? });
                }
            }
        }
        Ok(out)
    }

    /// Rebuilds `table` as a table partitioned by the hash of `creditor_id`, rows and all.
    fn split_table(&mut self, table: &str, partitions: u32) -> Result<()> {
        let arg = [table.into()];
        let constraints = self.db.query(
            "SELECT conname::text AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint \
             WHERE conrelid = to_regclass($1) AND contype IN ('p', 'u') ORDER BY contype, conname",
            &arg,
        )?;
        let indexes = self.db.query(
            "SELECT indexdef AS def FROM pg_indexes i WHERE schemaname = current_schema() AND tablename = $1 \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.indexname))) \
             ORDER BY indexname",
            &arg,
        )?;
        let sequences = self.db.query(
            "SELECT column_name::text AS col, pg_get_serial_sequence($1, column_name) AS seq \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
            &arg,
        )?;
        let new = format!("{table}__by_creditor");
        let mut sql = format!(
            "CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (creditor_id);\n"
        );
        for i in 0..partitions {
            sql.push_str(&format!(
                "CREATE TABLE {table}_h{i} PARTITION OF {new} FOR VALUES WITH (MODULUS {partitions}, REMAINDER {i});\n"
            ));
        }
        sql.push_str(&format!("INSERT INTO {new} SELECT * FROM {table};\n"));
        for r in &sequences {
            if let Some(seq) = r.opt_text("seq")? {
                sql.push_str(&format!("ALTER SEQUENCE {seq} OWNED BY {new}.{};\n", r.str("col")?));
            }
        }
        sql.push_str(&format!("DROP TABLE {table};\nALTER TABLE {new} RENAME TO {table};\n"));
        for r in &constraints {
            sql.push_str(&format!("ALTER TABLE {table} ADD CONSTRAINT {} {};\n", r.str("name")?, r.str("def")?));
        }
        for r in &indexes {
            sql.push_str(&format!("{};\n", r.str("def")?));
        }
        sql.push_str(&format!("ANALYZE {table};\n"));
        self.db.batch(&sql)
    }
}
