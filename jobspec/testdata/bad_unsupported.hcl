job "u" {
  multiregion {
    strategy {
      max_parallel = 1
    }
  }
  vault {
    policies = ["p"]
  }
  group "g" {
    scaling {
      min = 1
    }
    volume "data" {
      type   = "csi"
      sticky = true
    }
    task "t" {
      driver = "mock"
      csi_plugin {
        id = "x"
      }
      service {
        name = "web"
        connect {
          sidecar_service {}
        }
      }
      template {
        data = "x"
        wait {
          min = "5s"
        }
      }
      resources {
        device "nvidia/gpu" {}
      }
    }
  }
}
