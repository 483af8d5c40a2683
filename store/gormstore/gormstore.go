package gormstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"gatehouse/store"
)

//go:embed migrations
var migrationsFS embed.FS

// Store is the gorm implementation of store.Store. Reads go to a pool of
// connections; writes and transactions go to one writer connection, so on
// SQLite writers queue in Go instead of sleeping in SQLite's busy handler.
// Inside a transaction both are the transaction.
type Store struct {
	db    *gorm.DB // readers
	wdb   *gorm.DB // the writer
	inTx  bool
	stmts *stmtCache
	// rotations batches refresh rotations (SQLite only; nil otherwise).
	rotations *rotator
	// migrateLock is the SQLite migration lock file ("" on PostgreSQL).
	migrateLock string
	// sweepHook, when set (tests), is called after each DeleteExpired batch.
	sweepHook func(table string, rows int64)
	// sweepTimer, when set (the measurement test), gets each SQLite batch's duration.
	sweepTimer func(time.Duration)
}

type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

var _ store.Store = (*Store)(nil)

// Open connects to the database and migrates it to the newest schema.
func Open(ctx context.Context, driver, dsn string) (*Store, error) {
	return OpenWith(ctx, driver, dsn, Options{})
}

// Options tune the connection.
type Options struct {
	// Synchronous is SQLite's PRAGMA synchronous, "normal" (the default)
	// or "full"; a dsn with its own "?" parameters keeps its own.
	Synchronous string
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, driver, dsn string, o Options) (*Store, error) {
	// Processes opening one new SQLite file at once race its creation (the
	// switch to WAL answers "database is locked") and its migrations: they
	// connect and migrate one at a time.
	if path := migrateLockPath(dsn); path != "" && (driver == "sqlite" || driver == "") {
		unlock, err := lockMigrations(path)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	s, err := ConnectWith(driver, dsn, o)
	if err != nil {
		return nil, err
	}
	if _, err := s.migrate(ctx, false); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Connect opens the database without migrating it. For driver "sqlite", a
// dsn without "?" is a file path and gets the pragmas Gatehouse needs (WAL,
// busy timeout, foreign keys, and immediate write transactions, so a
// read-then-write transaction never fails with "database is locked").
func Connect(driver, dsn string) (*Store, error) { return ConnectWith(driver, dsn, Options{}) }

// ConnectWith is Connect with options.
func ConnectWith(driver, dsn string, o Options) (*Store, error) {
	var open func() gorm.Dialector
	writers := 1 // SQLite has one writer at a time: queue in Go, not in its busy handler
	lockPath := ""
	switch driver {
	case "sqlite", "":
		open = func() gorm.Dialector { return sqlite.Open(sqliteDSN(dsn, o.Synchronous)) }
		lockPath = migrateLockPath(dsn)
	case "postgres":
		open = func() gorm.Dialector { return postgres.Open(dsn) }
		writers = 8
	default:
		return nil, fmt.Errorf("gormstore: unsupported driver %q", driver)
	}
	readers, err := openPool(open(), 4)
	if err != nil {
		return nil, err
	}
	writer, err := openPool(open(), writers)
	if err != nil {
		closeDB(readers)
		return nil, err
	}
	s := &Store{db: readers, wdb: writer, stmts: &stmtCache{m: map[string]*sql.Stmt{}}, migrateLock: lockPath}
	if writers == 1 {
		s.startRotator()
	}
	return s, nil
}

func openPool(d gorm.Dialector, conns int) (*gorm.DB, error) {
	db, err := gorm.Open(d, &gorm.Config{TranslateError: true, Logger: logger.Discard, PrepareStmt: true})
	if err != nil {
		return nil, fmt.Errorf("gormstore: open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	return db, nil
}

func closeDB(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// sqliteDSN adds Gatehouse's pragmas to a plain file path. synchronous
// NORMAL is WAL's usual trade (a power loss may lose the last commits,
// never corrupts); FULL syncs every commit.
func sqliteDSN(dsn, synchronous string) string {
	if strings.Contains(dsn, "?") {
		return dsn
	}
	sync := "NORMAL"
	if synchronous == "full" {
		sync = "FULL"
	}
	return "file:" + dsn + "?_journal_mode=WAL&_synchronous=" + sync + "&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"
}

// Migrate applies pending migrations and reports how many ran.
func (s *Store) Migrate(ctx context.Context) (int, error) { return s.migrate(ctx, true) }

// migrate is Migrate; lockSQLite false means the caller holds the SQLite
// migration lock already (a second flock of this process would wait for
// itself).
func (s *Store) migrate(ctx context.Context, lockSQLite bool) (int, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if s.db.Dialector.Name() == "postgres" {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(migrationsFS, dir)
	if err != nil {
		return 0, err
	}
	sqlDB, err := s.wdb.DB()
	if err != nil {
		return 0, err
	}
	var opts []goose.ProviderOption
	if dialect == goose.DialectPostgres {
		// Several instances may start at once: one migrates, the others wait.
		l, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return 0, err
		}
		opts = append(opts, goose.WithSessionLocker(l))
	} else if lockSQLite {
		// Several processes may start at once on a new file: one migrates,
		// the others wait and then find nothing to do.
		unlock, err := lockMigrations(s.migrateLock)
		if err != nil {
			return 0, err
		}
		defer unlock()
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, opts...)
	if err != nil {
		return 0, fmt.Errorf("gormstore: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("gormstore: migrate: %w", err)
	}
	return len(res), nil
}

// SetMaxOpenConns caps both the reader pool and the writer pool at n.
// Tests use 1 to prove that no query escapes its transaction: one that did
// would wait forever for the connection the transaction holds.
func (s *Store) SetMaxOpenConns(n int) error {
	for _, db := range []*gorm.DB{s.db, s.wdb} {
		sqlDB, err := db.DB()
		if err != nil {
			return err
		}
		sqlDB.SetMaxOpenConns(n)
	}
	return nil
}

// InTx implements store.Store. Inside fn every query goes through the
// transaction's handle; nested calls join the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.wdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, wdb: tx, inTx: true, stmts: s.stmts})
	})
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close implements store.Store.
func (s *Store) Close() error {
	if s.rotations != nil {
		s.rotations.once.Do(func() { close(s.rotations.stop) })
	}
	return errors.Join(closeDB(s.db), closeDB(s.wdb))
}

// q is the handle for reads, w the one for writes.
func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }
func (s *Store) w(ctx context.Context) *gorm.DB { return s.wdb.WithContext(ctx) }

// takeRow reads the row matching where into dst (a row pointer) and
// deletes it, in one transaction: single use, because of concurrent
// callers only the one whose DELETE removed the row gets it (the others
// get ErrNotFound).
func (s *Store) takeRow(ctx context.Context, dst any, where string, args ...any) error {
	return s.InTx(ctx, func(tx store.Store) error {
		db := tx.(*Store).w(ctx)
		if err := db.Where(where, args...).Take(dst).Error; err != nil {
			return mapErr(err)
		}
		res := db.Where(where, args...).Delete(dst)
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected != 1 {
			return store.ErrNotFound
		}
		return nil
	})
}

// mapErr turns gorm errors into store sentinels at the boundary.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return store.ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %v", store.ErrAlreadyExists, err)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("%w: referenced row missing: %v", store.ErrNotFound, err)
	}
	return err
}

// ts normalises times to what both backends keep: UTC, microseconds.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}
