job "dups" {
  update {
    canary = 1
  }
  update {
    canary = 2
  }

  periodic {
    cron  = "@daily"
    crons = ["@hourly"]
  }

  spread {
    attribute = "${node.datacenter}"
    target "dc1" {
      percent = 50
    }
    target "dc1" {
      percent = 50
    }
  }

  group "g" {
    volume "data" {
      source = "a"
    }
    volume "data" {
      source = "b"
    }

    disconnect {}
    disconnect {}

    task "t" {
      driver = "mock"

      lifecycle {
        hook = "prestart"
      }
      lifecycle {
        hook = "poststop"
      }

      identity {
        file = true
      }
      identity {
        name = "default"
      }
      identity {
        name = "db"
      }
      identity {
        name = "db"
      }

      config {
        image = "x"
      }
      config = {
        image = "y"
      }

      artifact = {
        source = "a"
        source = "b"
      }
    }
  }
}
