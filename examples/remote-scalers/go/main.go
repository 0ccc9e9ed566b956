// A nadm remote scaler in Go: the "first-fit" rule of ../node, registered as "first-fit-go".
// It speaks the protocol `nadm schema --scaler-io` describes: a registration in the
// nadm_scalers KV bucket under {lattice}.{type}, then ScalerInput -> ScalerResult replies on
// nadm.scaler.{lattice}.{type}, in a queue group so several copies can run.
//
// Build without downloading modules (Debian: golang-go, golang-github-nats-io-go-nats-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o first-fit-go ./examples/remote-scalers/go
//	NATS_URL=nats://127.0.0.1:4222 NADM_LATTICE=default ./first-fit-go
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/nats-io/nats.go"
)

const (
	scalerType = "first-fit-go"
	version    = "1.0.0"
)

// The trait's properties as JSON Schema: controllers check manifests against it at put.
const propertiesSchema = `{
  "type": "object",
  "properties": {
    "instances": {"type": "integer", "minimum": 0},
    "perHost": {"type": "integer", "minimum": 1, "default": 1},
    "requirements": {"type": "object", "additionalProperties": {"type": "string"}, "default": {}}
  },
  "required": ["instances"],
  "additionalProperties": false
}`

type host struct {
	HostID    string            `json:"hostId"`
	Labels    map[string]string `json:"labels"`
	Instances int               `json:"instances"`
}

type props struct {
	Instances    *int              `json:"instances"`
	PerHost      *int              `json:"perHost"`
	Requirements map[string]string `json:"requirements"`
}

type input struct {
	Properties props  `json:"properties"`
	Hosts      []host `json:"hosts"`
}

type placement struct {
	HostID string `json:"hostId"`
	Count  int    `json:"count"`
}

type status struct {
	Phase   string `json:"phase"`
	Message string `json:"message"`
}

type result struct {
	Placements []placement `json:"placements"`
	Status     status      `json:"status"`
}

func matches(h host, req map[string]string) bool {
	for k, v := range req {
		if h.Labels[k] != v {
			return false
		}
	}
	return true
}

// firstFit fills eligible hosts, in hostId order, with up to perHost instances each.
func firstFit(p props, hosts []host) (result, error) {
	if p.Instances == nil || *p.Instances < 0 {
		return result{}, errors.New("properties.instances must be an integer >= 0")
	}
	perHost := 1
	if p.PerHost != nil {
		perHost = *p.PerHost
	}
	if perHost < 1 {
		return result{}, errors.New("properties.perHost must be an integer >= 1")
	}
	var eligible []host
	for _, h := range hosts {
		if matches(h, p.Requirements) {
			eligible = append(eligible, h)
		}
	}
	sort.Slice(eligible, func(i, j int) bool { return eligible[i].HostID < eligible[j].HostID })
	placements := []placement{}
	left := *p.Instances
	for _, h := range eligible {
		if left == 0 {
			break
		}
		count := perHost
		if left < count {
			count = left
		}
		placements = append(placements, placement{HostID: h.HostID, Count: count})
		left -= count
	}
	st := status{Phase: "ok", Message: fmt.Sprintf("%d on %d host(s), up to %d each", *p.Instances, len(placements), perHost)}
	if left > 0 && len(eligible) == 0 {
		st = status{Phase: "waiting", Message: "no host matches the requirements"}
	} else if left > 0 {
		st = status{Phase: "failed", Message: fmt.Sprintf("%d of %d do not fit on %d host(s)", left, *p.Instances, len(eligible))}
	}
	return result{Placements: placements, Status: st}, nil
}

func reply(data []byte) []byte {
	var in input
	var out interface{}
	if err := json.Unmarshal(data, &in); err != nil {
		out = map[string]string{"error": "bad input: " + err.Error()}
	} else if res, err := firstFit(in.Properties, in.Hosts); err != nil {
		out = map[string]string{"error": err.Error()}
	} else {
		out = res
	}
	b, _ := json.Marshal(out)
	return b
}

func main() {
	url := os.Getenv("NATS_URL")
	if url == "" {
		url = nats.DefaultURL
	}
	lattice := os.Getenv("NADM_LATTICE")
	if lattice == "" {
		lattice = "default"
	}
	nc, err := nats.Connect(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	subject := fmt.Sprintf("nadm.scaler.%s.%s", lattice, scalerType)
	// Answer first, then register: a controller may call as soon as it sees the registration.
	if _, err := nc.QueueSubscribe(subject, "nadm-scaler-"+scalerType, func(m *nats.Msg) {
		_ = m.Respond(reply(m.Data))
	}); err != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		os.Exit(1)
	}
	if err := register(nc, lattice); err != nil {
		fmt.Fprintln(os.Stderr, "register:", err)
		os.Exit(1)
	}
	fmt.Printf("remote scaler %s %s answering on %s\n", scalerType, version, subject)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	_ = nc.Drain()
}

func register(nc *nats.Conn, lattice string) error {
	js, err := nc.JetStream()
	if err != nil {
		return err
	}
	kv, err := js.KeyValue("nadm_scalers")
	if errors.Is(err, nats.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(&nats.KeyValueConfig{Bucket: "nadm_scalers"})
	}
	if err != nil {
		return err
	}
	reg, _ := json.Marshal(map[string]interface{}{
		"type":       scalerType,
		"version":    version,
		"properties": json.RawMessage(propertiesSchema),
	})
	_, err = kv.Put(lattice+"."+scalerType, reg)
	return err
}
