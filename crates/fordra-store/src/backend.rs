//! The two database drivers behind one small interface. Every query is written once with
//! `$1, $2, …` placeholders (SQLite reads them as numbered parameters in order of appearance),
//! integers and text only, so both databases run the same SQL and give the same results.

use crate::StoreError;

/// A parameter or column value. Integers and text only: money is in minor units, dates are
/// ISO text, flags are 0/1 — identical on both databases.
#[derive(Clone, Debug, Eq)]
pub enum Val {
    I(Option<i64>),
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

pub type Row = Vec<Val>;

/// A borrowed row for streaming reads of large results without allocating per cell.
pub trait RowRef {
    fn int(&self, idx: usize) -> Option<i64>;
    fn str(&self, idx: usize) -> Option<&str>;
    fn day(&self, idx: usize) -> Option<chrono::NaiveDate> {
        self.str(idx).and_then(parse_day)
    }
}

/// Parses `YYYY-MM-DD` directly (several times faster than a general date parser; dates are
/// written by this store, so the shape is known).
pub fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return s.parse().ok();
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

pub type RowFn<'a> = dyn FnMut(&dyn RowRef) -> Result<(), StoreError> + 'a;

pub trait Backend: Send {
    fn name(&self) -> &'static str;
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    /// The same statement once per row (prepared once).
    fn exec_many(&mut self, sql: &str, rows: &mut dyn Iterator<Item = Vec<Val>>) -> Result<u64, StoreError>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError>;
    /// Calls `f` for each row, in order, without collecting.
    fn query_each(&mut self, sql: &str, params: &[Val], f: &mut RowFn<'_>) -> Result<(), StoreError>;
}

struct SqliteRow<'a, 'b>(&'a rusqlite::Row<'b>);
impl RowRef for SqliteRow<'_, '_> {
    fn int(&self, idx: usize) -> Option<i64> {
        match self.0.get_ref(idx).ok()? {
            rusqlite::types::ValueRef::Integer(i) => Some(i),
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok()?.parse().ok(),
            _ => None,
        }
    }
    fn str(&self, idx: usize) -> Option<&str> {
        match self.0.get_ref(idx).ok()? {
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok(),
            _ => None,
        }
    }
}

struct PgRow<'a>(&'a postgres::Row);
impl RowRef for PgRow<'_> {
    fn int(&self, idx: usize) -> Option<i64> {
        let t = self.0.columns()[idx].type_();
        if *t == postgres::types::Type::INT4 {
            self.0.try_get::<_, Option<i32>>(idx).ok().flatten().map(i64::from)
        } else {
            self.0.try_get::<_, Option<i64>>(idx).ok().flatten()
        }
    }
    fn str(&self, idx: usize) -> Option<&str> {
        self.0.try_get::<_, Option<&str>>(idx).ok().flatten()
    }
}

pub struct Sqlite(pub rusqlite::Connection);

fn sqlite_val(v: &Val) -> rusqlite::types::Value {
    match v {
        Val::I(Some(i)) => rusqlite::types::Value::Integer(*i),
        Val::T(Some(t)) => rusqlite::types::Value::Text(t.clone()),
        _ => rusqlite::types::Value::Null,
    }
}

impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn query_each(&mut self, sql: &str, params: &[Val], f: &mut RowFn<'_>) -> Result<(), StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(params.iter().map(sqlite_val)))?;
        while let Some(r) = rows.next()? {
            f(&SqliteRow(r))?;
        }
        Ok(())
    }
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.0.execute_batch(sql)?)
    }
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter().map(sqlite_val)))? as u64)
    }
    fn exec_many(&mut self, sql: &str, rows: &mut dyn Iterator<Item = Vec<Val>>) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let mut n = 0;
        for r in rows {
            n += st.execute(rusqlite::params_from_iter(r.iter().map(sqlite_val)))? as u64;
        }
        Ok(n)
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        use rusqlite::types::ValueRef;
        let mut st = self.0.prepare_cached(sql)?;
        let cols = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter().map(sqlite_val)))?;
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
            out.push(row);
        }
        Ok(out)
    }
}

pub struct Postgres(pub postgres::Client);

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
        let mut it = self.0.query_raw(sql, p.iter().map(|b| b.as_ref() as &dyn postgres::types::ToSql))?;
        while let Some(r) = it.next()? {
            f(&PgRow(&r))?;
        }
        Ok(())
    }
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.0.batch_execute(sql)?)
    }
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        Ok(self.0.execute(sql, &refs)?)
    }
    fn exec_many(&mut self, sql: &str, rows: &mut dyn Iterator<Item = Vec<Val>>) -> Result<u64, StoreError> {
        let st = self.0.prepare(sql)?;
        let mut n = 0;
        for r in rows {
            let p = pg_params(&r);
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
            n += self.0.execute(&st, &refs)?;
        }
        Ok(n)
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        use postgres::types::Type;
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        let rows = self.0.query(sql, &refs)?;
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
            out.push(row);
        }
        Ok(out)
    }
}

/// Column access with clear errors.
pub trait RowExt {
    fn i(&self, idx: usize) -> i64;
    fn oi(&self, idx: usize) -> Option<i64>;
    fn t(&self, idx: usize) -> String;
    fn ot(&self, idx: usize) -> Option<String>;
    fn date(&self, idx: usize) -> chrono::NaiveDate;
    fn odate(&self, idx: usize) -> Option<chrono::NaiveDate>;
}

impl RowExt for Row {
    fn i(&self, idx: usize) -> i64 {
        self.oi(idx).unwrap_or(0)
    }
    fn oi(&self, idx: usize) -> Option<i64> {
        match &self[idx] {
            Val::I(i) => *i,
            Val::T(t) => t.as_deref().and_then(|s| s.parse().ok()),
        }
    }
    fn t(&self, idx: usize) -> String {
        self.ot(idx).unwrap_or_default()
    }
    fn ot(&self, idx: usize) -> Option<String> {
        match &self[idx] {
            Val::T(t) => t.clone(),
            Val::I(i) => i.map(|x| x.to_string()),
        }
    }
    fn date(&self, idx: usize) -> chrono::NaiveDate {
        self.odate(idx).unwrap_or_default()
    }
    fn odate(&self, idx: usize) -> Option<chrono::NaiveDate> {
        self.ot(idx).and_then(|s| s.parse().ok())
    }
}
