# A docker web service parametrised by variables and locals, the way Nomad
# users write them for several environments.

variable "environment" {
  type        = string
  description = "Where the job runs: dev, staging or prod."
  default     = "dev"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, staging or prod."
  }
}

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}

variable "image" {
  type = string
}

variable "replicas" {
  type    = number
  default = 2

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 10
    error_message = "Between 1 and 10 replicas."
  }
}

variable "resources" {
  type = object({
    cpu    = number
    memory = optional(number, 256)
  })
  default = { cpu = 200 }
}

variable "extra_env" {
  type    = map(string)
  default = {}
}

locals {
  name      = "web-${var.environment}"
  is_prod   = var.environment == "prod"
  log_level = local.is_prod ? "warn" : "debug"
}

locals {
  common_env = {
    APP_ENV   = var.environment
    LOG_LEVEL = upper(local.log_level)
    # Resolved by the client for each allocation:
    LISTEN = "${NOMAD_IP_http}:${NOMAD_PORT_http}"
  }
  tags = compact(["web", local.is_prod ? "" : "canary-ok", "env-${var.environment}"])
}

job "web" {
  name        = local.name
  datacenters = var.datacenters
  type        = "service"

  meta {
    environment = var.environment
    image_tag   = element(split(":", var.image), 1)
  }

  group "web" {
    count = var.replicas

    network {
      port "http" {
        to = 8080
      }
    }

    service {
      name = local.name
      port = "http"
      tags = local.tags

      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "docker"

      config {
        image = var.image
        ports = ["http"]
        args  = ["--workers", format("%d", var.resources.cpu / 100), "--instance=${NOMAD_ALLOC_INDEX}"]
      }

      env = merge(local.common_env, var.extra_env)

      template {
        data        = file("templates/app.conf.tpl")
        destination = "local/app.conf"
      }

      template {
        data        = <<-EOF
          environment = "${var.environment}"
          node        = "${node.unique.name}"
          EOF
        destination = "local/extra.conf"
      }

      resources {
        cpu    = var.resources.cpu
        memory = var.resources.memory
      }
    }
  }
}
