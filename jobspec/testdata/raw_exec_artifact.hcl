# A raw_exec service that downloads its binary, verified by checksum, and
# rolls out new versions behind a canary that is reverted if unhealthy.
job "api" {
  datacenters = ["dc1", "dc2"]

  update {
    max_parallel      = 1
    canary            = 1
    auto_revert       = true
    auto_promote      = false
    min_healthy_time  = "15s"
    healthy_deadline  = "3m"
    progress_deadline = "10m"
    health_check      = "checks"
  }

  group "api" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name        = "api"
      port        = "http"
      tags        = ["v2"]
      canary_tags = ["canary"]

      check {
        name     = "api-alive"
        type     = "tcp"
        interval = "5s"
        timeout  = "1s"
      }
    }

    task "server" {
      driver = "raw_exec"

      artifact {
        source      = "https://releases.example.com/api/v2.3.1/api_linux_amd64.tar.gz"
        destination = "local/bin"
        options {
          checksum = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        }
      }

      config {
        command = "local/bin/api"
        args    = ["-listen", "${NOMAD_ADDR_http}"]
      }

      kill_timeout = "20s"
      kill_signal  = "SIGTERM"

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
