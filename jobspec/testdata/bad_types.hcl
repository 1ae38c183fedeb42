job "types" {
  type     = "servce"
  priority = "high"

  periodic {
    crons = "0 * * * *"
  }

  update {
    canary       = -1
    health_check = "check"
    auto_revert  = "yes"
  }

  affinity {
    attribute = "${node.datacenter}"
    weight    = 200
  }

  spread {
    attribute = ["a"]
    target "dc1" {
      percent = 101
    }
  }

  group "g" {
    count          = "three"
    shutdown_delay = 5

    disconnect {
      replace   = "no"
      reconcile = "best"
    }

    volume "v" {
      read_only = "true"
    }

    task "t" {
      driver = "mock"

      lifecycle {
        hook = "prestat"
      }

      template {
        uid   = 1.5
        splay = "soon"
      }

      artifact {
        options = ["checksum"]
      }

      identity {
        aud = "vault"
      }

      service {
        port = ["http"]
        check {
          interval = 10
          header {
            X = "single"
          }
        }
      }

      config = "docker"
    }
  }
}
