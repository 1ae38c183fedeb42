# A docker web service registered in the service catalog with an HTTP
# health check, the way most Nomad users start.
job "web" {
  datacenters = ["dc1"]
  type        = "service"

  group "frontend" {
    count = 3

    network {
      port "http" {
        to = 8080
      }
    }

    service {
      name     = "web"
      port     = "http"
      provider = "nomad"
      tags     = ["urlprefix-/", "traefik.enable=true"]

      check {
        type     = "http"
        path     = "/healthz"
        interval = "10s"
        timeout  = "2s"
      }
    }

    restart {
      attempts = 3
      delay    = "30s"
    }

    task "nginx" {
      driver = "docker"

      config {
        image = "nginx:1.27-alpine"
        ports = ["http"]
        volumes = [
          "local/default.conf:/etc/nginx/conf.d/default.conf",
        ]
      }

      template {
        destination   = "local/default.conf"
        change_mode   = "signal"
        change_signal = "SIGHUP"
        data          = <<-EOT
          server {
            listen 8080;
            location /healthz { return 200; }
            location / { root /usr/share/nginx/html; }
          }
        EOT
      }

      env {
        NGINX_ENTRYPOINT_QUIET_LOGS = "1"
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
