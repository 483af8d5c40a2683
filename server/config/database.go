package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gatehouse/server/seal"
)

// Database selects the store.
type Database struct {
	Driver string `yaml:"driver"` // sqlite | postgres
	DSN    string `yaml:"dsn"`
	// Synchronous is SQLite's PRAGMA synchronous: "normal" (the default;
	// in WAL mode a power loss may lose the last commits, never corrupts)
	// or "full" (every commit survives a power loss; slower writes).
	Synchronous string `yaml:"synchronous"`
}

func (d *Database) defaults() {
	defStr(&d.Driver, "sqlite")
	defStr(&d.DSN, "gatehouse.db")
	if d.Driver == "sqlite" {
		defStr(&d.Synchronous, "normal")
	}
}

// validate checks the driver and the durability setting.
func (d *Database) validate() []error {
	var errs []error
	if d.Driver != "sqlite" && d.Driver != "postgres" {
		errs = append(errs, fmt.Errorf("database.driver: must be sqlite or postgres, got %q", d.Driver))
	}
	switch {
	case d.Driver != "sqlite" && d.Synchronous != "":
		errs = append(errs, fmt.Errorf("database.synchronous: applies to sqlite only"))
	case d.Driver == "sqlite" && d.Synchronous != "normal" && d.Synchronous != "full":
		errs = append(errs, fmt.Errorf("database.synchronous: must be normal or full, got %q", d.Synchronous))
	}
	return errs
}

// defaultMasterKeyFile puts the key next to a SQLite database unless
// master_key gives it inline.
func (c *Config) defaultMasterKeyFile() {
	if c.MasterKey == "" && c.Database.Driver == "sqlite" {
		defStr(&c.MasterKeyFile, filepath.Join(filepath.Dir(c.Database.DSN), "gatehouse.key"))
	}
}

func (c *Config) validateMasterKey() []error {
	if c.MasterKey != "" {
		if _, err := seal.DecodeKey(c.MasterKey); err != nil {
			return []error{fmt.Errorf("master_key: %v", err)}
		}
	} else if c.MasterKeyFile == "" {
		return []error{errors.New("master_key_file: required (or master_key / GATEHOUSE_MASTER_KEY)")}
	}
	return nil
}

// LoadMasterKey returns the master key: master_key if set, else the key in
// master_key_file, which is created (created=true) only in dev mode.
func (c *Config) LoadMasterKey() (key []byte, created bool, err error) {
	if c.MasterKey != "" {
		k, err := seal.DecodeKey(c.MasterKey)
		return k, false, err
	}
	k, created, err := seal.LoadOrCreateKeyFile(c.MasterKeyFile, c.Dev)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("master_key_file: %s does not exist (generate one with `head -c 32 /dev/urandom | base64`, or set GATEHOUSE_MASTER_KEY)", c.MasterKeyFile)
	}
	if err != nil {
		return nil, false, fmt.Errorf("master_key_file: %w", err)
	}
	return k, created, nil
}
