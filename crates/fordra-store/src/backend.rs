//! The two database drivers behind one small interface. Every query is written once with
//! `$1, $2, …` placeholders (SQLite reads them as numbered parameters in order of appearance),
//! integers and text only, so both databases run the same SQL and give the same results.

use crate::StoreError;

/// A parameter or column value. Integers and text only: money is in minor units, dates are
/// ISO text, flags are 0/1 — identical on both databases.
#[derive(Clone, Debug, Eq)]
pub enum Val {
    /// An integer (or NULL).
    I(Option<i64>),
    /// Text (or NULL).
    T(Option<String>),
}

/// NULL is NULL whatever its column's type: a NULL read back from SQLite (untyped) equals the
/// `None` text that was written (a re-imported customer without an address is unchanged).
impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::I(a), Val::I(b)) => a == b,
            (Val::T(a), Val::T(b)) => a == b,
            (Val::I(None), Val::T(None)) | (Val::T(None), Val::I(None)) => true,
            _ => false,
        }
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::I(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::I(Some(v as i64))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::T(Some(v.to_string()))
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::T(Some(v))
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::T(Some(v.clone()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::T(v)
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        Val::T(v.map(str::to_string))
    }
}
impl From<chrono::NaiveDate> for Val {
    fn from(v: chrono::NaiveDate) -> Self {
        Val::T(Some(v.to_string()))
    }
}
impl From<Option<chrono::NaiveDate>> for Val {
    fn from(v: Option<chrono::NaiveDate>) -> Self {
        Val::T(v.map(|d| d.to_string()))
    }
}

/// A row read back, owned: its values by column name, with the table they came from for errors.
#[derive(Clone, Debug)]
pub struct Row {
    table: std::sync::Arc<str>,
    names: std::sync::Arc<[String]>,
    vals: Vec<Val>,
    /// Where the next column read is expected (see [`position_of`]).
    next: std::cell::Cell<usize>,
}

/// The position of `column` among `names`, looked for first where the previous read left off:
/// readers mostly read in SELECT order, so a lookup is usually one comparison instead of a scan
/// (the run's load reads millions of cells).
#[inline]
fn position_of(names: &[String], next: &std::cell::Cell<usize>, column: &str) -> Option<usize> {
    let hint = next.get();
    let found = match names.get(hint) {
        Some(n) if n == column => Some(hint),
        _ => names.iter().position(|n| n == column),
    };
    if let Some(i) = found {
        next.set(i + 1);
    }
    found
}

impl Row {
    /// The values in the query's column order (to compare a stored row with one to write).
    pub fn values(&self) -> &[Val] {
        &self.vals
    }
}

/// The table a query reads, for error messages: the table after FROM, or for a join the table
/// joined last (our joins read their columns from it: ledger or actions per claim).
fn table_of(sql: &str) -> &str {
    let after = |key: &str| sql.rfind(key).map(|i| &sql[i + key.len()..]);
    let rest = after(" JOIN ").or_else(|| after(" FROM ")).or_else(|| after("INSERT INTO ")).unwrap_or(sql);
    rest.split(|c: char| c.is_whitespace() || c == '(').next().unwrap_or(rest)
}

/// A stored row as cells: what each database driver provides. Columns are found by name; a NULL is
/// `Ok(None)`, a value of the wrong kind an `Err` saying what it is.
pub trait RowRef {
    /// The table the row came from (for errors).
    fn table(&self) -> &str;
    /// The position of a column in the query.
    fn position(&self, column: &str) -> Option<usize>;
    /// An integer cell.
    fn int_at(&self, idx: usize) -> Result<Option<i64>, String>;
    /// A text cell.
    fn str_at(&self, idx: usize) -> Result<Option<&str>, String>;
    /// An integer cell by column name: one call where the row can find and read in one step
    /// (streamed rows are read millions of times per run).
    fn int_named(&self, column: &str) -> Result<Option<i64>, CellError> {
        self.int_at(self.position(column).ok_or(CellError::NotInQuery)?).map_err(CellError::Bad)
    }
    /// A text cell by column name (as [`RowRef::int_named`]).
    fn str_named(&self, column: &str) -> Result<Option<&str>, CellError> {
        self.str_at(self.position(column).ok_or(CellError::NotInQuery)?).map_err(CellError::Bad)
    }
}

/// Why a cell could not be read by name.
#[derive(Debug)]
pub enum CellError {
    /// The query does not select the column.
    NotInQuery,
    /// The value is not of the kind asked for: what it is.
    Bad(String),
}

impl RowRef for Row {
    fn table(&self) -> &str {
        &self.table
    }
    fn position(&self, column: &str) -> Option<usize> {
        position_of(&self.names, &self.next, column)
    }
    fn int_at(&self, idx: usize) -> Result<Option<i64>, String> {
        match self.vals.get(idx) {
            Some(Val::I(i)) => Ok(*i),
            Some(Val::T(None)) => Ok(None),
            Some(Val::T(Some(t))) => t.parse().map(Some).map_err(|_| format!("not an integer: '{t}'")),
            None => Err("no such column".into()),
        }
    }
    fn str_at(&self, idx: usize) -> Result<Option<&str>, String> {
        match self.vals.get(idx) {
            Some(Val::T(t)) => Ok(t.as_deref()),
            Some(Val::I(None)) => Ok(None),
            Some(Val::I(Some(i))) => Err(format!("a number ({i}) where text was expected")),
            None => Err("no such column".into()),
        }
    }
}

/// Reading a stored row's columns by name. Every reader is loud: a column that is missing, NULL
/// where a value is required, or malformed is an error naming the table and column, never a
/// default (a bad integer must not become 0, nor a bad date 1970-01-01).
pub trait ReadRow: RowRef {
    /// The error for `column` with `problem`.
    fn fail(&self, column: &str, problem: impl Into<String>) -> StoreError {
        StoreError::Row { table: self.table().to_string(), column: column.to_string(), problem: problem.into() }
    }
    /// The error for a cell that could not be read.
    fn cell_error(&self, column: &str, e: CellError) -> StoreError {
        match e {
            CellError::NotInQuery => self.fail(column, "not in the query"),
            CellError::Bad(p) => self.fail(column, p),
        }
    }
    /// An integer that may be NULL.
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.int_named(column).map_err(|e| self.cell_error(column, e))
    }
    /// An integer.
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.opt_int(column)?.ok_or_else(|| self.fail(column, "missing"))
    }
    /// A 0/1 flag.
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        match self.int(column)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.fail(column, format!("not 0 or 1: {v}"))),
        }
    }
    /// A flag that may be NULL.
    fn opt_flag(&self, column: &str) -> Result<Option<bool>, StoreError> {
        match self.opt_int(column)? {
            None => Ok(None),
            Some(_) => self.flag(column).map(Some),
        }
    }
    /// Text that may be NULL, borrowed.
    fn opt_str(&self, column: &str) -> Result<Option<&str>, StoreError> {
        self.str_named(column).map_err(|e| self.cell_error(column, e))
    }
    /// Text, borrowed.
    fn str(&self, column: &str) -> Result<&str, StoreError> {
        self.opt_str(column)?.ok_or_else(|| self.fail(column, "missing"))
    }
    /// Text.
    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.str(column).map(str::to_string)
    }
    /// Text that may be NULL.
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.opt_str(column)?.map(str::to_string))
    }
    /// A date (`YYYY-MM-DD`) that may be NULL.
    fn opt_date(&self, column: &str) -> Result<Option<chrono::NaiveDate>, StoreError> {
        match self.opt_str(column)? {
            None => Ok(None),
            Some(s) => parse_day(s).map(Some).ok_or_else(|| self.fail(column, format!("not a date: '{s}'"))),
        }
    }
    /// A date.
    fn date(&self, column: &str) -> Result<chrono::NaiveDate, StoreError> {
        self.opt_date(column)?.ok_or_else(|| self.fail(column, "missing"))
    }
    /// A text column parsed as `T` (an enum, a currency, a decimal) that may be NULL.
    fn opt<T: std::str::FromStr>(&self, column: &str) -> Result<Option<T>, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        match self.opt_str(column)? {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|e| self.fail(column, format!("'{s}': {e}"))),
        }
    }
    /// A JSON text column.
    fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        serde_json::from_str(self.str(column)?).map_err(|e| self.fail(column, format!("not the JSON expected: {e}")))
    }
    /// A text column parsed as `T`.
    fn get<T: std::str::FromStr>(&self, column: &str) -> Result<T, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        self.opt(column)?.ok_or_else(|| self.fail(column, "missing"))
    }
}

impl<R: RowRef + ?Sized> ReadRow for R {}

/// Parses `YYYY-MM-DD` directly (several times faster than a general date parser; dates are
/// written by this store, so the shape is known).
pub fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return s.parse().ok();
    }
    let num = |r: std::ops::Range<usize>| {
        b.get(r)?.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// What a streamed query calls for each row.
pub type RowFn<'a> = dyn FnMut(&dyn RowRef) -> Result<(), StoreError> + 'a;

/// One SQL dialect over one connection: the store's only contact with a database.
pub trait Backend: Send {
    /// "sqlite" or "postgres".
    fn name(&self) -> &'static str;
    /// Runs statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Runs one statement; the rows it changed.
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    /// The same statement once per row (prepared once).
    fn exec_many(&mut self, sql: &str, rows: &mut dyn Iterator<Item = Vec<Val>>) -> Result<u64, StoreError>;
    /// After `added` rows were written into `table` in bulk: refreshes the planner's
    /// statistics of it where they count fewer rows than that (PostgreSQL; nothing on SQLite).
    fn refresh_statistics(&mut self, _table: &str, _added: usize) -> Result<(), StoreError> {
        Ok(())
    }
    /// Refreshes the planner's statistics of each of `tables` (or of its partitions) where
    /// more rows changed since they were taken than the table then held (PostgreSQL; nothing
    /// on SQLite).
    fn refresh_stale_statistics(&mut self, _tables: &[&str]) -> Result<(), StoreError> {
        Ok(())
    }
    /// Inserts `rows` (values in the order of `columns`) into `table` in bulk, skipping rows
    /// that conflict on `conflict` (a unique key, e.g. `(creditor_id, claim_id, seq)`) when
    /// given; the rows inserted. Rows go in in their order (serial ids follow it).
    fn insert_rows(&mut self, insert: &Insert<'_>, rows: Vec<Vec<Val>>) -> Result<u64, StoreError>;
    /// The rows of a query, read whole.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError>;
    /// Calls `f` for each row, in order, without collecting.
    fn query_each(&mut self, sql: &str, params: &[Val], f: &mut RowFn<'_>) -> Result<(), StoreError>;
}

/// A bulk insert: the table, its columns, and the unique key whose conflicting rows are skipped.
#[derive(Clone, Copy, Debug)]
pub struct Insert<'a> {
    /// The table.
    pub table: &'a str,
    /// The columns given, in the order of each row's values.
    pub columns: &'a [&'a str],
    /// `Some("(creditor_id, id)")`: rows that would repeat this key are skipped.
    pub conflict: Option<&'a str>,
}

impl Insert<'_> {
    /// `INSERT INTO table (columns) VALUES` and `rows` groups of `placeholder`s, then the
    /// conflict clause.
    fn sql(&self, rows: usize, placeholder: &dyn Fn(usize) -> String) -> String {
        let n = self.columns.len();
        let groups: Vec<String> = (0..rows)
            .map(|r| format!("({})", (0..n).map(|c| placeholder(r * n + c + 1)).collect::<Vec<_>>().join(", ")))
            .collect();
        let conflict = self.conflict.map(|k| format!(" ON CONFLICT {k} DO NOTHING")).unwrap_or_default();
        format!("INSERT INTO {} ({}) VALUES {}{conflict}", self.table, self.columns.join(", "), groups.join(", "))
    }
}

/// Rows per multi-row INSERT on SQLite: one statement step per this many rows instead of per
/// row, within SQLite's limit of 32 766 parameters a statement.
const SQLITE_ROWS_AT_ONCE: usize = 256;

/// Rows from which PostgreSQL gets them by COPY … FROM STDIN BINARY instead of one INSERT each.
const PG_COPY_FROM: usize = 64;
/// Rows written or changed from which PostgreSQL's statistics of a table are checked.
const PG_ANALYZE_FROM: usize = 10_000;

struct SqliteRow<'a, 'b> {
    row: &'a rusqlite::Row<'b>,
    table: &'a str,
    /// The statement's column names, read once per query (asking SQLite per cell costs a call
    /// and a string scan per column).
    names: &'a [String],
    /// Where the next column read is expected (see [`position_of`]).
    next: std::cell::Cell<usize>,
}
impl RowRef for SqliteRow<'_, '_> {
    fn table(&self) -> &str {
        self.table
    }
    fn position(&self, column: &str) -> Option<usize> {
        position_of(self.names, &self.next, column)
    }
    fn int_named(&self, column: &str) -> Result<Option<i64>, CellError> {
        self.int_at(position_of(self.names, &self.next, column).ok_or(CellError::NotInQuery)?).map_err(CellError::Bad)
    }
    fn str_named(&self, column: &str) -> Result<Option<&str>, CellError> {
        self.str_at(position_of(self.names, &self.next, column).ok_or(CellError::NotInQuery)?).map_err(CellError::Bad)
    }
    fn int_at(&self, idx: usize) -> Result<Option<i64>, String> {
        use rusqlite::types::ValueRef;
        match self.row.get_ref(idx).map_err(|e| e.to_string())? {
            ValueRef::Integer(i) => Ok(Some(i)),
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => {
                let t = String::from_utf8_lossy(t);
                t.parse().map(Some).map_err(|_| format!("not an integer: '{t}'"))
            }
            other => Err(format!("not an integer: {:?}", other.data_type())),
        }
    }
    fn str_at(&self, idx: usize) -> Result<Option<&str>, String> {
        use rusqlite::types::ValueRef;
        match self.row.get_ref(idx).map_err(|e| e.to_string())? {
            ValueRef::Text(t) => std::str::from_utf8(t).map(Some).map_err(|e| e.to_string()),
            ValueRef::Null => Ok(None),
            other => Err(format!("not text: {:?}", other.data_type())),
        }
    }
}

struct PgRow<'a> {
    row: &'a postgres::Row,
    table: &'a str,
}
impl RowRef for PgRow<'_> {
    fn table(&self) -> &str {
        self.table
    }
    fn position(&self, column: &str) -> Option<usize> {
        self.row.columns().iter().position(|c| c.name() == column)
    }
    fn int_at(&self, idx: usize) -> Result<Option<i64>, String> {
        let t = self.row.columns().get(idx).ok_or("no such column")?.type_();
        if *t == postgres::types::Type::INT4 {
            self.row.try_get::<_, Option<i32>>(idx).map(|v| v.map(i64::from)).map_err(|e| e.to_string())
        } else {
            self.row.try_get::<_, Option<i64>>(idx).map_err(|e| e.to_string())
        }
    }
    fn str_at(&self, idx: usize) -> Result<Option<&str>, String> {
        self.row.try_get::<_, Option<&str>>(idx).map_err(|e| e.to_string())
    }
}

/// SQLite (the embedded default).
pub struct Sqlite(pub rusqlite::Connection);

/// Values bind to SQLite borrowed: text is not copied per parameter (a bulk insert binds
/// millions of them).
impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Val::I(Some(i)) => ValueRef::Integer(*i),
            Val::T(Some(t)) => ValueRef::Text(t.as_bytes()),
            _ => ValueRef::Null,
        }))
    }
}

impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn query_each(&mut self, sql: &str, params: &[Val], f: &mut RowFn<'_>) -> Result<(), StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let names: Vec<String> = st.column_names().into_iter().map(str::to_string).collect();
        let table = table_of(sql);
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            f(&SqliteRow { row: r, table, names: &names, next: std::cell::Cell::new(0) })?;
        }
        Ok(())
    }
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.0.execute_batch(sql)?)
    }
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }
    fn exec_many(&mut self, sql: &str, rows: &mut dyn Iterator<Item = Vec<Val>>) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let mut n = 0;
        for r in rows {
            n += st.execute(rusqlite::params_from_iter(r.iter()))? as u64;
        }
        Ok(n)
    }
    fn insert_rows(&mut self, insert: &Insert<'_>, rows: Vec<Vec<Val>>) -> Result<u64, StoreError> {
        let per = SQLITE_ROWS_AT_ONCE.min(32_766 / insert.columns.len().max(1)).max(1);
        let mut n = 0;
        for chunk in rows.chunks(per) {
            let mut st = self.0.prepare_cached(&insert.sql(chunk.len(), &|_| "?".to_string()))?;
            n += st.execute(rusqlite::params_from_iter(chunk.iter().flatten()))? as u64;
        }
        Ok(n)
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        use rusqlite::types::ValueRef;
        let mut st = self.0.prepare_cached(sql)?;
        let cols = st.column_count();
        let table: std::sync::Arc<str> = table_of(sql).into();
        let names: std::sync::Arc<[String]> = st.column_names().into_iter().map(str::to_string).collect();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(cols);
            for i in 0..cols {
                row.push(match r.get_ref(i)? {
                    ValueRef::Integer(x) => Val::I(Some(x)),
                    ValueRef::Text(t) => Val::T(Some(String::from_utf8_lossy(t).into_owned())),
                    ValueRef::Null => Val::I(None),
                    ValueRef::Real(f) => {
                        return Err(StoreError::Data(format!("unexpected real value {f} in column {i}")))
                    }
                    ValueRef::Blob(_) => return Err(StoreError::Data(format!("unexpected blob in column {i}"))),
                });
            }
            out.push(Row { table: table.clone(), names: names.clone(), vals: row, next: Default::default() });
        }
        Ok(out)
    }
}

/// PostgreSQL (production).
pub struct Postgres {
    /// The connection.
    pub client: postgres::Client,
}

impl Postgres {
    /// A backend over a connection.
    pub fn new(client: postgres::Client) -> Postgres {
        Postgres { client }
    }

    /// COPY … FROM STDIN BINARY of `rows` into `target`'s `columns`, typed as `table`'s.
    fn copy_in(&mut self, target: &str, table: &str, columns: &[&str], rows: &[Vec<Val>]) -> Result<u64, StoreError> {
        use postgres::types::{ToSql, Type};
        let cols = columns.join(", ");
        let probe = self.client.prepare(&format!("SELECT {cols} FROM {table} LIMIT 0"))?;
        let types: Vec<Type> = probe.columns().iter().map(|c| c.type_().clone()).collect();
        let sink = self.client.copy_in(&format!("COPY {target} ({cols}) FROM STDIN BINARY"))?;
        let mut w = postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            let mut cells: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(row.len());
            for ((v, t), column) in row.iter().zip(&types).zip(columns) {
                cells.push(match v {
                    Val::I(Some(i)) if *t == Type::INT4 => Box::new(i32::try_from(*i).map_err(|_| {
                        StoreError::Data(format!("{table}.{column}: {i} does not fit the column's integer"))
                    })?),
                    Val::I(None) if *t == Type::INT4 => Box::new(None::<i32>),
                    Val::I(None) if *t == Type::TEXT => Box::new(None::<String>),
                    Val::I(i) => Box::new(*i),
                    Val::T(t) => Box::new(t.clone()),
                });
            }
            let refs: Vec<&(dyn ToSql + Sync)> = cells.iter().map(|b| b.as_ref()).collect();
            w.write(&refs)?;
        }
        Ok(w.finish()?)
    }
}

fn pg_params(params: &[Val]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Val::I(i) => Box::new(*i),
                Val::T(t) => Box::new(t.clone()),
            }
        })
        .collect()
}

impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn query_each(&mut self, sql: &str, params: &[Val], f: &mut RowFn<'_>) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let p = pg_params(params);
        let mut it = self.client.query_raw(sql, p.iter().map(|b| b.as_ref() as &dyn postgres::types::ToSql))?;
        let table = table_of(sql);
        while let Some(r) = it.next()? {
            f(&PgRow { row: &r, table })?;
        }
        Ok(())
    }
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.batch_execute(sql)?)
    }
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        Ok(self.client.execute(sql, &refs)?)
    }
    fn insert_rows(&mut self, insert: &Insert<'_>, rows: Vec<Vec<Val>>) -> Result<u64, StoreError> {
        if rows.len() < PG_COPY_FROM {
            let sql = insert.sql(1, &|i| format!("${i}"));
            return self.exec_many(&sql, &mut rows.into_iter());
        }
        let Some(conflict) = insert.conflict else {
            let n = self.copy_in(insert.table, insert.table, insert.columns, &rows)?;
            self.refresh_statistics(insert.table, rows.len())?;
            return Ok(n);
        };
        // COPY cannot skip conflicting rows: they are staged in a temporary table of this
        // connection and inserted from there (in the order copied: a fresh heap is read back in
        // the order it was written). Made if missing each time: a rolled-back transaction
        // takes the table it made with it.
        let stage = format!("fordra_stage_{}", insert.table);
        let cols = insert.columns.join(", ");
        self.client.batch_execute(&format!(
            "CREATE TEMPORARY TABLE IF NOT EXISTS {stage} AS SELECT {cols} FROM {} WITH NO DATA; TRUNCATE {stage}",
            insert.table
        ))?;
        self.copy_in(&stage, insert.table, insert.columns, &rows)?;
        let n = self.client.execute(
            &format!(
                "INSERT INTO {} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT {conflict} DO NOTHING",
                insert.table
            ),
            &[],
        )?;
        self.client.batch_execute(&format!("TRUNCATE {stage}"))?;
        self.refresh_statistics(insert.table, rows.len())?;
        Ok(n)
    }
    /// Analyzes `table` after `added` rows were written into it when its statistics counted
    /// fewer rows than that (a first bulk load, a catch-up day): without them the planner
    /// takes a table of millions for a few rows and walks a whole index per list of customers
    /// (seen: 0.13 s for each of 2 000 customers' steps, 2 ms after). In the writer's
    /// transaction, so the rows it has just written are counted; `SKIP_LOCKED`, so a writer
    /// never waits for another's ANALYZE (which keeps its lock to the end of its transaction).
    fn refresh_statistics(&mut self, table: &str, added: usize) -> Result<(), StoreError> {
        if added < PG_ANALYZE_FROM {
            return Ok(());
        }
        let row =
            self.client.query_one("SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass($1)", &[&table])?;
        let counted: f64 = row.get(0);
        if counted < added as f64 {
            self.client.batch_execute(&format!("ANALYZE (SKIP_LOCKED) {table}"))?;
        }
        Ok(())
    }
    /// After a first bulk import, before autovacuum has come by: without statistics the
    /// planner takes a table of a million claims for a few rows and reads the day by nested
    /// loops (seen: 5.6 s instead of 1.0 for 200 000 claims' ledger). Skipped where another
    /// transaction is analyzing it.
    fn refresh_stale_statistics(&mut self, tables: &[&str]) -> Result<(), StoreError> {
        let names: Vec<&str> = tables.to_vec();
        let partitions: Vec<String> = tables.iter().map(|t| format!("{t}\\_h%")).collect();
        let stale = self.client.query(
            "SELECT relname::text FROM pg_stat_user_tables WHERE (relname::text = ANY($1) OR relname::text LIKE ANY($2)) \
             AND n_mod_since_analyze >= $3 AND n_mod_since_analyze > COALESCE(n_live_tup - n_mod_since_analyze, 0)",
            &[&names, &partitions, &(PG_ANALYZE_FROM as i64)],
        )?;
        for r in stale {
            let table: String = r.get(0);
            self.client.batch_execute(&format!("ANALYZE (SKIP_LOCKED) {table}"))?;
        }
        Ok(())
    }
    fn exec_many(&mut self, sql: &str, rows: &mut dyn Iterator<Item = Vec<Val>>) -> Result<u64, StoreError> {
        let st = self.client.prepare(sql)?;
        let mut n = 0;
        for r in rows {
            let p = pg_params(&r);
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
            n += self.client.execute(&st, &refs)?;
        }
        Ok(n)
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        use postgres::types::Type;
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        let rows = self.client.query(sql, &refs)?;
        let table: std::sync::Arc<str> = table_of(sql).into();
        let names: std::sync::Arc<[String]> =
            rows.first().map(|r| r.columns().iter().map(|c| c.name().to_string()).collect()).unwrap_or_default();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut row = Vec::with_capacity(r.len());
            for (i, c) in r.columns().iter().enumerate() {
                let t = c.type_();
                row.push(if *t == Type::INT8 {
                    Val::I(r.try_get::<_, Option<i64>>(i)?)
                } else if *t == Type::INT4 {
                    Val::I(r.try_get::<_, Option<i32>>(i)?.map(i64::from))
                } else if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::BPCHAR || *t == Type::NAME {
                    Val::T(r.try_get::<_, Option<String>>(i)?)
                } else {
                    return Err(StoreError::Data(format!("unexpected column type {t} for {}", c.name())));
                });
            }
            out.push(Row { table: table.clone(), names: names.clone(), vals: row, next: Default::default() });
        }
        Ok(out)
    }
}
