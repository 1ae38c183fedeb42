# Every block and attribute drover knows, once.
job "web" {
  name        = "web-frontend"
  region      = "eu"
  namespace   = "prod"
  datacenters = ["dc1", "dc2"]
  type        = "service"
  priority    = 70
  node_pool   = "gpu"
  all_at_once = true

  meta {
    owner = "team-a"
    tier  = 1
  }

  group "frontend" {
    count = 3

    meta = {
      "build.sha" = "abc123"
    }

    restart {
      attempts = 4
      interval = "10m"
      delay    = "20s"
      mode     = "delay"
    }

    network {
      mode = "bridge"

      port "http" {
        to = 8080
      }

      port "admin" {
        static       = 9090
        to           = 9091
        host_network = "private"
      }
    }

    ephemeral_disk {
      size    = 500
      sticky  = true
      migrate = true
    }

    task "server" {
      driver       = "raw_exec"
      user         = "nobody"
      kill_timeout = "45s"
      kill_signal  = "SIGINT"
      leader       = true

      config {
        command = "/usr/local/bin/server"
        args    = ["--port", "${NOMAD_PORT_http}", "--verbose"]
      }

      env {
        LOG_LEVEL = "debug"
        WORKERS   = 4
      }

      meta {
        role = "api"
      }

      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512

        network {
          mbits = 10
          port "legacy" {}
          port "db" {
            static = 5432
          }
        }
      }

      restart {
        attempts = 1
      }

      logs {
        max_files     = 3
        max_file_size = 15
        disabled      = false
      }
    }

    task "sidecar" {
      driver = "mock"
      env = {
        MODE = "sidecar"
      }
      resources {
        cores  = 2
        memory = 64
      }
      logs {
        max_files = 2
      }
    }
  }

  group "worker" {
    task "work" {
      driver = "mock"
    }
  }
}
