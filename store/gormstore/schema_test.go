package gormstore_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm/schema"

	"gatehouse/store/gormstore"
	"gatehouse/store/pgtest"
	"gatehouse/store/sqlitetest"
)

// The migrations own the schema and the models only read and write it, so
// the two can drift. Every model field must be a column of its table, and
// every column must be a model field (a column the models ignore would be
// left at its default by every insert).
func TestSchemaMatchesModels(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { checkSchema(t, sqlitetest.Open(t)) })
	t.Run("postgres", func(t *testing.T) {
		pgtest.DSN(t)
		checkSchema(t, pgtest.Open(t))
	})
}

func checkSchema(t *testing.T, st *gormstore.Store) {
	db := st.DB()
	m := db.Migrator()
	for _, model := range gormstore.Models() {
		sch, err := schema.Parse(model, &sync.Map{}, db.NamingStrategy)
		require.NoError(t, err)
		if !m.HasTable(model) {
			t.Errorf("table %s missing", sch.Table)
			continue
		}
		cols, err := m.ColumnTypes(model)
		require.NoError(t, err)
		inTable := map[string]bool{}
		for _, c := range cols {
			inTable[c.Name()] = true
		}
		inModel := map[string]bool{}
		for _, f := range sch.Fields {
			if f.DBName == "" {
				continue
			}
			inModel[f.DBName] = true
			if !inTable[f.DBName] {
				t.Errorf("%s: model field %s has no column %s", sch.Table, f.Name, f.DBName)
			}
		}
		for name := range inTable {
			if !inModel[name] {
				t.Errorf("%s: column %s is not in the model", sch.Table, name)
			}
		}
	}
}
