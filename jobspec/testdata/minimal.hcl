job "m" {
  group "g" {
    count = 0
    task "t" {
      driver = "mock"
    }
  }
}
