package client

import (
	"context"
	"maps"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// fingerprintDrivers asks every driver for its fingerprint.
func (c *Client) fingerprintDrivers(ctx context.Context) map[string]driver.Fingerprint {
	fps := map[string]driver.Fingerprint{}
	for _, name := range c.cfg.Drivers.Names() {
		d, _ := c.cfg.Drivers.Get(name)
		fps[name] = d.Fingerprint(ctx)
	}
	return fps
}

// applyDrivers records driver fingerprints in the node: Drivers[name], the
// "driver.<name>" = "1" attribute of a detected, healthy driver, and each
// driver's own attributes. Attributes from old, the previous fingerprints,
// are removed first.
func applyDrivers(n *drover.Node, old, fps map[string]driver.Fingerprint, now time.Time) {
	for name, fp := range old {
		delete(n.Attributes, "driver."+name)
		for k := range fp.Attributes {
			delete(n.Attributes, k)
		}
	}
	if n.Drivers == nil {
		n.Drivers = map[string]*drover.DriverInfo{}
	}
	for name, fp := range fps {
		n.Drivers[name] = &drover.DriverInfo{
			Attributes: maps.Clone(fp.Attributes), Detected: fp.Detected, Healthy: fp.Healthy,
			HealthDescription: fp.HealthDescription, UpdateTime: now,
		}
		if fp.Detected && fp.Healthy {
			n.Attributes["driver."+name] = "1"
		}
		maps.Copy(n.Attributes, fp.Attributes)
	}
}

func sameFingerprint(a, b driver.Fingerprint) bool {
	return a.Detected == b.Detected && a.Healthy == b.Healthy &&
		a.HealthDescription == b.HealthDescription && maps.Equal(a.Attributes, b.Attributes)
}

// driverLoop fingerprints the drivers every FingerprintInterval and, when
// anything changed, updates the node and has it registered again.
func (c *Client) driverLoop(ctx context.Context) {
	for sleep(ctx, c.cfg.FingerprintInterval) {
		fps := c.fingerprintDrivers(ctx)
		changed := len(fps) != len(c.driverFPs)
		for name, fp := range fps {
			if old, ok := c.driverFPs[name]; !ok || !sameFingerprint(old, fp) {
				changed = true
				c.logger.Info("driver fingerprint changed", "driver", name, "healthy", fp.Healthy, "health", fp.HealthDescription)
			}
		}
		if !changed {
			continue
		}
		c.mu.Lock()
		applyDrivers(c.node, c.driverFPs, fps, c.cfg.Now())
		c.mu.Unlock()
		c.driverFPs = fps
		select {
		case c.nodeChanged <- struct{}{}:
		default:
		}
	}
}
