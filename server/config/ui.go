package config

import (
	"fmt"
	"os"
)

// UI configures the server-rendered pages.
type UI struct {
	// TemplatesDir, when set, is a directory of templates that override
	// the embedded ones (operators' branding); empty uses the embedded
	// templates. A relative path is relative to the working directory.
	TemplatesDir string `yaml:"templates_dir"`
}

// validate: the directory must exist when set, so a typo fails start-up
// instead of silently serving the embedded pages.
func (u *UI) validate() []error {
	if u.TemplatesDir == "" {
		return nil
	}
	fi, err := os.Stat(u.TemplatesDir)
	if err != nil {
		return []error{fmt.Errorf("ui.templates_dir: %w", err)}
	}
	if !fi.IsDir() {
		return []error{fmt.Errorf("ui.templates_dir: %s is not a directory", u.TemplatesDir)}
	}
	return nil
}
