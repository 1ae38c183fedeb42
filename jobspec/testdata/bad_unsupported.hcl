job "u" {
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  update {
    max_parallel = 1
  }
  group "g" {
    volume "data" {
      type = "host"
    }
    shutdown_delay = "5s"
    task "t" {
      driver = "mock"
      service {
        name = "web"
        check {
          type = "http"
        }
      }
      template {
        data = "x"
      }
      artifact {
        source = "https://example.com/x"
      }
      lifecycle {
        hook = "prestart"
      }
    }
  }
}
