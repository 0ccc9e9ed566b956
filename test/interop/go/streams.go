package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// command is the JSON of a message on nadm.cmd.{lattice}.{hostId} (docs/api.md, "Commands").
type command struct {
	ID       string `json:"id"`
	Lattice  string `json:"lattice"`
	HostID   string `json:"hostId"`
	App      string `json:"app"`
	Workload struct {
		Key  string `json:"key"`
		Rev  string `json:"rev"`
		Type string `json:"type"`
	} `json:"workload"`
	Count           int    `json:"count"`
	Reason          string `json:"reason"`
	BasedOnRevision int    `json:"basedOnRevision"`
	IssuedAt        string `json:"issuedAt"`
}

// readCommands reads the command stream until the app's commands add up to `instances`.
func readCommands(sub *nats.Subscription, app string, instances int) int {
	total, seen := 0, 0
	deadline := time.Now().Add(20 * time.Second)
	for total < instances {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			fail("commands: %d of %d instances commanded: %v", total, instances, err)
		}
		var c command
		if err := json.Unmarshal(m.Data, &c); err != nil {
			fail("command is not JSON: %v", err)
		}
		if c.App != app {
			continue
		}
		if c.ID == "" || c.HostID == "" || c.Workload.Key == "" || c.IssuedAt == "" || m.Subject != fmt.Sprintf("nadm.cmd.%s.%s", c.Lattice, c.HostID) {
			fail("command incomplete or on the wrong subject %s: %s", m.Subject, m.Data)
		}
		total += c.Count
		seen++
	}
	return seen
}

type cloudEvent struct {
	SpecVersion string                 `json:"specversion"`
	ID          string                 `json:"id"`
	Type        string                 `json:"type"`
	Source      string                 `json:"source"`
	Subject     string                 `json:"subject"`
	Data        map[string]interface{} `json:"data"`
}

// readEvents reads the event stream until the app's put and deploy events were seen, checking the
// CloudEvents structured-mode header and attributes.
func readEvents(sub *nats.Subscription, app string) []string {
	want := map[string]bool{"dev.nadm.app_put": false, "dev.nadm.app_deployed": false}
	var types []string
	deadline := time.Now().Add(20 * time.Second)
	for !(want["dev.nadm.app_put"] && want["dev.nadm.app_deployed"]) {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			fail("events: saw %v: %v", types, err)
		}
		if ct := m.Header.Get("content-type"); ct != "application/cloudevents+json" {
			fail("event on %s: content-type %q", m.Subject, ct)
		}
		var e cloudEvent
		if err := json.Unmarshal(m.Data, &e); err != nil {
			fail("event is not JSON: %v", err)
		}
		if e.SpecVersion != "1.0" || e.ID == "" || m.Header.Get("Nats-Msg-Id") != e.ID {
			fail("event attributes: %s", m.Data)
		}
		if _, ok := want[e.Type]; !ok || e.Subject != app {
			continue
		}
		if rev, ok := e.Data["stateRevision"].(float64); !ok || rev < 1 {
			fail("%s without stateRevision: %s", e.Type, m.Data)
		}
		want[e.Type] = true
		types = append(types, e.Type)
	}
	return types
}

// readIndex reads the app's index from KV nadm_manifests with the legacy KeyValue API.
func readIndex(js nats.JetStreamContext, lattice, app string) map[string]interface{} {
	kv, err := js.KeyValue("nadm_manifests")
	if err != nil {
		fail("kv: %v", err)
	}
	entry, err := kv.Get(lattice + "." + app)
	if err != nil {
		fail("kv get: %v", err)
	}
	var index map[string]interface{}
	if err := json.Unmarshal(entry.Value(), &index); err != nil {
		fail("index is not JSON: %v", err)
	}
	return index
}
