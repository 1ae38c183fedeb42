variable "environment" {
  type    = string
  default = "qa"

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "The environment must be dev or prod."
  }
}

variable "image" {
  type = string
}

variable "count" {
  type    = number
  default = "many"
}

locals {
  a = local.b
  b = local.a
  c = uper(var.environment)
  d = var.enviroment
}

job "bad" {
  group "g" {
    task "t" {
      driver = "docker"
      config {
        image = var.image
      }
    }
  }
}
