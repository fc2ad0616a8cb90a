//! Reading a row's columns by name — a whole row, or one table's part of a row
//! that several tables' rows share (the authorising read: one statement, one
//! row, each table's columns after a marker column).

use sqlx::postgres::{PgRow, Postgres};
use sqlx::{Column, Decode, Row, Type};

/// A row's columns by name: what the row mappers in `rows` read from.
pub(crate) trait Cols {
    /// The column `name`, decoded; `ColumnNotFound` when there is none.
    fn try_get<'r, T, I>(&'r self, name: I) -> Result<T, sqlx::Error>
    where
        I: AsRef<str>,
        T: Decode<'r, Postgres> + Type<Postgres>;
}

impl Cols for PgRow {
    fn try_get<'r, T, I>(&'r self, name: I) -> Result<T, sqlx::Error>
    where
        I: AsRef<str>,
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        Row::try_get(self, name.as_ref())
    }
}

/// One table's columns in a row that joins several: the columns after the
/// marker column `<table>:` up to the next marker (a column whose name ends in
/// `:`) or the row's end. Markers are written by the statement; no table has a
/// column whose name ends in `:`, and a marker that appears twice is refused,
/// so a migration that added one would fail the statement, never shift a part.
pub(crate) struct Part<'r> {
    row: &'r PgRow,
    from: usize,
    to: usize,
}

impl<'r> Part<'r> {
    /// The part after the marker `<name>:`; `ColumnNotFound` when the
    /// statement has no such marker.
    pub(crate) fn of(row: &'r PgRow, name: &str) -> Result<Self, sqlx::Error> {
        let marker = format!("{name}:");
        let columns = row.columns();
        let at = columns
            .iter()
            .position(|c| c.name() == marker)
            .ok_or_else(|| sqlx::Error::ColumnNotFound(marker.clone()))?;
        if columns.iter().filter(|c| c.name() == marker).count() > 1 {
            return Err(sqlx::Error::ColumnDecode {
                index: marker,
                source: "the marker column appears more than once".into(),
            });
        }
        let from = at.saturating_add(1);
        let to = columns
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, c)| c.name().ends_with(':'))
            .map_or(columns.len(), |(i, _)| i);
        Ok(Part { row, from, to })
    }

    /// Whether the joined table had a row: its key column `key` is not null
    /// (a left join that found nothing fills every column with null).
    pub(crate) fn found(&self, key: &str) -> Result<bool, sqlx::Error> {
        Ok(self.try_get::<Option<uuid::Uuid>, _>(key)?.is_some())
    }
}

impl Cols for Part<'_> {
    fn try_get<'r, T, I>(&'r self, name: I) -> Result<T, sqlx::Error>
    where
        I: AsRef<str>,
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        let name = name.as_ref();
        let index = self
            .row
            .columns()
            .get(self.from..self.to)
            .and_then(|part| part.iter().position(|c| c.name() == name))
            .ok_or_else(|| sqlx::Error::ColumnNotFound(name.to_owned()))?;
        Row::try_get(self.row, self.from.saturating_add(index))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step is a failed test
    use super::*;
    use crate::testing::admin_url;
    use secrecy::ExposeSecret;
    use sqlx::Connection;

    async fn row(sql: &'static str) -> Option<PgRow> {
        let admin = admin_url("cols")?;
        let mut conn = sqlx::PgConnection::connect(admin.expose_secret()).await.unwrap();
        Some(sqlx::query(sql).fetch_one(&mut conn).await.unwrap())
    }

    #[tokio::test]
    async fn each_part_reads_its_own_columns_up_to_the_next_marker() {
        let Some(r) = row("SELECT 1 AS \"a:\", 10 AS id, 1 AS \"b:\", 20 AS id, NULL::uuid AS key").await else {
            return;
        };
        let a = Part::of(&r, "a").unwrap();
        let b = Part::of(&r, "b").unwrap();
        assert_eq!(a.try_get::<i32, _>("id").unwrap(), 10);
        assert_eq!(b.try_get::<i32, _>("id").unwrap(), 20);
        assert!(a.try_get::<Option<uuid::Uuid>, _>("key").is_err(), "a part does not reach into the next");
        assert!(!b.found("key").unwrap(), "a null key: the join found no row");
        assert!(Part::of(&r, "c").is_err(), "no such marker");
    }

    #[tokio::test]
    async fn a_marker_that_appears_twice_is_refused_rather_than_a_part_shifted() {
        let Some(r) = row("SELECT 1 AS \"a:\", 10 AS id, 1 AS \"a:\", 20 AS id").await else { return };
        assert!(Part::of(&r, "a").is_err());
    }
}
