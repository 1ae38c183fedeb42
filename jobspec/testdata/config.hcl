job "cfg" {
  group "g" {
    task "t" {
      driver = "docker"

      config {
        image      = "redis:7"
        ports      = ["db"]
        privileged = false
        cpu_hard_limit = true
        weight     = 1.5
        big        = 10000000000
        negative   = -3
        nothing    = null
        labels = {
          "com.example.team" = "infra"
          count              = 2
        }
        nested_list = [[1, 2], ["a", true]]

        mount {
          type   = "bind"
          target = "/data"
        }
        mount {
          type   = "tmpfs"
          target = "/tmp"
        }
        logging {
          type = "json-file"
          config {
            max-size = "10m"
          }
        }
        device "gpu" {
          id = 0
        }
      }
    }
  }
}
