// Peer 2 of `npm run bench`: a minimal Redpanda Connect binary holding only what the benchmark pipeline needs — the
// kafka inputs (kafka_franz), the sql components without their bundled drivers plus lib/pq (driver "postgres"), and
// benthos' pure processors (mapping, …). Built by run.ts with the Go toolchain from the Go module proxy; see go.mod
// for the pinned versions. Only for the benchmark, never on the main path.
package main

import (
	"context"
	"runtime/debug"

	"github.com/redpanda-data/benthos/v4/public/service"

	// The pure components of benthos: mapping, bloblang, batching policies, stdout/stdin, …
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
	// kafka_franz input (and the other kafka components of the same package).
	_ "github.com/redpanda-data/connect/v4/public/components/kafka"
	// sql_insert & co. without the drivers that public/components/sql bundles (ClickHouse, MSSQL, Oracle, …).
	_ "github.com/redpanda-data/connect/v4/public/components/sql/base"
	// The one driver we use: lib/pq registers "postgres", as in the full Redpanda Connect build.
	_ "github.com/lib/pq"
)

// connectVersion is the version of github.com/redpanda-data/connect/v4 this binary was built with (go.mod), so
// `--version` names it rather than the benthos library's.
func connectVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/redpanda-data/connect/v4" {
				return m.Version
			}
		}
	}
	return "unknown"
}

func main() {
	service.RunCLI(
		context.Background(),
		service.CLIOptSetVersion(connectVersion()+" (Sluice bench build: kafka, sql + lib/pq, pure)", ""),
		service.CLIOptSetBinaryName("redpanda-connect"),
	)
}
