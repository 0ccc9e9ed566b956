// Command interop drives nadm from Go using only docs/api.md: the request/reply API, the
// command stream (legacy JetStreamContext ordered consumer), the event stream and the KV
// buckets. It is built in GOPATH mode against Debian's golang-github-nats-io-go-nats-dev
// (nats.go 1.22, which has no `jetstream` package) and run by test/interop/go.test.ts.
//
// Usage: interop -url nats://127.0.0.1:4222 -lattice default -app go-interop
// Prints one JSON summary line on success; exits 1 with "FAIL: ..." on stderr otherwise.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

type detail struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

type apiError struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Details *json.RawMessage `json:"details"`
}

type envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *apiError       `json:"error"`
}

type client struct {
	nc      *nats.Conn
	lattice string
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// call sends one request to nadm.api.{lattice}.app.{op} and decodes the envelope.
func (c client) call(op string, body []byte) envelope {
	msg, err := c.nc.Request(fmt.Sprintf("nadm.api.%s.app.%s", c.lattice, op), body, 10*time.Second)
	if err != nil {
		fail("%s: request failed: %v", op, err)
	}
	var env envelope
	if err := json.Unmarshal(msg.Data, &env); err != nil {
		fail("%s: reply is not a JSON envelope: %v: %s", op, err, msg.Data)
	}
	return env
}

// ok calls an op that must succeed and decodes its result into out.
func (c client) ok(op string, body []byte, out interface{}) {
	env := c.call(op, body)
	if !env.OK {
		fail("%s: %s: %s", op, env.Error.Code, env.Error.Message)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		fail("%s: result: %v", op, err)
	}
}

// refused calls an op that must fail with `code` and returns the details, checking they are an
// array (never absent or null) whose entries each have a path and a message.
func (c client) refused(op string, body []byte, code string) []detail {
	env := c.call(op, body)
	if env.OK || env.Error == nil {
		fail("%s %s: expected %s, got ok", op, body, code)
	}
	if env.Error.Code != code || env.Error.Message == "" {
		fail("%s %s: expected %s, got %s: %s", op, body, code, env.Error.Code, env.Error.Message)
	}
	raw := env.Error.Details
	if raw == nil || !strings.HasPrefix(strings.TrimSpace(string(*raw)), "[") {
		fail("%s: details must be an array, got %v", op, raw)
	}
	var details []detail
	if err := json.Unmarshal(*raw, &details); err != nil {
		fail("%s: details: %v", op, err)
	}
	for _, d := range details {
		if d.Message == "" {
			fail("%s: a detail without a message: %+v", op, d)
		}
	}
	return details
}

// manifest is a one-component app as YAML; version "" leaves the version to nadm.
func manifest(app string, instances int, version string) []byte {
	annotations := ""
	if version != "" {
		annotations = fmt.Sprintf("\n  annotations:\n    version: %q", version)
	}
	return []byte(fmt.Sprintf(`apiVersion: nadm.dev/v1
kind: Application
metadata:
  name: %s%s
spec:
  components:
    - name: web
      type: process
      properties:
        command: sim
      traits:
        - type: spreadscaler
          properties:
            instances: %d
`, app, annotations, instances))
}

type putResult struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Created bool   `json:"created"`
}

type status struct {
	Phase   string `json:"phase"`
	Version string `json:"version"`
	Message string `json:"message"`
}

func (c client) waitDeployed(app, version string) status {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var s status
		c.ok("status", []byte(fmt.Sprintf(`{"name":%q}`, app)), &s)
		if s.Phase == "deployed" && s.Version == version {
			return s
		}
		if time.Now().After(deadline) {
			fail("not deployed after 30s: %+v", s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c client) badRequests(app string) int {
	d := c.refused("deploy", []byte(`{"name":5}`), "bad_request")
	if len(d) != 1 || d[0].Path != "name" {
		fail("deploy {name:5}: details %+v", d)
	}
	d = c.refused("get", []byte(`[]`), "bad_request")
	if len(d) != 1 || d[0].Path != "" {
		fail("get []: details %+v", d)
	}
	d = c.refused("put", []byte(`{"apiVersion":"nadm.dev/v1","kind":"Application","metadata":{"name":"Bad.Name"},"spec":{"components":[]}}`), "invalid_manifest")
	if len(d) < 2 || d[0].Path != "metadata.name" {
		fail("invalid manifest: details %+v", d)
	}
	if d = c.refused("status", []byte(`{"name":"no-such-app"}`), "not_found"); len(d) != 0 {
		fail("not_found: details %+v", d)
	}
	c.refused("explode", []byte(`{}`), "bad_request")
	var v putResult
	c.ok("put", manifest(app, 1, "pinned"), &v)
	if d = c.refused("put", manifest(app, 3, "pinned"), "conflict"); len(d) != 1 || d[0].Path != "metadata.annotations.version" {
		fail("conflict: details %+v", d)
	}
	return 6
}

func main() {
	url := flag.String("url", nats.DefaultURL, "NATS URL")
	lattice := flag.String("lattice", "default", "lattice")
	app := flag.String("app", "go-interop", "app name")
	flag.Parse()

	nc, err := nats.Connect(*url, nats.Name("nadm-go-interop"))
	if err != nil {
		fail("connect: %v", err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		fail("jetstream: %v", err)
	}
	// Follow commands and events from now on, with ordered consumers (docs/api.md, "Watching").
	commands, err := js.SubscribeSync(fmt.Sprintf("nadm.cmd.%s.>", *lattice), nats.OrderedConsumer(), nats.DeliverNew())
	if err != nil {
		fail("subscribe commands: %v", err)
	}
	events, err := js.SubscribeSync(fmt.Sprintf("nadm.evt.%s.>", *lattice), nats.OrderedConsumer(), nats.DeliverNew())
	if err != nil {
		fail("subscribe events: %v", err)
	}
	c := client{nc: nc, lattice: *lattice}

	var first, again putResult
	c.ok("put", manifest(*app, 2, ""), &first)
	c.ok("put", manifest(*app, 2, ""), &again)
	if !first.Created || again.Created || again.Version != first.Version {
		fail("put without a version is not idempotent: %+v then %+v", first, again)
	}
	var deployed struct {
		Version string `json:"version"`
		Changed bool   `json:"changed"`
	}
	c.ok("deploy", []byte(fmt.Sprintf(`{"name":%q}`, *app)), &deployed)
	if deployed.Version != first.Version || !deployed.Changed {
		fail("deploy: %+v", deployed)
	}
	st := c.waitDeployed(*app, first.Version)
	checked := c.badRequests(*app)

	cmds := readCommands(commands, *app, 2)
	types := readEvents(events, *app)
	index := readIndex(js, *lattice, *app)
	if index["deployedVersion"] != first.Version {
		fail("KV index: %v", index)
	}
	summary, _ := json.Marshal(map[string]interface{}{
		"version": first.Version, "phase": st.Phase, "message": st.Message, "badRequests": checked,
		"commands": cmds, "events": types, "natsGo": nats.Version,
	})
	fmt.Println(string(summary))
}
