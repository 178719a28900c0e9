// compose-check loads docker-compose.yml with compose-go, the loader the
// docker compose CLI uses (schema validation, interpolation, YAML merge
// keys, normalisation, consistency checks), without a Docker engine, and
// checks what the book promises about it:
//
//   - plain `docker compose up` starts the single broker `kafka` and nothing else;
//   - `--profile cluster` adds exactly kafka-1, kafka-2 and kafka-3;
//   - every service runs the same image, and every published port is bound
//     to 127.0.0.1.
//
// Usage (from the repository root): go -C .ci/compose-check run . ../../docker-compose.yml
// Exit status 1 with a message on the first problem.
package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func load(file string, profiles []string) (*types.Project, error) {
	options, err := cli.NewProjectOptions([]string{file},
		cli.WithName("book"),
		cli.WithProfiles(profiles),
		cli.WithConsistency(true),
	)
	if err != nil {
		return nil, err
	}
	return options.LoadProject(context.Background())
}

func check(file string) error {
	plain, err := load(file, nil)
	if err != nil {
		return fmt.Errorf("loading %s: %w", file, err)
	}
	if got := plain.ServiceNames(); !slices.Equal(got, []string{"kafka"}) {
		return fmt.Errorf("`docker compose up` would start %v, not [kafka]", got)
	}
	cluster, err := load(file, []string{"cluster"})
	if err != nil {
		return fmt.Errorf("loading %s with profile cluster: %w", file, err)
	}
	got := cluster.ServiceNames()
	slices.Sort(got)
	if want := []string{"kafka", "kafka-1", "kafka-2", "kafka-3"}; !slices.Equal(got, want) {
		return fmt.Errorf("`docker compose --profile cluster up` would start %v, not %v", got, want)
	}
	image := cluster.Services["kafka"].Image
	for _, name := range got {
		service := cluster.Services[name]
		if service.Image != image {
			return fmt.Errorf("service %s runs %s, service kafka %s", name, service.Image, image)
		}
		if len(service.Ports) == 0 {
			return fmt.Errorf("service %s publishes no port", name)
		}
		for _, port := range service.Ports {
			if port.HostIP != "127.0.0.1" {
				return fmt.Errorf("service %s publishes port %s on %q, not 127.0.0.1", name, port.Published, port.HostIP)
			}
		}
		if name != "kafka" {
			if !slices.Equal(service.Profiles, []string{"cluster"}) {
				return fmt.Errorf("service %s has profiles %v, not [cluster]", name, service.Profiles)
			}
			node := strings.TrimPrefix(name, "kafka-")
			id := service.Environment["KAFKA_NODE_ID"]
			if id == nil || *id != node {
				return fmt.Errorf("service %s is not node %s (KAFKA_NODE_ID)", name, node)
			}
		}
	}
	fmt.Printf("%s: loads as docker compose would; default services [kafka]; profile cluster adds kafka-1..3; all %s; ports on 127.0.0.1 only\n", file, image)
	return nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check path/to/docker-compose.yml")
		os.Exit(2)
	}
	if err := check(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
}
