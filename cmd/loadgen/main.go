// Command loadgen drives a running Gatehouse on 127.0.0.1 at a given
// concurrency and duration, and measures a bare Echo handler in the same
// process and run as the ceiling. It prints requests/s, p50/p90/p99 and
// errors per scenario, and the server's CPU per request when given its pid.
//
// The server must run in dev mode (the mock provider signs the workers in)
// with a registration token, e.g.:
//
//	GATEHOUSE_... gatehouse --config bench.yaml serve
//	go run ./cmd/loadgen --url http://127.0.0.1:8080 --registration-token "$TOKEN" --pid $(pgrep -f 'gatehouse.*serve')
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

type options struct {
	url         string
	regToken    string
	concurrency int
	duration    time.Duration
	scenarios   []string
	pid         int
	// passwordUser is NAME:PASSWORD of an existing account, for the password scenario.
	passwordUser string
	// passwordClient is ID:SECRET of an app with the password grant, which
	// only an operator can make (gatehouse apps create --grant password).
	passwordClient string
	// exchangeClient is ID:SECRET of an app with the token-exchange grant
	// (operator-only too), for the token-exchange scenario.
	exchangeClient string
	// resource is the identifier of an API with the scope read:bench
	// (gatehouse apis create), for the refresh-resource scenario.
	resource string
}

func main() {
	var o options
	var scen string
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "Gatehouse base URL (loopback only)")
	flag.StringVar(&o.regToken, "registration-token", "", "apps.registration_token of the server (to register the bench apps)")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent workers")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "duration of each scenario")
	flag.StringVar(&scen, "scenarios", "bare-get,bare-post,discovery,jwks,users-me,introspect,client_credentials,refresh,refresh-openid,code", "comma-separated scenarios")
	flag.IntVar(&o.pid, "pid", 0, "server pid, to report its CPU time per request (from /proc)")
	flag.StringVar(&o.passwordUser, "password-user", "", "NAME:PASSWORD of an account, for the password scenario")
	flag.StringVar(&o.passwordClient, "password-client", "", "CLIENT_ID:SECRET of an app with the password grant (made with gatehouse apps create), for the password scenario")
	flag.StringVar(&o.exchangeClient, "exchange-client", "", "CLIENT_ID:SECRET of an app with the token-exchange grant (made with gatehouse apps create), for the token-exchange scenario")
	flag.StringVar(&o.resource, "resource", "", "identifier of an API defining the scope read:bench (made with gatehouse apis create), for the refresh-resource scenario")
	flag.Parse()
	o.scenarios = strings.Split(scen, ",")
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// scenario makes one worker's operation; setup runs untimed.
type scenario struct {
	name  string
	setup func(ctx context.Context, worker int) (op func(ctx context.Context) error, err error)
	// bare scenarios run against the in-process Echo ceiling.
	bare bool
}

func run(ctx context.Context, o options) error {
	if !strings.HasPrefix(o.url, "http://127.0.0.1") && !strings.HasPrefix(o.url, "http://localhost") {
		return fmt.Errorf("--url must be a loopback address")
	}
	bareURL, stop, err := startBare()
	if err != nil {
		return err
	}
	defer stop()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 4 * o.concurrency,
		MaxIdleConnsPerHost: 4 * o.concurrency, IdleConnTimeout: time.Minute}}
	env := &env{o: o, client: client, bareURL: bareURL}
	fmt.Printf("%-20s %9s %10s %9s %9s %9s %7s %12s\n", "scenario", "requests", "req/s", "p50", "p90", "p99", "errors", "server CPU/req")
	rates := map[string]float64{}
	for _, name := range o.scenarios {
		sc, err := env.scenario(ctx, name)
		if err != nil {
			return err
		}
		res, err := measure(ctx, sc, o)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		res.print(name)
		if res.errs == 0 {
			rates[name] = float64(res.n) / res.elapsed.Seconds()
		}
	}
	printRatios(rates)
	return nil
}

// ceilings pairs a scenario with the rate it is judged against, both
// measured in this run: the bare Echo handlers, RS256 signing, the hash.
var ceilings = []struct{ scenario, ceiling string }{
	{"discovery", "bare-get"}, {"jwks", "bare-get"}, {"users-me", "bare-get"},
	{"client_credentials", "bare-post"}, {"introspect", "bare-post"}, {"token-exchange", "bare-post"},
	{"refresh-openid", "rs256-sign"}, {"password", "password-hash"},
	{"refresh-resource", "refresh"},
}

// printRatios prints each scenario's rate as a share of its ceiling, for
// the pairs this run measured (without errors).
func printRatios(rates map[string]float64) {
	for _, c := range ceilings {
		if r, b := rates[c.scenario], rates[c.ceiling]; r > 0 && b > 0 {
			fmt.Printf("%-20s %5.1f%% of %s\n", c.scenario, 100*r/b, c.ceiling)
		}
	}
}

// startBare serves the ceiling: the smallest Echo handlers that do what a
// token endpoint must at least do (parse a form, write JSON).
func startBare() (string, func(), error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/bare", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"ok": "yes"}) })
	e.POST("/bare", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"grant_type": c.FormValue("grant_type")})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/bare", func() { srv.Close() }, nil
}

type result struct {
	n, errs    int
	elapsed    time.Duration
	latencies  []time.Duration
	cpuPerReq  time.Duration
	firstError error
}

func (r result) print(name string) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[int(float64(len(r.latencies)-1)*p)]
	}
	cpu := "-"
	if r.cpuPerReq > 0 {
		cpu = fmt.Sprintf("%.3fms", float64(r.cpuPerReq.Microseconds())/1000)
	}
	fmt.Printf("%-20s %9d %10.0f %9s %9s %9s %7d %12s\n", name, r.n, float64(r.n)/r.elapsed.Seconds(),
		round(pct(0.5)), round(pct(0.9)), round(pct(0.99)), r.errs, cpu)
	if r.firstError != nil {
		fmt.Printf("  first error: %v\n", r.firstError)
	}
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

// measure runs the scenario's workers for the duration.
func measure(ctx context.Context, sc scenario, o options) (result, error) {
	ops := make([]func(context.Context) error, o.concurrency)
	for w := range ops {
		op, err := sc.setup(ctx, w)
		if err != nil {
			return result{}, fmt.Errorf("setup worker %d: %w", w, err)
		}
		ops[w] = op
	}
	cpu0 := procCPU(o.pid)
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(o.duration)
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			n, errs := 0, 0
			var first error
			for time.Now().Before(deadline) {
				t := time.Now()
				err := op(ctx)
				lat = append(lat, time.Since(t))
				n++
				if err != nil {
					errs++
					if first == nil {
						first = err
					}
				}
			}
			mu.Lock()
			res.n += n
			res.errs += errs
			res.latencies = append(res.latencies, lat...)
			if res.firstError == nil {
				res.firstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if cpu1 := procCPU(o.pid); cpu1 > cpu0 && res.n-res.errs > 0 && !sc.bare {
		res.cpuPerReq = (cpu1 - cpu0) / time.Duration(res.n-res.errs)
	}
	return res, nil
}

// procCPU is the utime+stime of pid from /proc (0 if unknown).
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start at ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ = 100 on Linux
}
