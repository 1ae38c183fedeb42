# What only a group declares: network with hostname and dns, host volumes,
# disconnect, shutdown_delay, ephemeral_disk.
job "group-blocks" {
  group "db" {
    count          = 1
    shutdown_delay = "10s"

    network {
      mode     = "bridge"
      hostname = "db-${NOMAD_ALLOC_INDEX}"

      port "pg" {
        static       = 5432
        to           = 5432
        host_network = "private"
      }

      dns {
        servers  = ["10.0.0.2", "10.0.0.3"]
        searches = ["service.internal"]
        options  = ["ndots:2", "timeout:1"]
      }
    }

    volume "data" {
      type      = "host"
      source    = "pg-data"
      read_only = false
    }

    volume "certs" {
      type            = "host"
      source          = "certs"
      read_only       = true
      access_mode     = "single-node-reader-only"
      attachment_mode = "file-system"
      per_alloc       = true
    }

    disconnect {
      lost_after           = "6h"
      replace              = false
      reconcile            = "keep_original"
      stop_on_client_after = "1h"
    }

    ephemeral_disk {
      size    = 1024
      sticky  = true
      migrate = true
    }

    task "postgres" {
      driver = "mock"

      volume_mount {
        volume      = "data"
        destination = "/var/lib/postgresql/data"
      }

      volume_mount {
        volume           = "certs"
        destination      = "/etc/certs"
        read_only        = true
        propagation_mode = "host-to-task"
      }
    }
  }
}
