# dynamic blocks: one block per element of a collection known at parse
# time, in the job's schema and inside an opaque driver config.
locals {
  ports = ["http", "admin"]
  files = {
    "app.conf"  = "listen = 8080"
    "feat.conf" = "beta = true"
  }
}

job "dynamic" {
  group "g" {
    network {
      dynamic "port" {
        for_each = local.ports
        labels   = [port.value]
        content {
          to = 8000 + port.key
        }
      }
    }

    dynamic "constraint" {
      for_each = ["linux"]
      content {
        attribute = "${attr.kernel.name}"
        value     = constraint.value
      }
    }

    task "web" {
      driver = "docker"

      config {
        image = "nginx"
        dynamic "mount" {
          for_each = ["/srv/a", "/srv/b"]
          iterator = m
          content {
            type   = "bind"
            source = m.value
            target = "/mnt${m.value}"
          }
        }
      }

      dynamic "template" {
        for_each = local.files
        iterator = f
        content {
          destination = "local/${f.key}"
          data        = "${f.value} # on ${attr.unique.hostname}"
        }
      }
    }
  }
}
