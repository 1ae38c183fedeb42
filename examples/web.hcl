# web: a service with a dynamic port, a health-checked service and a
# canary rollout — the shape of most Nomad service jobs.
#
#   drover job plan examples/web.hcl     # what would change, and -check-index
#   drover job run examples/web.hcl
#
# The task serves its allocation directory with python3 on the port the
# scheduler picks (NOMAD_PORT_http). Change the args and plan again to see
# a canary placed: auto_revert rolls back a version whose checks fail.
job "web" {
  type        = "service"
  datacenters = ["*"]

  update {
    max_parallel     = 1
    canary           = 1
    auto_revert      = true
    min_healthy_time = "5s"
    healthy_deadline = "1m"
  }

  group "web" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name     = "web"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "python3"
        args    = ["-m", "http.server", "${NOMAD_PORT_http}", "--bind", "127.0.0.1"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
