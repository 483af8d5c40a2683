package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/seal"
	"gatehouse/server/tokens"
)

// crashServer is a `gatehouse serve` subprocess that the test kills -9.
type crashServer struct {
	t         *testing.T
	cfg, addr string
	cmd       *exec.Cmd
}

// start runs the server and returns once it logs that it listens.
func (s *crashServer) start() {
	s.cmd = exec.Command(os.Args[0])
	s.cmd.Env = append(os.Environ(), "GATEHOUSE_TEST_MAIN=--config "+s.cfg+" serve", "GATEHOUSE_LISTEN="+s.addr)
	stderr, err := s.cmd.StderrPipe()
	require.NoError(s.t, err)
	require.NoError(s.t, s.cmd.Start())
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "gatehouse listening") {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return
		}
	}
	s.t.Fatalf("server on %s exited before listening", s.addr)
}

func (s *crashServer) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// chain is one worker's refresh chain: every acknowledged token in order
// (across re-logins), and whether its last request's fate is unknown.
type chain struct {
	acked     []string          // every refresh token a 200 answer carried
	successor map[string]string // acked token → the acked token its refresh answered
	last      string            // the last acknowledged token of the live chain
	ambiguous bool              // a refresh of last was sent and its answer lost in a crash
}

// ackCounter closes reached at the target-th acknowledged rotation.
type ackCounter struct {
	n       atomic.Int64
	target  int64
	reached chan struct{}
}

func (a *ackCounter) add() {
	if a.n.Add(1) == a.target {
		close(a.reached)
	}
}

// allStopped is closed once wg is done.
func allStopped(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// crashClient speaks the first-party JWT API to the subprocess.
type crashClient struct {
	base string
	http *http.Client
}

// post returns the status and refresh token of an answer; sent reports
// whether the request may have reached the server (an error other than
// "connection refused").
func (c *crashClient) post(path string, body map[string]string) (status int, rt string, sent bool, err error) {
	b, _ := json.Marshal(body)
	resp, err := c.http.Post(c.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, "", !errors.Is(err, syscall.ECONNREFUSED), err
	}
	defer resp.Body.Close()
	var m struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil && resp.StatusCode == http.StatusOK {
		return 0, "", true, err // the answer was cut off: its fate is unknown
	}
	return resp.StatusCode, m.RefreshToken, true, nil
}

func (c *crashClient) login() (int, string, bool, error) {
	return c.post("/api/token-auth/", map[string]string{"username": "crash", "password": "crash password 1"})
}

func (c *crashClient) refresh(rt string) (int, string, bool, error) {
	return c.post("/api/token-auth/refresh", map[string]string{"refresh_token": rt})
}

// step advances ch by one request. It returns false when the server is
// gone (the worker stops until it is back).
func (c *crashClient) step(t *testing.T, ch *chain, acks *ackCounter) bool {
	if ch.last == "" {
		status, rt, _, err := c.login()
		if err != nil {
			return false // a lost login leaves nothing to check
		}
		if status != http.StatusOK {
			t.Errorf("login: %d", status)
			return false
		}
		ch.acked, ch.last = append(ch.acked, rt), rt
		return true
	}
	status, rt, sent, err := c.refresh(ch.last)
	switch {
	case err != nil:
		ch.ambiguous = ch.ambiguous || sent
		return false
	case status == http.StatusOK:
		ch.successor[ch.last] = rt
		ch.acked, ch.last, ch.ambiguous = append(ch.acked, rt), rt, false
		acks.add()
		return true
	case ch.ambiguous:
		// The lost refresh was committed and its grace window has passed:
		// presenting its parent again is a reuse, which ends the family.
		// Legitimate; start a new chain.
		ch.last, ch.ambiguous = "", false
		return true
	}
	t.Errorf("an acknowledged refresh token was refused (%d) with no lost request before it: a rotation was lost", status)
	return false
}

// TestCrashKeepsRefreshChains runs refresh chains from several workers
// against a server killed with SIGKILL three times at random moments. Each
// time, the database must be intact, hold every acknowledged token (no
// acknowledged rotation is lost) and give no token two successors (no
// fork). At the end every chain's last acknowledged token works once, and
// every older one is refused or answers with the very successor it
// answered before.
func TestCrashKeepsRefreshChains(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "gatehouse.db")
	s := &crashServer{t: t, cfg: filepath.Join(dir, "gatehouse.yaml"), addr: freePort(t)}
	body := "issuer: http://" + s.addr + "\ndev: true\nmaster_key: " + base64.StdEncoding.EncodeToString(seal.GenerateKey()) +
		"\ndatabase:\n  driver: sqlite\n  dsn: " + db + "\ntokens:\n  key_rotation: 0s\n  refresh_grace: 1s\n" +
		"login:\n  password_attempts: 1000\nproviders:\n  - name: mock\n    type: mock\n"
	require.NoError(t, os.WriteFile(s.cfg, []byte(body), 0o600))
	code, _, errs := gh(t, s.cfg, "crash password 1\n", "users", "create", "--username", "crash", "--password-stdin")
	require.Equal(t, 0, code, errs)
	t.Cleanup(func() {
		if s.cmd != nil && s.cmd.ProcessState == nil {
			s.kill()
		}
	})

	c := &crashClient{base: "http://" + s.addr, http: &http.Client{Timeout: 10 * time.Second}}
	chains := make([]*chain, 4)
	for i := range chains {
		chains[i] = &chain{successor: map[string]string{}}
	}
	var apiSecrets []string
	for round := range 3 {
		s.start()
		// A random moment: after 20 to 120 acknowledged rotations.
		acks := &ackCounter{target: int64(20 + rand.IntN(100)), reached: make(chan struct{})}
		var stop atomic.Bool
		var wg sync.WaitGroup
		for _, ch := range chains {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() && c.step(t, ch, acks) {
				}
			}()
		}
		select {
		case <-acks.reached:
		case <-allStopped(&wg): // every worker gave up: the check below reports why
		}
		apiSecrets = append(apiSecrets, createAPIToken(t, c.base))
		s.kill() // right after the answer: the token's audit event must be committed already
		apiTokens := len(apiSecrets)
		stop.Store(true)
		wg.Wait()
		require.False(t, t.Failed(), "round %d", round)
		checkCrashedDatabase(t, db, chains)
		checkAPITokenEvents(t, db, apiSecrets[:apiTokens])
	}

	s.start()
	for i, ch := range chains {
		t.Logf("chain %d: %d acknowledged tokens, last refresh lost in the crash: %v", i, len(ch.acked), ch.ambiguous)
		if ch.last == "" {
			continue
		}
		status, next, _, err := c.refresh(ch.last)
		require.NoError(t, err)
		if ch.ambiguous && status != http.StatusOK {
			t.Logf("chain %d: the lost refresh was committed and its grace has passed: refused (%d)", i, status)
			continue
		}
		require.Equal(t, http.StatusOK, status, "chain %d: the last acknowledged token does not work", i)
		ch.successor[ch.last] = next
		// Presented again: refused, or (inside the grace window) the same
		// successor, never a second one.
		status, again, _, err := c.refresh(ch.last)
		require.NoError(t, err)
		if status == http.StatusOK {
			require.Equal(t, next, again, "chain %d: the last token forked", i)
		}
	}
	for i, ch := range chains {
		for _, old := range ch.acked {
			status, next, _, err := c.refresh(old)
			require.NoError(t, err)
			if status == http.StatusOK {
				require.Equal(t, ch.successor[old], next, "chain %d: an old token got a new successor (fork)", i)
			}
		}
	}
}

// checkCrashedDatabase opens the database of a killed server: it must pass
// SQLite's integrity check, hold a row for every acknowledged token and
// give no token more than one successor.
func checkCrashedDatabase(t *testing.T, path string, chains []*chain) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	require.NoError(t, err)
	defer db.Close()
	var ok string
	require.NoError(t, db.QueryRow("PRAGMA integrity_check").Scan(&ok))
	require.Equal(t, "ok", ok)
	for i, ch := range chains {
		for _, rt := range ch.acked {
			id := tokens.HashToken(rt)
			var rows, children int
			require.NoError(t, db.QueryRow("SELECT count(*) FROM refresh_tokens WHERE id = ?", id).Scan(&rows))
			require.Equal(t, 1, rows, "chain %d: an acknowledged token is not in the database", i)
			require.NoError(t, db.QueryRow("SELECT count(*) FROM refresh_tokens WHERE parent_id = ?", id).Scan(&children))
			require.LessOrEqual(t, children, 1, "chain %d: a token has %d successors (fork)", i, children)
		}
	}
}

var newAPISecret = regexp.MustCompile(`id="new-api-secret">([^<]+)<`)

// createAPIToken signs a browser in with the mock provider and makes an
// API token on /account; it returns the token's secret.
func createAPIToken(t *testing.T, base string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	br := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	form := hiddenFields(t, br, base+"/login/mock") // signs in and lands on /account
	require.NotEmpty(t, form.Get("_csrf"))
	form.Set("name", "crash")
	form.Set("days", "7")
	resp, err := br.PostForm(base+"/account/api-tokens", form)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := newAPISecret.FindSubmatch(page)
	require.NotNil(t, m, "no API token made: %d", resp.StatusCode)
	return string(m[1])
}

// checkAPITokenEvents: every API token made before a crash has its
// api_token_created audit event (it is committed with the token).
func checkAPITokenEvents(t *testing.T, path string, secrets []string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	require.NoError(t, err)
	defer db.Close()
	for _, secret := range secrets {
		var id string
		require.NoError(t, db.QueryRow("SELECT id FROM api_tokens WHERE secret_hash = ?", tokens.HashToken(secret)).Scan(&id))
		var events int
		require.NoError(t, db.QueryRow("SELECT count(*) FROM audit_events WHERE type = 'api_token_created' AND detail LIKE ?",
			"%"+id+"%").Scan(&events))
		require.Equal(t, 1, events, "API token %s has no creation event after the crash", id)
	}
}
