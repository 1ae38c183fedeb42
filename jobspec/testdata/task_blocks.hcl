# What only a task declares: templates, artifacts, lifecycle, identities,
# shutdown_delay.
job "task-blocks" {
  group "app" {
    task "init-schema" {
      driver = "mock"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }
    }

    task "log-shipper" {
      driver = "mock"

      lifecycle {
        hook    = "poststart"
        sidecar = true
      }
    }

    task "app" {
      driver         = "mock"
      leader         = true
      shutdown_delay = "5s"

      template {
        source      = "local/app.conf.tpl"
        destination = "local/app.conf"
        change_mode = "restart"
        splay       = "10s"
        perms       = "0600"
        uid         = 1000
        gid         = 1000
      }

      template {
        data                 = "DB_HOST=[[ env \"NOMAD_UPSTREAM_ADDR_db\" ]]\n"
        destination          = "secrets/app.env"
        env                  = true
        change_mode          = "noop"
        left_delimiter       = "[["
        right_delimiter      = "]]"
        error_on_missing_key = true
      }

      template {
        data          = "reload"
        destination   = "local/reload"
        change_mode   = "signal"
        change_signal = "SIGUSR1"
      }

      artifact {
        source      = "git::https://github.com/example/config"
        destination = "local/config"
        mode        = "dir"
        options {
          ref = "v1.2.0"
        }
      }

      artifact {
        source = "https://example.com/app.bin"
        mode   = "file"
        headers {
          User-Agent    = "drover"
          Authorization = "Bearer ${NOMAD_META_token}"
        }
        options = {
          checksum = "md5:d41d8cd98f00b204e9800998ecf8427e"
        }
      }

      identity {
        env  = true
        file = true
      }

      identity {
        name          = "db"
        aud           = ["postgres"]
        file          = true
        ttl           = "1h"
        change_mode   = "signal"
        change_signal = "SIGHUP"
      }

      identity {
        name = "storage"
        aud  = ["s3", "gcs"]
      }
    }
  }
}
