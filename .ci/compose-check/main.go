// compose-check loads docker-compose.yml with compose-go, the loader the
// docker compose CLI uses (schema validation, interpolation, YAML merge
// keys, normalisation, consistency checks), without a Docker engine, and
// checks what the book promises about it:
//
//   - plain `docker compose up` starts the single broker `kafka` and nothing else;
//   - `--profile cluster` adds exactly kafka-0, kafka-1, kafka-2 and kafka-3:
//     kafka-0 the only controller (node 0, the only voter, no published
//     port), kafka-N broker N and nothing else, started after kafka-0, all
//     four with one cluster id;
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
	if want := []string{"kafka", "kafka-0", "kafka-1", "kafka-2", "kafka-3"}; !slices.Equal(got, want) {
		return fmt.Errorf("`docker compose --profile cluster up` would start %v, not %v", got, want)
	}
	image := cluster.Services["kafka"].Image
	for _, name := range got {
		service := cluster.Services[name]
		if service.Image != image {
			return fmt.Errorf("service %s runs %s, service kafka %s", name, service.Image, image)
		}
		if name == "kafka" && len(service.Ports) == 0 {
			return fmt.Errorf("service %s publishes no port", name)
		}
		for _, port := range service.Ports {
			if port.HostIP != "127.0.0.1" {
				return fmt.Errorf("service %s publishes port %s on %q, not 127.0.0.1", name, port.Published, port.HostIP)
			}
		}
		if name != "kafka" {
			if err := checkClusterNode(cluster, name); err != nil {
				return err
			}
		}
	}
	fmt.Printf("%s: loads as docker compose would; default services [kafka]; profile cluster adds controller kafka-0 and brokers kafka-1..3; all %s; ports on 127.0.0.1 only\n", file, image)
	return nil
}

// env is a service's environment variable, "" when unset.
func env(service types.ServiceConfig, name string) string {
	if value := service.Environment[name]; value != nil {
		return *value
	}
	return ""
}

// checkClusterNode checks one node of the profile cluster: kafka-0 is the
// controller, kafka-N broker N, with the quorum and cluster id of kafka-0.
func checkClusterNode(project *types.Project, name string) error {
	service := project.Services[name]
	controller := project.Services["kafka-0"]
	if !slices.Equal(service.Profiles, []string{"cluster"}) {
		return fmt.Errorf("service %s has profiles %v, not [cluster]", name, service.Profiles)
	}
	node := strings.TrimPrefix(name, "kafka-")
	if id := env(service, "KAFKA_NODE_ID"); id != node {
		return fmt.Errorf("service %s is not node %s (KAFKA_NODE_ID %q)", name, node, id)
	}
	if voters := env(service, "KAFKA_CONTROLLER_QUORUM_VOTERS"); voters != "0@kafka-0:9093" {
		return fmt.Errorf("service %s has the quorum %q, not the controller kafka-0 alone (0@kafka-0:9093)", name, voters)
	}
	if id, want := env(service, "CLUSTER_ID"), env(controller, "CLUSTER_ID"); id == "" || id != want {
		return fmt.Errorf("service %s has CLUSTER_ID %q, kafka-0 %q", name, id, want)
	}
	roles := env(service, "KAFKA_PROCESS_ROLES")
	if name == "kafka-0" {
		if roles != "controller" {
			return fmt.Errorf("service kafka-0 has the roles %q, not controller", roles)
		}
		if len(service.Ports) != 0 {
			return fmt.Errorf("service kafka-0, the controller, publishes ports")
		}
		return nil
	}
	if roles != "broker" {
		return fmt.Errorf("service %s has the roles %q, not broker", name, roles)
	}
	if len(service.Ports) == 0 {
		return fmt.Errorf("service %s, a broker, publishes no port", name)
	}
	if _, ok := service.DependsOn["kafka-0"]; !ok {
		return fmt.Errorf("service %s does not depend on the controller kafka-0", name)
	}
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
