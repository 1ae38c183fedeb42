job "a" {
  group "g" {
    task "t" {
      driver = "mock"
    }
  }
}

job "b" {
  group "g" {
    task "t" {
      driver = "mock"
    }
  }
}
