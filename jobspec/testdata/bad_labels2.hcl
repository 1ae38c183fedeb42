job "x" {
  group "" {
    task {
    }
  }
  group "h" {
    restart "r" {}
    network {
      port "p" {}
      port "p" {}
    }
    network {}
    task "t" {
      driver = "mock"
      config {
        a = 1
      }
      config {
        b = 2
      }
    }
  }
}
