job "dym" {
  updte {
    max_parallel = 1
  }

  periodic {
    cron_s = ["@daily"]
  }

  group "g" {
    disconect {
      lost_after = "1h"
    }

    network {
      dns {
        server = ["1.1.1.1"]
      }
    }

    task "t" {
      driver = "mock"

      template {
        destinaton = "local/x"
      }

      artifact {
        sourc = "https://example.com/x"
      }

      service {
        chek {
          type = "tcp"
        }
        check {
          intervall = "10s"
          check_restar {
            limit = 1
          }
        }
      }

      lifecycle {
        hooks = "prestart"
      }
    }
  }
}
