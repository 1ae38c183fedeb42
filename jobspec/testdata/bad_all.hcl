# Many problems at once: all must be reported together.
job "all" {
  type     = 5
  priority = "high"
  group "g" {
    count = -1
    restart {
      mode     = "sometimes"
      interval = "30x"
    }
    task "t" {
      driver       = "mock"
      kill_timeout = "-5s"
      resources {
        cpu    = 1.5
        memory = true
      }
    }
    task "t" {
      driver = "mock"
    }
  }
  group "g" {
  }
}
