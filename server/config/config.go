// Package config reads, defaults and validates Gatehouse's configuration.
package config

// Config is the whole configuration. (Placeholder: being written.)
type Config struct{}
