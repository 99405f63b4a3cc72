import CSystem
public enum HTTPServerPlaceholder {}
