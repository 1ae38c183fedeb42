job "s" {
  group "g" {
    count = 
  }
