# Services of a group and of a task, with every kind of check.
job "services" {
  group "g" {
    network {
      mode = "bridge"
      port "http" {
        to = 8080
      }
      port "grpc" {
        to = 9090
      }
    }

    service {
      name                = "api"
      port                = "http"
      provider            = "consul"
      address_mode        = "alloc"
      tags                = ["v1", "public"]
      canary_tags         = ["canary"]
      enable_tag_override = true
      on_update           = "ignore_warnings"
      task                = "api"

      meta {
        version = "1.0"
        weight  = 10
      }

      canary_meta = {
        canary = "true"
      }

      tagged_addresses = {
        lan = "10.0.0.5"
      }

      check_restart {
        limit           = 3
        grace           = "90s"
        ignore_warnings = true
      }

      check {
        name                     = "api-http"
        type                     = "http"
        protocol                 = "https"
        path                     = "/v1/health"
        method                   = "POST"
        body                     = "{\"check\": true}"
        interval                 = "10s"
        timeout                  = "3s"
        tls_skip_verify          = true
        initial_status           = "warning"
        success_before_passing   = 2
        failures_before_critical = 3
        failures_before_warning  = 1
        on_update                = "require_healthy"
        expose                   = false

        header {
          Authorization = ["Basic ZHJvdmVyOmRyb3Zlcg=="]
          X-Request     = ["a", "b"]
        }

        check_restart {
          limit = 5
          grace = "1m"
        }
      }

      check {
        name     = "api-script"
        type     = "script"
        task     = "api"
        command  = "/bin/check"
        args     = ["-v"]
        interval = "30s"
        timeout  = "5s"
      }
    }

    service {
      name = "api-grpc"
      port = "grpc"

      check {
        type         = "grpc"
        port         = "grpc"
        grpc_service = "api.Health"
        grpc_use_tls = true
        interval     = "15s"
        timeout      = "2s"
      }
    }

    task "api" {
      driver = "mock"

      service {
        name         = "api-admin"
        port         = 8081
        address_mode = "driver"
      }
    }
  }
}
