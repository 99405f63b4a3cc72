// The server is built on the event loops and sockets of `Sockets`; its users (the app,
// the tests) start, stop and name them through `HTTPServer`, so they come with it.
@_exported import Sockets
