job "bad-dynamic" {
  group "g" {
    dynamic "constraint" {
      content {}
    }

    dynamic "spread" {
      for_each = ["a"]
    }

    dynamic "volum" {
      for_each = ["a"]
      labels   = ["v"]
      content {}
    }

    dynamic "volume" {
      for_each = "a"
      labels   = ["v"]
      content {}
    }

    dynamic "ephemeral_disk" {
      for_each = [1, 2]
      content {
        size = 100
      }
    }

    dynamic "affinity" {
      for_each = [attr.kernel.name]
      content {}
    }

    dynamic "update" {
      for_each = [1]
      iterator = "u"
      interval = 2
      content {}
    }

    task "t" {
      driver = "mock"
    }
  }
}
