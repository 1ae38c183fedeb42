# Older syntax still found in real job files, accepted with warnings where
# Nomad deprecated it.
job "legacy" {
  update {
    stagger      = "30s"
    max_parallel = 1
  }

  group "cache" {
    count                        = "2"
    max_client_disconnect        = "1h"
    stop_after_client_disconnect = "30m"

    task "redis" {
      driver = "docker"

      config = {
        image = "redis:7"
        port_map = {
          db = 6379
        }
      }

      artifact = {
        source      = "https://example.com/redis.conf"
        destination = "local/"
      }

      resources {
        cpu    = 500
        memory = 256

        network {
          mbits = 10
          port "db" {}
        }
      }
    }

    task "legacy-block" {
      driver = "docker"

      config {
        image = "busybox"
        port_map {
          http = 80
        }
      }

      artifact = [
        { source = "https://example.com/a" },
        { source = "https://example.com/b", "destination" = "local/b" },
      ]
    }
  }
}
