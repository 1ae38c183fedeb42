# A partial group restart takes the rest from the batch default; a partial
# task restart takes the rest from its group's policy.
job "rm" {
  type = "batch"
  group "g" {
    restart {
      attempts = 5
    }
    task "a" {
      driver = "mock"
      restart {
        mode = "delay"
      }
    }
    task "b" {
      driver = "mock"
    }
  }
  group "h" {
    task "c" {
      driver = "mock"
      restart {
        delay = "1s"
      }
    }
  }
}
