package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/fingerprint"
)

// identity returns the node's ID and secret, generated once and kept in
// StateDir so a restarted agent is the same node; fresh in dev mode.
func identity(stateDir string) (id, secret string, err error) {
	if stateDir == "" {
		return drover.GenerateID(), drover.GenerateID(), nil
	}
	if id, err = persistentID(filepath.Join(stateDir, "node-id")); err != nil {
		return "", "", err
	}
	if secret, err = persistentID(filepath.Join(stateDir, "secret-id")); err != nil {
		return "", "", err
	}
	return id, secret, nil
}

func persistentID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if id := strings.TrimSpace(string(b)); len(id) == 36 {
			return id, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("client: read %s: %w", path, err)
	}
	id := drover.GenerateID()
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("client: write %s: %w", path, err)
	}
	return id, nil
}

// buildNode fingerprints the machine and the drivers into a node record.
func (c *Client) buildNode(id, secret string) (*drover.Node, error) {
	ip := c.cfg.IP
	if ip == "" && c.cfg.NetworkInterface != "" {
		ip = fingerprint.InterfaceIP(c.cfg.NetworkInterface)
	}
	facts, err := fingerprint.Collect(fingerprint.Sources{Root: c.cfg.FingerprintRoot, DiskPath: c.cfg.AllocDir, IP: ip})
	if err != nil {
		return nil, fmt.Errorf("client: fingerprint: %w", err)
	}
	name := c.cfg.NodeName
	if name == "" {
		name = facts.Hostname
	}
	n := &drover.Node{
		ID: id, SecretID: secret, Name: name,
		Datacenter: c.cfg.Datacenter, NodeClass: c.cfg.NodeClass, NodePool: c.cfg.NodePool,
		HTTPAddr:   c.cfg.HTTPAddr,
		Attributes: facts.Attributes(c.cfg.Version),
		Meta:       map[string]string{},
		NodeResources: &drover.NodeResources{
			Cpu:    drover.NodeCpuResources{CpuShares: facts.CPU.TotalMHz(), TotalCpuCores: facts.CPU.Cores},
			Memory: drover.NodeMemoryResources{MemoryMB: facts.MemoryBytes >> 20},
			Disk:   drover.NodeDiskResources{DiskMB: facts.DiskFreeBytes >> 20},
			Networks: []*drover.NetworkResource{{
				Mode: "host", Device: c.cfg.NetworkInterface, IP: facts.IP, CIDR: facts.IP + "/32",
			}},
			MinDynamicPort: c.cfg.MinDynamicPort,
			MaxDynamicPort: c.cfg.MaxDynamicPort,
		},
		ReservedResources:     c.cfg.Reserved,
		HostVolumes:           c.cfg.HostVolumes,
		Drivers:               map[string]*drover.DriverInfo{},
		Status:                drover.NodeStatusReady,
		SchedulingEligibility: drover.NodeEligible,
	}
	for k, v := range c.cfg.Meta {
		n.Meta[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fps := c.fingerprintDrivers(ctx)
	applyDrivers(n, nil, fps, c.cfg.Now())
	c.driverFPs = fps
	return n, nil
}
