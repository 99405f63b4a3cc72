import HTTPServer
import ChatBackends
public enum RunnelPlaceholder {}
