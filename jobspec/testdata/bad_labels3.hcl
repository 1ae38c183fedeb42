job "labels" {
  constraint "kernel" {
    attribute = "${attr.kernel.name}"
  }

  spread {
    attribute = "${node.datacenter}"
    target {
      percent = 50
    }
  }

  group "g" {
    volume {
      source = "data"
    }

    task "t" {
      driver = "mock"

      identity "db" {}

      service "web" {}

      template "a" {}
    }
  }
}
