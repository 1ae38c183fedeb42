# constraint, affinity and spread at job, group and task level, with every
# shorthand Nomad accepts.
job "placement" {
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    attribute = "${attr.cpu.arch}"
    operator  = "set_contains_any"
    value     = "amd64,arm64"
  }

  constraint {
    attribute = "${attr.nomad.version}"
    version   = ">= 1.6.0, < 2.0"
  }

  constraint {
    attribute = "${attr.os.version}"
    semver    = ">= 22.4.0"
  }

  constraint {
    attribute = "${node.unique.name}"
    regexp    = "^web-[0-9]+$"
  }

  constraint {
    distinct_hosts = true
  }

  constraint {
    attribute = "${meta.tags}"
    operator  = "is_set"
  }

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 75
  }

  affinity {
    attribute = "${meta.gpu}"
    operator  = "!="
    value     = "none"
    weight    = -30
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 100

    target "dc1" {
      percent = 70
    }

    target "dc2" {
      percent = 30
    }
  }

  group "g" {
    count = 4

    constraint {
      distinct_property = "${meta.rack}"
      value             = 2
    }

    constraint {
      attribute        = "${meta.features}"
      set_contains_all = "ssd,avx2"
    }

    affinity {
      attribute        = "${meta.storage}"
      set_contains_any = "nvme,ssd"
    }

    spread {
      attribute = "${meta.rack}"
    }

    task "t" {
      driver = "mock"

      constraint {
        attribute = "${driver.docker.version}"
        operator  = "version"
        value     = ">= 24"
      }

      constraint {
        attribute = "${attr.unique.storage.volume}"
        operator  = "is_not_set"
      }

      affinity {
        attribute = "${attr.unique.hostname}"
        regexp    = "fast"
        weight    = 10
      }
    }
  }
}
