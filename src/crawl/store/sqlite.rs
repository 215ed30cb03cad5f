//! [`SqliteStore`]: a crawl kept in one SQLite file (WAL, group commits),
//! so that it survives a crash and resumes.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction};
use tokio::sync::oneshot;
use url::Url;

use super::{stable_fingerprint, Counts, CrawlStore, Finished, Job, Recorded, RobotsOutcome, StoredRobots, Taken};
use crate::transport::BoxFuture;
use crate::{Error, Result};

/// `PRAGMA application_id` of unifetch's crawl files ("UFCR").
const APPLICATION_ID: i32 = 0x5546_4352;
/// `PRAGMA user_version`: the schema this code reads and writes.
const SCHEMA_VERSION: i32 = 2;
/// The most commands in one transaction.
const BATCH_SIZE: usize = 4096;

// Every write appends or removes at the head of a B-tree: rows are
// numbered in the order URLs are found, which is roughly the order they
// are leased and finished, and no row is ever updated. So a commit touches
// few database pages, and a group commit writes little to the WAL. A
// lease is not written at all: a page that is neither queued nor done
// when the file is opened was leased, and is queued again.
const SCHEMA: &str = "
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY,       -- the order URLs were found in
        fp INTEGER NOT NULL,          -- xxh3 of the normalized URL
        url TEXT NOT NULL,
        depth INTEGER NOT NULL,
        fetch INTEGER NOT NULL        -- 1 to be fetched, 0 only seen (where a redirect ended)
    );
    CREATE TABLE queue (
        depth INTEGER NOT NULL,
        page INTEGER NOT NULL,        -- pages.id
        PRIMARY KEY (depth, page)
    ) WITHOUT ROWID;
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,       -- the order pages were finished in
        page INTEGER NOT NULL,        -- pages.id: done
        json TEXT                     -- the page's record; NULL for a page done without one
    );
    CREATE TABLE robots (
        host TEXT PRIMARY KEY,
        outcome TEXT NOT NULL,        -- rules, unavailable, unreachable
        body BLOB,
        fetched_at_ms INTEGER NOT NULL
    );
";

/// Schema version 1 to 2, in one transaction. Version 1 marked each page's
/// state (0 queued, 1 leased, 2 done, 3 seen) in `pages` and kept only
/// records that were not empty.
const FROM_VERSION_1: &str = "
    BEGIN;
    CREATE TABLE queue (
        depth INTEGER NOT NULL,
        page INTEGER NOT NULL,
        PRIMARY KEY (depth, page)
    ) WITHOUT ROWID;
    INSERT INTO queue (depth, page) SELECT depth, id FROM pages WHERE state IN (0, 1);
    CREATE TABLE records_2 (id INTEGER PRIMARY KEY, page INTEGER NOT NULL, json TEXT);
    INSERT INTO records_2 (id, page, json) SELECT id, page, json FROM records;
    INSERT INTO records_2 (page, json)
        SELECT id, NULL FROM pages WHERE state = 2 AND id NOT IN (SELECT page FROM records);
    DROP TABLE records;
    ALTER TABLE records_2 RENAME TO records;
    DROP INDEX pages_queue;
    ALTER TABLE pages RENAME COLUMN state TO fetch;
    UPDATE pages SET fetch = fetch != 3;
    PRAGMA user_version = 2;
    COMMIT;
";

/// A crawl kept in a SQLite file (bundled SQLite, WAL).
///
/// A finished page's record is committed in the same transaction that
/// marks its URL done and queues the links it found; the writes that
/// arrive while one commit syncs share the next (group commit), and a
/// record comes out of the crawl only once it is on disk. Opening the file
/// again resumes the crawl: pages that were leased are queued again. The
/// crawl holds at most twice its concurrency of pages fetched and not yet
/// committed (in flight, or finished and on their way), so a crash (kill -9,
/// power loss) fetches again at most that many, however fast it ran.
///
/// One crawl process holds the file at a time; a second one gets a clear
/// error. A file that is not a crawl store, or one of another schema
/// version, is refused, never misread.
///
/// ```no_run
/// use unifetch::crawl::{store::SqliteStore, Crawler};
/// # async fn run(session: unifetch::Session) -> unifetch::Result<()> {
/// let crawl = Crawler::new(session)
///     .store(SqliteStore::open("crawl.db")?)
///     .crawl(["http://127.0.0.1:8080/"])?;
/// # drop(crawl); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStore {
    commands: mpsc::Sender<Command>,
    path: PathBuf,
}

type Reply<T> = oneshot::Sender<Result<T>>;

enum Command {
    Add(Vec<Job>, Reply<u64>),
    Take(usize, Reply<Taken>),
    Finish(Vec<Finished>, Reply<Recorded>),
    GiveBack(Vec<Job>, Reply<()>),
    Counts(Reply<Counts>),
    Robots(String, Reply<Option<StoredRobots>>),
    SaveRobots(String, StoredRobots, Reply<()>),
    /// Writes the records after the first `u64` to the writer.
    Export(u64, Box<dyn Write + Send>, Reply<u64>),
}

impl SqliteStore {
    /// Opens (or creates) the crawl file at `path` and holds it until the
    /// store is dropped.
    ///
    /// Errors ([`Error::is_store`]) when the file is not a SQLite database
    /// or is corrupt, belongs to another program, holds another schema
    /// version, or is in use by another crawl.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_owned();
        let state = State::open(&path)?;
        let (commands, inbox) = mpsc::channel();
        std::thread::Builder::new()
            .name("unifetch-sqlite".to_owned())
            .spawn(move || state.serve(&inbox))
            .map_err(|e| Error::store(format!("cannot start the store's thread: {e}")))?;
        Ok(SqliteStore { commands, path })
    }

    /// The file this store keeps the crawl in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes every stored record to `out` as JSON lines (the fields of
    /// [`PageRecord`](crate::crawl::PageRecord)), each URL once, in the
    /// order they were recorded. Returns how many.
    pub fn export(&self, out: impl Write + Send + 'static) -> BoxFuture<'static, Result<u64>> {
        self.export_after(0, out)
    }

    /// The same for the records after the first `skip`: what a copy of
    /// the records that stopped at `skip` lines (its process was killed
    /// after the store had its next records) misses.
    pub fn export_after(&self, skip: u64, out: impl Write + Send + 'static) -> BoxFuture<'static, Result<u64>> {
        self.ask(|reply| Command::Export(skip, Box::new(out), reply))
    }

    fn ask<T: Send + 'static>(&self, command: impl FnOnce(Reply<T>) -> Command) -> BoxFuture<'static, Result<T>> {
        let (reply, answer) = oneshot::channel();
        let sent = self.commands.send(command(reply));
        Box::pin(async move {
            sent.map_err(|_| Error::store("the store's thread has stopped"))?;
            answer
                .await
                .map_err(|_| Error::store("the store's thread has stopped"))?
        })
    }
}

impl CrawlStore for SqliteStore {
    /// Plenty: a lease costs a round trip to the store's thread, and a
    /// page leased but not fetched when the process dies is only queued
    /// again, not fetched twice.
    fn lease_ahead(&self, concurrency: usize) -> usize {
        (concurrency * 8).max(256)
    }

    fn add(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<u64>> {
        self.ask(|reply| Command::Add(jobs, reply))
    }

    fn take(&self, max: usize) -> BoxFuture<'static, Result<Taken>> {
        self.ask(|reply| Command::Take(max, reply))
    }

    fn finish(&self, pages: Vec<Finished>) -> BoxFuture<'static, Result<Recorded>> {
        self.ask(|reply| Command::Finish(pages, reply))
    }

    fn give_back(&self, jobs: Vec<Job>) -> BoxFuture<'static, Result<()>> {
        self.ask(|reply| Command::GiveBack(jobs, reply))
    }

    fn counts(&self) -> BoxFuture<'static, Result<Counts>> {
        self.ask(Command::Counts)
    }

    fn robots(&self, host: &str) -> BoxFuture<'static, Result<Option<StoredRobots>>> {
        let host = host.to_owned();
        self.ask(|reply| Command::Robots(host, reply))
    }

    fn save_robots(&self, host: &str, robots: StoredRobots) -> BoxFuture<'static, Result<()>> {
        let host = host.to_owned();
        self.ask(|reply| Command::SaveRobots(host, robots, reply))
    }
}

/// The connection and what is kept in memory beside it: the row of every
/// fingerprint seen (duplicates are skipped without a query) and the counts.
struct State {
    db: Connection,
    path: PathBuf,
    rows: Rows,
    counts: Counts,
}

/// Fingerprint → row id, and the next row id.
#[derive(Default)]
struct Rows {
    ids: HashMap<u64, i64>,
    next: i64,
}

impl Rows {
    /// The row of `url`, if it was seen.
    fn of(&self, url: &Url) -> Option<i64> {
        self.ids.get(&stable_fingerprint(url)).copied()
    }

    /// A new row id for `fp`, or `None` if it was seen.
    fn insert(&mut self, fp: u64) -> Option<i64> {
        match self.ids.entry(fp) {
            std::collections::hash_map::Entry::Occupied(_) => None,
            std::collections::hash_map::Entry::Vacant(slot) => {
                self.next += 1;
                slot.insert(self.next);
                Some(self.next)
            }
        }
    }
}

/// A reply that waits for the batch's commit.
type Pending = Box<dyn FnOnce(Result<(), &Error>) + Send>;

impl State {
    fn open(path: &Path) -> Result<State> {
        let fail = |what: &str, e: rusqlite::Error| describe(path, what, &e);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Connection::open_with_flags(path, flags).map_err(|e| fail("cannot open", e))?;
        db.busy_timeout(Duration::ZERO)
            .map_err(|e| fail("cannot configure", e))?;
        // Held from the first write until the store is dropped: one crawl
        // per file. Nothing is written before the file is known to be ours.
        let claimed = db
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .and_then(|()| db.execute_batch("BEGIN EXCLUSIVE; COMMIT;"));
        if let Err(e) = claimed {
            return Err(match e.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::store(format!(
                    "{} is in use by another crawl (one process at a time)",
                    path.display()
                )),
                _ => describe(path, "cannot lock", &e),
            });
        }
        let mut state = State {
            db,
            path: path.to_owned(),
            rows: Rows::default(),
            counts: Counts {
                workers: 1,
                ..Counts::default()
            },
        };
        state.check_schema()?;
        state
            .db
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| state.db.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| state.db.pragma_update(None, "cache_size", -32_768))
            .map_err(|e| state.fail("cannot configure", e))?;
        state.resume()?;
        Ok(state)
    }

    fn fail(&self, what: &str, e: rusqlite::Error) -> Error {
        describe(&self.path, what, &e)
    }

    /// Creates the schema in a new file and migrates one of schema
    /// version 1; refuses a file of another program or another version.
    fn check_schema(&mut self) -> Result<()> {
        let read = |db: &Connection| -> rusqlite::Result<(i32, i32, i64)> {
            let app: i32 = db.pragma_query_value(None, "application_id", |row| row.get(0))?;
            let version: i32 = db.pragma_query_value(None, "user_version", |row| row.get(0))?;
            let tables: i64 = db.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
            Ok((app, version, tables))
        };
        let (app, version, tables) = read(&self.db).map_err(|e| self.fail("cannot read", e))?;
        match (app, version, tables) {
            (0, 0, 0) => {
                let create = format!(
                    "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                );
                self.db
                    .execute_batch(&create)
                    .map_err(|e| self.fail("cannot create the crawl's tables", e))
            }
            (APPLICATION_ID, SCHEMA_VERSION, _) => Ok(()),
            (APPLICATION_ID, 1, _) => self
                .db
                .execute_batch(FROM_VERSION_1)
                .map_err(|e| self.fail("cannot migrate the crawl from schema version 1", e)),
            (APPLICATION_ID, other, _) => Err(Error::store(format!(
                "{} holds a crawl of schema version {other}; this unifetch reads version {SCHEMA_VERSION}",
                self.path.display()
            ))),
            _ => Err(Error::store(format!(
                "{} is a SQLite database of another program, not a unifetch crawl",
                self.path.display()
            ))),
        }
    }

    /// Queues again what was leased when the last run ended, and loads
    /// the fingerprints and counts.
    fn resume(&mut self) -> Result<()> {
        let loaded = (|| -> rusqlite::Result<()> {
            self.db.execute(
                "INSERT INTO queue (depth, page) SELECT depth, id FROM pages WHERE fetch = 1
                     AND id NOT IN (SELECT page FROM queue) AND id NOT IN (SELECT page FROM records)",
                [],
            )?;
            let mut pages = self.db.prepare("SELECT id, fp FROM pages")?;
            let mut rows = pages.query([])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                self.rows.ids.insert(row.get::<_, i64>(1)? as u64, id);
                self.rows.next = self.rows.next.max(id);
            }
            let count = |table: &str| -> rusqlite::Result<u64> {
                self.db
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get::<_, i64>(0))
                    .map(|n| n as u64)
            };
            self.counts.queued = count("queue")?;
            self.counts.done = count("records")?;
            Ok(())
        })();
        loaded.map_err(|e| self.fail("cannot resume", e))?;
        self.counts.seen = self.rows.ids.len() as u64;
        Ok(())
    }

    /// Runs commands until every handle is dropped, in group commits: one
    /// transaction takes the command that woke the writer and every command
    /// that arrived meanwhile, and replies to writes wait for its commit
    /// (synchronous FULL: on disk). Batches grow with the load, as commands
    /// queue up while a commit syncs. Reads and leases are answered at once
    /// (a lease lost in a crash is only a page queued again).
    fn serve(mut self, inbox: &mpsc::Receiver<Command>) {
        while let Ok(first) = inbox.recv() {
            let mut pending: Vec<Pending> = Vec::new();
            let outcome = (|| -> rusqlite::Result<()> {
                let tx = self.db.unchecked_transaction()?;
                let mut next = Some(first);
                let mut handled = 0;
                while let Some(command) = next.take() {
                    Self::apply(&tx, &mut self.rows, &mut self.counts, command, &mut pending)?;
                    handled += 1;
                    if handled < BATCH_SIZE {
                        next = inbox.try_recv().ok();
                    }
                }
                tx.commit()
            })();
            let error = outcome.err().map(|e| self.fail("cannot write", e));
            if error.is_some() {
                // The transaction was rolled back: reload what memory says.
                self.rows = Rows::default();
                self.counts = Counts {
                    workers: 1,
                    ..Counts::default()
                };
                let _ = self.resume();
            }
            for reply in pending {
                reply(error.as_ref().map_or(Ok(()), Err));
            }
        }
    }

    fn apply(
        tx: &Transaction<'_>,
        rows: &mut Rows,
        counts: &mut Counts,
        command: Command,
        pending: &mut Vec<Pending>,
    ) -> rusqlite::Result<()> {
        match command {
            Command::Add(jobs, reply) => {
                let new = Self::queue(tx, rows, counts, jobs)?;
                pending.push(after_commit(reply, new));
            }
            Command::Take(max, reply) => match Self::take(tx, counts, max) {
                Ok(taken) => {
                    let _ = reply.send(Ok(taken));
                }
                Err(e) => {
                    let _ = reply.send(Err(Error::store(format!("leasing pages failed: {e}"))));
                    return Err(e);
                }
            },
            Command::Finish(pages, reply) => {
                let mut new = 0;
                let mut records = Vec::with_capacity(pages.len());
                for page in pages {
                    if let Some(id) = rows.of(&page.job.url) {
                        let json = page
                            .record
                            .as_ref()
                            .and_then(|record| serde_json::to_string(record).ok());
                        tx.prepare_cached("INSERT INTO records (page, json) VALUES (?1, ?2)")?
                            .execute(params![id, json])?;
                    }
                    counts.leased = counts.leased.saturating_sub(1);
                    counts.done += 1;
                    if let Some(url) = page.redirected_to {
                        let fp = stable_fingerprint(&url);
                        if let Some(id) = rows.insert(fp) {
                            counts.seen += 1;
                            tx.prepare_cached(
                                "INSERT INTO pages (id, fp, url, depth, fetch) VALUES (?1, ?2, ?3, ?4, 0)",
                            )?
                            .execute(params![
                                id,
                                fp as i64,
                                url.as_str(),
                                page.job.depth
                            ])?;
                        }
                    }
                    new += Self::queue(tx, rows, counts, page.found)?;
                    records.extend(page.record);
                }
                pending.push(after_commit(
                    reply,
                    Recorded {
                        new_links: new,
                        records,
                    },
                ));
            }
            Command::GiveBack(jobs, reply) => {
                let mut back = tx.prepare_cached("INSERT OR IGNORE INTO queue (depth, page) VALUES (?1, ?2)")?;
                for job in &jobs {
                    if let Some(id) = rows.of(&job.url) {
                        back.execute(params![job.depth, id])?;
                    }
                }
                counts.leased = counts.leased.saturating_sub(jobs.len() as u64);
                counts.queued += jobs.len() as u64;
                pending.push(after_commit(reply, ()));
            }
            Command::Counts(reply) => {
                let _ = reply.send(Ok(*counts));
            }
            Command::Robots(host, reply) => {
                let stored = Self::robots(tx, &host)
                    .map_err(|e| Error::store(format!("reading robots.txt of {host} failed: {e}")));
                let _ = reply.send(stored);
            }
            Command::SaveRobots(host, robots, reply) => {
                let (outcome, body) = match robots.outcome {
                    RobotsOutcome::Rules(body) => ("rules", Some(body)),
                    RobotsOutcome::Unavailable => ("unavailable", None),
                    RobotsOutcome::Unreachable => ("unreachable", None),
                };
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO robots (host, outcome, body, fetched_at_ms) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![host, outcome, body, robots.fetched_at_ms as i64])?;
                pending.push(after_commit(reply, ()));
            }
            Command::Export(skip, out, reply) => {
                let _ = reply.send(Self::export(tx, skip, out));
            }
        }
        Ok(())
    }

    /// Leases up to `max` queued pages, shallowest first.
    fn take(tx: &Transaction<'_>, counts: &mut Counts, max: usize) -> rusqlite::Result<Taken> {
        let mut select = tx.prepare_cached(
            "SELECT queue.page, pages.url, queue.depth FROM queue JOIN pages ON pages.id = queue.page
                 ORDER BY queue.depth, queue.page LIMIT ?1",
        )?;
        let taken = select
            .query_map(params![max.min(i64::MAX as usize) as i64], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, u32>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut lease = tx.prepare_cached("DELETE FROM queue WHERE depth = ?1 AND page = ?2")?;
        let mut jobs = Vec::with_capacity(taken.len());
        for (id, url, depth) in taken {
            lease.execute(params![depth, id])?;
            if let Ok(url) = Url::parse(&url) {
                jobs.push(Job { url, depth });
            }
        }
        counts.queued -= jobs.len() as u64;
        counts.leased += jobs.len() as u64;
        Ok(Taken {
            jobs,
            queued: counts.queued,
        })
    }

    /// The robots.txt kept for `host`.
    fn robots(tx: &Transaction<'_>, host: &str) -> rusqlite::Result<Option<StoredRobots>> {
        tx.prepare_cached("SELECT outcome, body, fetched_at_ms FROM robots WHERE host = ?1")?
            .query_row(params![host], |row| {
                let outcome = match row.get::<_, String>(0)?.as_str() {
                    "rules" => RobotsOutcome::Rules(row.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default()),
                    "unavailable" => RobotsOutcome::Unavailable,
                    _ => RobotsOutcome::Unreachable,
                };
                Ok(StoredRobots {
                    outcome,
                    fetched_at_ms: row.get::<_, i64>(2)? as u64,
                })
            })
            .optional()
    }

    /// Writes the records after the first `skip` to `out`, one JSON line
    /// each, in recording order.
    fn export(tx: &Transaction<'_>, skip: u64, mut out: Box<dyn Write + Send>) -> Result<u64> {
        let read = |e: rusqlite::Error| Error::store(format!("reading the records failed: {e}"));
        let write = |e: std::io::Error| Error::store(format!("writing the export failed: {e}"));
        let mut select = tx
            .prepare_cached("SELECT json FROM records WHERE json IS NOT NULL ORDER BY id LIMIT -1 OFFSET ?1")
            .map_err(read)?;
        let mut rows = select.query([skip as i64]).map_err(read)?;
        let mut written = 0;
        while let Some(row) = rows.next().map_err(read)? {
            let line: String = row.get(0).map_err(read)?;
            out.write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(write)?;
            written += 1;
        }
        out.flush().map_err(write)?;
        Ok(written)
    }

    /// Inserts the jobs never seen; returns how many.
    fn queue(tx: &Transaction<'_>, rows: &mut Rows, counts: &mut Counts, jobs: Vec<Job>) -> rusqlite::Result<u64> {
        let mut insert =
            tx.prepare_cached("INSERT INTO pages (id, fp, url, depth, fetch) VALUES (?1, ?2, ?3, ?4, 1)")?;
        let mut enqueue = tx.prepare_cached("INSERT INTO queue (depth, page) VALUES (?1, ?2)")?;
        let mut new = 0;
        for job in jobs {
            let fp = stable_fingerprint(&job.url);
            if let Some(id) = rows.insert(fp) {
                insert.execute(params![id, fp as i64, job.url.as_str(), job.depth])?;
                enqueue.execute(params![job.depth, id])?;
                new += 1;
            }
        }
        counts.queued += new;
        counts.seen += new;
        Ok(new)
    }
}

/// A SQLite failure on `path` in words.
fn describe(path: &Path, what: &str, e: &rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::store(format!(
            "{} is not a SQLite database (or it is corrupt)",
            path.display()
        )),
        _ => Error::store(format!("{}: {what}: {e}", path.display())),
    }
}

/// Sends `value` once the batch is committed (or its error).
fn after_commit<T: Send + 'static>(reply: Reply<T>, value: T) -> Pending {
    Box::new(move |committed: Result<(), &Error>| {
        let _ = reply.send(match committed {
            Ok(()) => Ok(value),
            Err(error) => Err(Error::store(format!("{error:#}"))),
        });
    })
}
